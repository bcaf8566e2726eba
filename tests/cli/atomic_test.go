package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWritesSurviveAKill kills flashemu (SIGKILL) while it is writing a
// file — caught in the act: the temporary file next to the target exists —
// and checks that the target still holds its old content or a complete new
// one, never a torn mix. Each case is one of the write paths: images
// through emu's SaveImage (dev:save, image replay -o), streamed traces
// (dev:trace, --trace) and whole files (reports, JUnit, dumps).
func TestWritesSurviveAKill(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL")
	}
	tests := []struct {
		name   string
		args   []string
		script string
		target string
		old    string
		// intact reports whether a non-old content is a complete file.
		intact func(t *testing.T, b []byte)
	}{
		{
			name:   "dev:save of a 32 MiB image, saved over and over",
			args:   []string{"run", "save.lua"},
			target: "img.bin",
			script: `
local dev = flash.nor{size = 32 * 1024 * 1024, sector = 65536, timing = false}
local i = 0
while true do
  i = i + 1
  local mark = ("%08d"):format(i)
  dev:poke(0, mark) dev:poke(dev:info().size - 8, mark)
  assert(dev:save("img.bin", {sidecar = true}))
end`,
			intact: func(t *testing.T, b []byte) {
				require.Len(t, b, 32<<20, "a complete image")
				assert.Equal(t, string(b[:8]), string(b[len(b)-8:]), "head and tail of the same save")
			},
		},
		{
			name:   "--trace of a script writing forever",
			args:   []string{"run", "--trace", "t.jsonl", "--nor", "size=64K,sector=4K", "trace.lua"},
			target: "t.jsonl",
			script: `
local i = 0
while true do
  i = i + 1
  dev:erase(0, 4096)
  dev:write(0, ("%08d"):format(i))
end`,
			intact: func(t *testing.T, b []byte) { t.Fatalf("the trace of a killed run replaced the old file: %.100q", b) },
		},
		{
			name:   "report.wear SVG rewritten over and over",
			args:   []string{"run", "report.lua"},
			target: "w.svg",
			script: `
local counts = {}
for i = 1, 60000 do counts[i] = i % 977 end
while true do assert(report.wear{counts = counts, svg = "w.svg"}) end`,
			intact: func(t *testing.T, b []byte) {
				assert.True(t, bytes.HasPrefix(b, []byte("<svg")) && bytes.HasSuffix(b, []byte("</svg>\n")), "a complete SVG")
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			script := tc.args[len(tc.args)-1]
			require.NoError(t, os.WriteFile(filepath.Join(dir, script), []byte(tc.script), 0o644))
			old := "old content\n"
			require.NoError(t, os.WriteFile(filepath.Join(dir, tc.target), []byte(old), 0o644))
			kills := 0
			for attempt := 0; attempt < 3; attempt++ {
				cmd := exec.Command("flashemu", tc.args...)
				cmd.Dir = dir
				var stderr bytes.Buffer
				cmd.Stderr = &stderr
				before := temps(dir, tc.target)
				require.NoError(t, cmd.Start())
				caught := waitForTemp(dir, tc.target, before, 60*time.Second)
				require.NoError(t, cmd.Process.Kill())
				_ = cmd.Wait()
				require.True(t, caught, "no write in progress seen; stderr: %s", stderr.String())
				kills++
				b, err := os.ReadFile(filepath.Join(dir, tc.target))
				require.NoError(t, err)
				if string(b) != old {
					tc.intact(t, b)
				}
			}
			left, _ := filepath.Glob(filepath.Join(dir, "."+tc.target+".tmp*"))
			t.Logf("%d kills mid-write, %d temporary files left behind", kills, len(left))
			assert.NotEmpty(t, left, "the kills landed while a temporary file was being written")
		})
	}
}

// temps lists the temporary files of target in dir.
func temps(dir, target string) map[string]bool {
	matches, _ := filepath.Glob(filepath.Join(dir, "."+target+".tmp*"))
	out := map[string]bool{}
	for _, m := range matches {
		out[m] = true
	}
	return out
}

// waitForTemp polls dir until a new temporary file of target
// (".TARGET.tmp*", not in old) exists and holds data, or the timeout passes.
func waitForTemp(dir, target string, old map[string]bool, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		for m := range temps(dir, target) {
			if old[m] {
				continue
			}
			if st, err := os.Stat(m); err == nil && st.Size() > 0 {
				return true
			}
		}
		time.Sleep(200 * time.Microsecond)
	}
	return false
}
