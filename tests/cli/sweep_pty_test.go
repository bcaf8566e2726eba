//go:build linux || darwin

package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// slowSweep has 40 branches whose checks take about 25 ms each, so that
// the progress bar (redrawn every 200 ms) shows up.
const slowSweep = `
sweep.define("slow", {
  device = function() return flash.nor{size = 8192, sector = 4096, write_block = 1} end,
  workload = function(dev, ack)
    for k = 0, 19 do assert(dev:write(k, "\0")) ack(k) end
  end,
  check = function(dev, acked)
    local t = os.clock() + 0.025
    while os.clock() < t do end
  end,
})
`

func TestSweepProgressBarOnTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and drives it in a pty")
	}
	bin := flashemuBinary(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "slow.lua")
	require.NoError(t, os.WriteFile(script, []byte(slowSweep), 0o644))
	env := []string{"HOME=" + dir, "TERM=xterm", "PATH=" + os.Getenv("PATH")}

	// On a terminal: the bar, then the line is cleared before the summary.
	tm := startTerm(t, bin, env, "sweep", script, "--jobs", "1")
	tm.expect(`\r\x1b\[Kslow L1 check \[[#.]{24}\] \d+/\d+ \d+% \d+/s`, 20*time.Second)
	tm.expect(`\r\x1b\[K--- \x1b\[32mPASS\x1b\[0m: slow \(`, 20*time.Second)

	// On a 60-column terminal every redraw fits in 59 columns (a wrapped
	// line would leave a stale row per redraw), and shows an ETA.
	tm = startTermSize(t, 60, bin, env, "sweep", script, "--jobs", "1")
	tm.expect(`ETA (<1s|\d)`, 20*time.Second)
	tm.expect(`--- \x1b\[32mPASS`, 20*time.Second)
	tm.mu.Lock()
	out := tm.out.String()
	tm.mu.Unlock()
	draws := strings.Split(out, "\r\x1b[K")
	require.Greater(t, len(draws), 2, "the bar was drawn")
	for _, d := range draws[1 : len(draws)-1] {
		require.LessOrEqual(t, len(d), 59, "redraw %q", d)
	}

	// NO_COLOR: no colour, the bar still.
	tm = startTerm(t, bin, append(env, "NO_COLOR=1"), "sweep", script, "--jobs", "1")
	tm.expect(`\r\x1b\[K--- PASS: slow \(`, 20*time.Second)

	// Under CI, or with --json, no bar (colour stays: CI logs render it).
	tm = startTerm(t, bin, append(env, "CI=true"), "sweep", script, "--jobs", "1")
	tm.expect(`--- \x1b\[32mPASS\x1b\[0m: slow \(`, 20*time.Second)
	tm.mu.Lock()
	out = tm.out.String()
	tm.mu.Unlock()
	require.NotContains(t, out, "\x1b[K")
	tm = startTerm(t, bin, env, "sweep", script, "--jobs", "1", "--json")
	tm.expect(`"type":"summary"`, 20*time.Second)
	tm.mu.Lock()
	out = tm.out.String()
	tm.mu.Unlock()
	require.NotContains(t, out, "\x1b[K")
}
