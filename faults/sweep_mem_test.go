package faults

import (
	"context"
	"fmt"
	"runtime"
	"runtime/metrics"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/internal/heap"
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

// PeakHeap is peakHeap for the external tests.
var PeakHeap = peakHeap

// peakHeap runs f while sampling the heap every 2 ms and once at the end,
// and returns the peak live heap (runtime/metrics /gc/heap/live:bytes: what
// the last GC found reachable) above the live heap before f, and the peak
// heap in use (runtime.ReadMemStats HeapInuse: live objects and garbage not
// yet collected; with GOGC=100 up to about twice the live heap) above the
// heap in use before f.
func peakHeap(f func()) (live, inuse uint64) {
	read := func() (live, inuse uint64) {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		metrics.Read(s)
		if s[0].Value.Kind() == metrics.KindUint64 {
			live = s[0].Value.Uint64()
		}
		return live, m.HeapInuse
	}
	runtime.GC()
	live0, inuse0 := read()
	stop, done := make(chan struct{}), make(chan [2]uint64)
	go func() {
		var peak [2]uint64
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			l, u := read()
			peak[0], peak[1] = max(peak[0], l), max(peak[1], u)
			select {
			case <-stop:
				done <- peak
				return
			case <-t.C:
			}
		}
	}()
	f()
	runtime.GC() // the last cycle's live heap
	close(stop)
	p := <-done
	return p[0] - min(live0, p[0]), p[1] - min(inuse0, p[1])
}

// TestMemoryLimitStopsRecording: a workload whose recording needs far more
// than Options.MemoryLimit (200k small writes, about 1 GB of cut points)
// stops with ErrMemoryLimit near the limit instead of growing past it.
func TestMemoryLimitStopsRecording(t *testing.T) {
	runtime.GC()
	limit := int64(heap.Bytes()) + 64<<20
	var err error
	_, peak := peakHeap(func() {
		_, err = Run(context.Background(), smallWritesSweep(200_000), Options{Jobs: 1, MemoryLimit: limit})
	})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrMemoryLimit)
	assert.Equal(t, -int(errno.ENOMEM), errno.Of(err))
	assert.Regexp(t, `^small: faults: sweep memory limit exceeded: heap \d+ MiB > \d+ MiB while recording cut points of level 1 at operation \d+ `, err.Error())
	assert.Less(t, peak, uint64(64<<20)+32<<20, "the heap stops near the limit (peak above the start)")
}

// TestMemoryLimitKeepsVerdicts: a limit the sweep stays under changes
// nothing in its result.
func TestMemoryLimitKeepsVerdicts(t *testing.T) {
	s := smallWritesSweep(300)
	s.Depth = 2
	s.Check = func(d *emu.Device, _ []any) error { return d.Program(4096*200, []byte{1, 2, 3, 4}) }
	a, err := Run(context.Background(), s, Options{Jobs: 2, NoShrink: true})
	require.NoError(t, err)
	b, err := Run(context.Background(), s, Options{Jobs: 2, NoShrink: true, MemoryLimit: int64(heap.Bytes()) + 512<<20})
	require.NoError(t, err)
	assert.Equal(t, a.Branches, b.Branches)
	assert.Equal(t, a.Unique, b.Unique)
	assert.Equal(t, a.Checked, b.Checked)
	assert.Equal(t, a.Failures, b.Failures)
	assert.Positive(t, a.Levels[1].Branches, "the recoveries were recorded")
}

// TestMemoryLimitStopsRecoveries: the limit also stops the recordings of
// recoveries (depth 2), and the checks not yet started do not run.
func TestMemoryLimitStopsRecoveries(t *testing.T) {
	s := smallWritesSweep(500)
	s.Depth = 2
	var ran atomic.Int64
	s.Check = func(d *emu.Device, _ []any) error {
		ran.Add(1)
		for i := int64(0); i < 64; i++ { // a recovery of 64 cut-point pairs, each copying a chunk
			if err := d.Program(512<<10+i*4096, []byte{1, 2, 3, 4}); err != nil {
				return err
			}
		}
		return nil
	}
	runtime.GC()
	limit := int64(heap.Bytes()) + 64<<20 // level 1 fits; its ~500 unique recoveries (~140 MB) do not
	_, err := Run(context.Background(), s, Options{Jobs: 2, NoShrink: true, MemoryLimit: limit})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrMemoryLimit)
	assert.Contains(t, err.Error(), "level 2")
	assert.Less(t, ran.Load(), int64(500), "the remaining checks were skipped")
}
