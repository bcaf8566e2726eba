package cli_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// flashemuBinary builds cmd/flashemu once into a temporary directory.
func flashemuBinary(b testing.TB) string {
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "flashemu-bench")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "flashemu")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/flashemu/flashemu/cmd/flashemu").CombinedOutput()
		if err != nil {
			buildErr = &buildError{err, string(out)}
		}
	})
	if buildErr != nil {
		b.Fatal(buildErr)
	}
	return binPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// BenchmarkRunEmptyScript is the wall time of `flashemu run empty.lua`,
// process start to exit (target: under 30 ms).
func BenchmarkRunEmptyScript(b *testing.B) {
	bin := flashemuBinary(b)
	script := filepath.Join(b.TempDir(), "empty.lua")
	if err := os.WriteFile(script, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		out, err := exec.Command(bin, "run", script).CombinedOutput()
		total += time.Since(start)
		if err != nil {
			b.Fatalf("%v: %s", err, out)
		}
	}
	b.ReportMetric(float64(total.Microseconds())/float64(b.N)/1000, "ms/run")
}
