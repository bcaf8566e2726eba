package cli_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// asCLIEnv makes the test binary run as flashemu (TestMain).
const asCLIEnv = "FLASHEMU_TEST_AS_CLI"

// limitRun is one flashemu run in a subprocess: its exit status, stderr,
// wall time and peak RSS.
type limitRun struct {
	code   int
	stderr string
	wall   time.Duration
	rssMiB int64
}

func runLimited(t *testing.T, src string, args ...string) limitRun {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.lua"), []byte(src), 0o644))
	cmd := exec.Command(os.Args[0], append([]string{"run", "s.lua"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), asCLIEnv+"=1")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	require.NoError(t, cmd.Start())
	// The child's own peak RSS: /proc/PID/status VmHWM, polled while it
	// runs (its rusage would carry the test process's peak across exec).
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var peakKiB int64
	var err error
	for waiting := true; waiting; {
		if runtime.GOOS == "linux" {
			if kib := vmHWM(cmd.Process.Pid); kib > peakKiB {
				peakKiB = kib
			}
		}
		select {
		case err = <-done:
			waiting = false
		case <-time.After(10 * time.Millisecond):
		}
	}
	r := limitRun{stderr: errb.String(), wall: time.Since(start), rssMiB: peakKiB >> 10}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else {
		require.NoError(t, err)
	}
	t.Logf("exit %d after %v, peak RSS %d MiB: %s", r.code, r.wall.Round(time.Millisecond), r.rssMiB, bytes.TrimSpace(errb.Bytes()))
	return r
}

// vmHWM reads a process's peak resident set (KiB), 0 if unknown.
func vmHWM(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}

// TestLimitsStopInsideBuiltins runs the scripts of issue #15 that used to
// run for seconds to minutes or grow to gigabytes, each in its own process,
// and checks that the timeout or memory limit stops them promptly and
// within ~1.5x the limit. Bounds are generous (a shared machine): the
// failures they catch were 10x to 600x over.
func TestLimitsStopInsideBuiltins(t *testing.T) {
	if testing.Short() {
		t.Skip("runs subprocesses that use up to ~400 MiB")
	}
	const slack = 15 * time.Second
	for _, tc := range []struct {
		name, src string
		args      []string
		want      string // stderr regexp; "" means the run succeeds
		maxWall   time.Duration
		maxRSSMiB int64
	}{
		{"lazy pattern", `local s = ("a"):rep(40000); print(s:find(".-b"))`, []string{"--timeout", "1s"}, `timeout after 1s`, slack, 300},
		{"backtracking pattern", `print(("a"):rep(30):find(("a*"):rep(30) .. "b"))`, []string{"--timeout", "1s"}, `timeout after 1s`, slack, 300},
		{"endless tail call", `local function f() return f() end f()`, []string{"--timeout", "1s"}, `timeout after 1s`, slack, 600},
		{"pcall does not catch the timeout", `print(pcall(function() while true do end end)) print("after")`, []string{"--timeout", "500ms"}, `timeout after 500ms`, slack, 300},
		{"sparse key", `local t = {}; t[6e7] = true; t[5e6] = true; local n = 0; for _ in pairs(t) do n = n + 1 end; assert(n == 2)`, []string{"--mem-limit", "256M"}, ``, slack, 200},
		{"table.concat past the limit", `local s = ("x"):rep(1024 * 1024); local t = {}; for i = 1, 2000 do t[i] = s end; print(#table.concat(t))`, []string{"--mem-limit", "256M"}, `memory limit exceeded`, slack, 420},
		{"coroutine bomb", `local t = {}; for i = 1, 1e7 do t[i] = coroutine.create(function() end) end`, []string{"--mem-limit", "256M"}, `memory limit exceeded`, slack, 420},
		{"gsub doubling is linear", `local s = ("a"):rep(1e5):gsub("a", "aa"); assert(#s == 2e5)`, nil, ``, slack, 300},
		{"format width", `print(string.format("%99999999d", 1))`, nil, `invalid format \(width or precision too long\)`, slack, 300},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := runLimited(t, tc.src, tc.args...)
			if tc.want == "" {
				assert.Equal(t, 0, r.code, r.stderr)
			} else {
				assert.NotEqual(t, 0, r.code)
				assert.Regexp(t, tc.want, r.stderr)
			}
			assert.Less(t, r.wall, tc.maxWall, "took too long to stop")
			if r.rssMiB > 0 {
				assert.Less(t, r.rssMiB, tc.maxRSSMiB, "peak RSS")
			}
		})
	}
}

// TestPcallCannotCatchExit: pcall(os.exit, 3) exits with status 3.
func TestPcallCannotCatchExit(t *testing.T) {
	r := runLimited(t, `print(pcall(os.exit, 3)) print("after")`)
	assert.Equal(t, 3, r.code)
}
