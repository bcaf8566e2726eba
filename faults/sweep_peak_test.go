package faults_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/fcb"
)

// fcbDepth2Unit is a depth-2 unit-cut sweep of a ~200-operation FCB
// scenario, the Go twin of the Lua one of issue 13: 60 records of 16 to 111
// bytes on a 3-sector (12 KiB) nRF52840 FCB; the check mounts the FCB,
// walks it and appends a boot record, so every recovery is swept again.
// Torn FCB writes make some branches fail; only the memory matters here.
func fcbDepth2Unit() *faults.Sweep {
	filler := strings.Repeat("abcdefghijklmnopqrstuvwxyz0123456789", 4)
	record := func(i int) []byte {
		p := fmt.Appendf(nil, "seq=%05d;%s", i, filler[:2+(i*37)%96])
		return binary.LittleEndian.AppendUint32(p, crc32.ChecksumIEEE(p))
	}
	device := func() (*emu.Device, error) {
		c, err := emu.Chip("nrf52840")
		if err != nil {
			return nil, err
		}
		c.Size = 12 << 10
		return emu.New(c)
	}
	return &faults.Sweep{
		Name:   "fcb200u",
		Device: device,
		Workload: func(d *emu.Device, ack func(any)) error {
			log, err := fcbMount(d)
			if err != nil {
				return err
			}
			for i := 1; i <= 60; i++ {
				if _, err := log.Push(record(i)); err != nil {
					return err
				}
				ack(i)
			}
			return nil
		},
		Check: func(d *emu.Device, acked []any) error {
			log, err := fcbMount(d)
			if err != nil {
				return err
			}
			n := 0
			if err := log.Walk(func(fcb.Loc) error { n++; return nil }); err != nil {
				return err
			}
			if n < len(acked) {
				return fmt.Errorf("%d entries, %d acked", n, len(acked))
			}
			_, err = log.Push(record(99999))
			return err
		},
		Cuts:  faults.Cuts{Mode: faults.CutUnit},
		Depth: 2,
		Seed:  1,
	}
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
	live, inuse := faults.PeakHeap(func() {
		r, err = faults.Run(context.Background(), fcbDepth2Unit(), faults.Options{Jobs: 2, NoShrink: true})
	})
	require.NoError(t, err)
	t.Logf("ops=%d branches=%d checked=%d failed=%d peak live heap %.1f MB, heap in use %.1f MB",
		r.WorkloadOps, r.Branches, r.Checked, r.Failed, float64(live)/1e6, float64(inuse)/1e6)
	assert.Less(t, live, uint64(100e6), "peak live heap")
}

// BenchmarkSweepFCBDepth2UnitPeak reports the peak live heap and heap in use (MB) of the
// depth-2 unit sweep of the 200-operation FCB scenario.
func BenchmarkSweepFCBDepth2UnitPeak(b *testing.B) {
	var live, inuse uint64
	var r *faults.Result
	for b.Loop() {
		var err error
		l, u := faults.PeakHeap(func() {
			r, err = faults.Run(context.Background(), fcbDepth2Unit(), faults.Options{Jobs: 2, NoShrink: true})
		})
		if err != nil {
			b.Fatal(err)
		}
		live, inuse = max(live, l), max(inuse, u)
	}
	b.ReportMetric(float64(live)/1e6, "peak-live-MB")
	b.ReportMetric(float64(inuse)/1e6, "peak-inuse-MB")
	b.ReportMetric(float64(r.Branches), "branches")
}
