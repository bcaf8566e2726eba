package faults

import (
	"context"
	"fmt"
	"runtime"
	"testing"

	"github.com/flashemu/flashemu/emu"
)

// smallWritesSweep is a workload of n 16-byte programs over a 1 MiB NOR,
// wrapping around (each 4 KiB unit is erased before it is written again).
func smallWritesSweep(n int) *Sweep {
	return &Sweep{
		Name: "small",
		Device: func() (*emu.Device, error) {
			return emu.New(emu.Config{Kind: emu.NOR, Size: 1 << 20, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff})
		},
		Workload: func(d *emu.Device, ack func(any)) error {
			var rec [16]byte
			for i := 0; i < n; i++ {
				off := int64(i*16) % d.Size()
				if off%4096 == 0 && int64(i*16) >= d.Size() {
					if err := d.Erase(off, 4096); err != nil {
						return err
					}
				}
				rec[0], rec[1], rec[2] = byte(i), byte(i>>8), byte(i>>16)
				if err := d.Program(off, rec[:]); err != nil {
					return err
				}
			}
			return nil
		},
		Check: func(*emu.Device, []any) error { return nil },
	}
}

// recordOnly runs the level-1 recording of s (what a sweep keeps before its
// first check) and returns the recorder and the live heap it added.
func recordOnly(tb testing.TB, s *Sweep) (*recorder, uint64) {
	tb.Helper()
	e := newEngine(s, Options{Jobs: 1})
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	before := ms.HeapAlloc
	var rec *recorder
	_, _, err := runWorkload(context.Background(), s, 0, func(d *emu.Device, acked *[]any) emu.Hook {
		e.inf = infoOf(d)
		rec = newRecorder(&e.engineCfg, nil, s.Seed, 1, func() int { return len(*acked) }, d.Now())
		return rec
	})
	if err != nil {
		tb.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return rec, ms.HeapAlloc - min(before, ms.HeapAlloc)
}

// BenchmarkRecordSmallWrites records workloads of 10k, 100k and 1M 16-byte
// programs on a 1 MiB NOR (op cuts: a cut before and after each) and
// reports the live heap the recording holds per workload operation
// (B/recorded-op), and that minus the 4 KiB chunk each program's
// copy-on-write pins (overhead-B/op).
func BenchmarkRecordSmallWrites(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("ops=%d", n), func(b *testing.B) {
			s := smallWritesSweep(n)
			var per float64
			for b.Loop() {
				rec, heap := recordOnly(b, s)
				per = float64(heap) / float64(rec.mut)
				runtime.KeepAlive(rec)
			}
			b.ReportMetric(per, "B/recorded-op")
			b.ReportMetric(per-4096, "overhead-B/op")
		})
	}
}
