package faults_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flashemu/flashemu/faults"
)

// peakHeap runs f while sampling the heap in use (runtime.ReadMemStats
// every 2 ms and once at the end) and returns the peak above the heap in
// use before f.
func peakHeap(f func()) uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	stop, done := make(chan struct{}), make(chan uint64)
	go func() {
		var m runtime.MemStats
		peak := uint64(0)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	f()
	close(stop)
	peak := <-done
	return peak - min(base, peak)
}

// fcbDepth2Unit is a depth-2 unit-cut sweep of a ~200-operation FCB
// scenario whose check writes a boot entry (so every recovery is swept
// again). Torn FCB writes make some branches fail; only the memory matters
// here.
func fcbDepth2Unit() *faults.Sweep {
	s := fcbSweep("fcb200u", 66, fcbBootCheck)
	s.Cuts = faults.Cuts{Mode: faults.CutUnit}
	s.Depth = 2
	return s
}

// TestSweepFCBDepth2UnitPeakHeap: the depth-2 unit sweep of the
// 200-operation FCB scenario stays under 100 MB of heap in use (it peaked
// at 379 MB RSS when every snapshot copied the top-level tables).
func TestSweepFCBDepth2UnitPeakHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("a full depth-2 sweep")
	}
	var r *faults.Result
	var err error
	peak := peakHeap(func() {
		r, err = faults.Run(context.Background(), fcbDepth2Unit(), faults.Options{Jobs: 2, NoShrink: true})
	})
	require.NoError(t, err)
	t.Logf("ops=%d branches=%d checked=%d failed=%d peak heap %.1f MB", r.WorkloadOps, r.Branches, r.Checked, r.Failed, float64(peak)/1e6)
	assert.Less(t, peak, uint64(100e6), "peak heap in use")
}

// BenchmarkSweepFCBDepth2UnitPeak reports the peak heap in use (MB) of the
// depth-2 unit sweep of the 200-operation FCB scenario.
func BenchmarkSweepFCBDepth2UnitPeak(b *testing.B) {
	var peak uint64
	var r *faults.Result
	for b.Loop() {
		var err error
		peak = max(peak, peakHeap(func() { r, err = faults.Run(context.Background(), fcbDepth2Unit(), faults.Options{Jobs: 2, NoShrink: true}) }))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(peak)/1e6, "peak-MB")
	b.ReportMetric(float64(r.Branches), "branches")
}
