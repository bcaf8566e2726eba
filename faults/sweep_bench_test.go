package faults_test

import (
	"context"
	"testing"
	"time"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
)

// fcbEntries1000 gives an FCB workload of about 1,000 flash operations.
const fcbEntries1000 = 330

// plainWorkloadNs is the workload's own run time (no recording hook).
func plainWorkloadNs(b *testing.B, s *faults.Sweep) int64 {
	best := int64(1 << 62)
	for i := 0; i < 5; i++ {
		d, err := s.Device()
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		if err := s.Workload(d, func(any) {}); err != nil {
			b.Fatal(err)
		}
		best = min(best, time.Since(t0).Nanoseconds())
	}
	return best
}

func sweepOnce(b *testing.B, s *faults.Sweep, jobs int) *faults.Result {
	r, err := faults.Run(context.Background(), s, faults.Options{Jobs: jobs})
	if err != nil {
		b.Fatal(err)
	}
	if !r.OK() {
		b.Fatalf("sweep failed: %v", r.Failures[0])
	}
	return r
}

// BenchmarkSweepFCBOp is a single-cut op sweep of an FCB scenario of about
// 1,000 flash operations with fcb_init + full walk + CRC checks per branch.
// Metrics: branches/s (checked branches per wall second), overhead = sweep
// wall time ÷ (plain workload time + sum of check times), and the op count.
func BenchmarkSweepFCBOp(b *testing.B) {
	s := fcbSweep("fcb1000", fcbEntries1000, fcbCheck)
	plain := plainWorkloadNs(b, s)
	for _, jobs := range []int{1, 2} {
		b.Run(map[int]string{1: "jobs=1", 2: "jobs=2"}[jobs], func(b *testing.B) {
			var r *faults.Result
			var wall, checks, checked int64
			for b.Loop() {
				r = sweepOnce(b, s, jobs)
				wall += r.WallNs
				checks += r.CheckNs
				checked += int64(r.Checked)
			}
			n := float64(b.N)
			b.ReportMetric(float64(checked)/(float64(wall)/1e9), "branches/s")
			b.ReportMetric(float64(wall)/(n*float64(plain)+float64(checks)), "overhead")
			b.ReportMetric(float64(r.WorkloadOps), "ops")
			b.ReportMetric(float64(r.Checked), "checked")
			b.ReportMetric(float64(r.Deduped), "deduped")
		})
	}
}

// BenchmarkSweepFCBSpeedup times the same sweep with 1 and 2 jobs,
// interleaved, and reports the speed-up.
func BenchmarkSweepFCBSpeedup(b *testing.B) {
	s := fcbSweep("fcb1000", fcbEntries1000, fcbCheck)
	var one, two int64
	for b.Loop() {
		one += sweepOnce(b, s, 1).WallNs
		two += sweepOnce(b, s, 2).WallNs
	}
	b.ReportMetric(float64(one)/float64(two), "speedup")
}

// BenchmarkSweepFCBDepth2 is a depth-2 sweep of a ~200-operation FCB
// scenario whose check writes a boot entry (so its recovery has cut points).
func BenchmarkSweepFCBDepth2(b *testing.B) {
	s := fcbSweep("fcb200", 66, fcbBootCheck)
	s.Depth = 2
	var r *faults.Result
	for b.Loop() {
		r = sweepOnce(b, s, 2)
	}
	b.ReportMetric(float64(r.WorkloadOps), "ops")
	b.ReportMetric(float64(r.Branches), "branches")
	b.ReportMetric(float64(r.Checked), "checked")
	b.ReportMetric(float64(r.Deduped), "deduped")
	b.ReportMetric(float64(r.WallNs)/1e9, "wall_s")
}

// BenchmarkSweepUnitTlog is a unit sweep (torn variants materialised in the
// workers) of the small log.
func BenchmarkSweepUnitTlog(b *testing.B) {
	s := logSweep("unit", 100, false)
	s.Cuts = faults.Cuts{Mode: faults.CutUnit}
	var r *faults.Result
	for b.Loop() {
		r = sweepOnce(b, s, 2)
	}
	b.ReportMetric(float64(r.Checked)/(float64(r.WallNs)/1e9), "branches/s")
	b.ReportMetric(float64(r.Branches), "branches")
}

var _ = emu.NOR
