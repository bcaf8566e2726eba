package cli

import (
	"bytes"
	"testing"
	"time"

	"github.com/flashemu/flashemu/faults"
	"github.com/stretchr/testify/assert"
)

func TestProgressLine(t *testing.T) {
	tests := []struct {
		name string
		p    faults.Progress
		want string
	}{
		{"start", faults.Progress{Level: 1, Phase: "check", Done: 0, Total: 100, Elapsed: time.Second},
			"log L1 check [........................] 0/100 0% 0/s"},
		{"half with failures", faults.Progress{Level: 2, Phase: "check", Done: 50, Total: 100, Failed: 3, Elapsed: 2 * time.Second},
			"log L2 check [############............] 50/100 50% 25/s ETA 2s 3 failed"},
		{"done", faults.Progress{Level: 1, Phase: "branch", Done: 7, Total: 7, Elapsed: time.Second},
			"log L1 branch [########################] 7/7 100% 7/s"},
		{"record has no total", faults.Progress{Level: 1, Phase: "record"},
			"log L1 record [........................] 0/0 0% 0/s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, progressLine("log", tc.p, 0))
		})
	}
}

// On a narrow terminal the line never reaches the last column (which would
// wrap it and leave a stale row per redraw): the bar narrows, then goes,
// then the line is cut.
func TestProgressLineFitsTheTerminal(t *testing.T) {
	p := faults.Progress{Level: 1, Phase: "check", Done: 1234, Total: 3300, Failed: 12, Elapsed: 2 * time.Second}
	wide := progressLine("fcb_log_powercut_unit", p, 0)
	assert.Equal(t, "fcb_log_powercut_unit L1 check [########................] 1234/3300 37% 617/s ETA 3s 12 failed", wide)
	for _, cols := range []int{200, 80, 60, 40, 20, 1} {
		line := progressLine("fcb_log_powercut_unit", p, cols)
		assert.LessOrEqual(t, len(line), max(0, cols-1), "cols %d: %q", cols, line)
	}
	assert.Equal(t, wide, progressLine("fcb_log_powercut_unit", p, 200))
	assert.Equal(t, "fcb_log_powercut_unit L1 check [#######............] 1234/3300 37% 617/s ETA 3s 12 failed",
		progressLine("fcb_log_powercut_unit", p, 90))
	assert.Equal(t, "fcb_log_powercut_unit L1 check 1234/3300 37% 617/s ETA 3s 12 failed", progressLine("fcb_log_powercut_unit", p, 70))
}

func TestProgressETA(t *testing.T) {
	assert.Equal(t, "", progressETA(faults.Progress{Done: 0, Total: 10, Elapsed: time.Second}))
	assert.Equal(t, "", progressETA(faults.Progress{Done: 10, Total: 10, Elapsed: time.Second}))
	assert.Equal(t, "<1s", progressETA(faults.Progress{Done: 99, Total: 100, Elapsed: time.Second}))
	assert.Equal(t, "1m30s", progressETA(faults.Progress{Done: 10, Total: 100, Elapsed: 10 * time.Second}))
}

func TestColors(t *testing.T) {
	env := func(kv ...string) func(string) string {
		return func(k string) string {
			for i := 0; i+1 < len(kv); i += 2 {
				if kv[i] == k {
					return kv[i+1]
				}
			}
			return ""
		}
	}
	on := colors{on: true}
	assert.Equal(t, "\x1b[1;31mFAIL\x1b[0m", on.fail("FAIL"))
	assert.Equal(t, "\x1b[32mPASS\x1b[0m", on.pass("PASS"))
	assert.Equal(t, "\x1b[1mlog:1b:1\x1b[0m", on.id("log:1b:1"))
	assert.Equal(t, "FAIL", colors{}.fail("FAIL"))
	var b bytes.Buffer
	assert.False(t, colorsFor(&b, env()).on, "not a terminal")
	assert.False(t, colorsFor(&b, env("NO_COLOR", "1")).on)
}

func TestProgressBarDrawsAndClears(t *testing.T) {
	var b bytes.Buffer
	p := &progressBar{w: &b}
	p.clear() // nothing drawn: nothing to clear
	assert.Empty(t, b.String())
	p.update("s", faults.Progress{Level: 1, Phase: "check", Done: 1, Total: 2, Elapsed: time.Second})
	p.update("s", faults.Progress{Level: 1, Phase: "done"})
	p.clear()
	assert.Equal(t, "\r\x1b[Ks L1 check [############............] 1/2 50% 1/s ETA 1s\r\x1b[K", b.String())
	assert.False(t, isTerminal(&b))
}
