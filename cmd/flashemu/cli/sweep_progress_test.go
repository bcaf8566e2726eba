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
			"log L2 check [############............] 50/100 50% 25/s 3 failed"},
		{"done", faults.Progress{Level: 1, Phase: "branch", Done: 7, Total: 7, Elapsed: time.Second},
			"log L1 branch [########################] 7/7 100% 7/s"},
		{"record has no total", faults.Progress{Level: 1, Phase: "record"},
			"log L1 record [........................] 0/0 0% 0/s"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, progressLine("log", tc.p))
		})
	}
}

func TestProgressBarDrawsAndClears(t *testing.T) {
	var b bytes.Buffer
	p := &progressBar{w: &b}
	p.clear() // nothing drawn: nothing to clear
	assert.Empty(t, b.String())
	p.update("s", faults.Progress{Level: 1, Phase: "check", Done: 1, Total: 2, Elapsed: time.Second})
	p.update("s", faults.Progress{Level: 1, Phase: "done"})
	p.clear()
	assert.Equal(t, "\r\x1b[Ks L1 check [############............] 1/2 50% 1/s\r\x1b[K", b.String())
	assert.False(t, isTerminal(&b))
}
