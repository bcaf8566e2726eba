package faults_test

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTimeCutClockAtTheInstant: a time cut's branch resumes at the cut
// instant T — inside an operation (torn or a read) and in idle time the
// workload spent with Advance — not at the interrupted operation's start or
// after the idle gap. Depth 2 cuts its recovery at instants counted from T.
func TestTimeCutClockAtTheInstant(t *testing.T) {
	const every = 1_000_000
	s := logSweep("clock", 6, false)
	s.Cuts = faults.Cuts{Mode: faults.CutTime, EveryNs: every}
	s.Depth = 2
	var endNs atomic.Int64 // when the workload returned (the "end" cut's clock)
	s.Check = func(d *emu.Device, acked []any) error {
		// A cut instant, or the end cut's clock (and its recovery's cut
		// instants, counted from there).
		if d.Now()%every != 0 && (d.Now()-endNs.Load())%every != 0 {
			return fmt.Errorf("branch clock %d ns is not a cut instant", d.Now())
		}
		return recoverAndCheck(d, acked)
	}
	inner := s.Workload
	s.Workload = func(d *emu.Device, ack func(any)) error {
		if err := inner(d, ack); err != nil {
			return err
		}
		d.Advance(3*every + every/2) // idle: three instants fall in the gap
		err := d.Erase(8192, 4096)   // 45 ms: many instants inside it
		endNs.Store(d.Now())
		return err
	}
	r := run(t, s, faults.Options{Jobs: 2, ListBranches: true})
	require.True(t, r.OK(), "%v", failureIDs(r))
	require.Len(t, r.Levels, 2)
	assert.Positive(t, r.Levels[1].Checked)

	n := 0
	for _, b := range r.List {
		if b.Depth != 1 || b.Verdict == "dup" {
			continue
		}
		id, err := faults.ParseBranchID(b.ID)
		require.NoError(t, err)
		T := id.Cuts[0].AtNs
		if id.Cuts[0].Kind == faults.AtEnd {
			T = endNs.Load() // the end cut resumes when the workload returned
		} else {
			require.Equal(t, faults.AtTime, id.Cuts[0].Kind, b.ID)
		}
		rep, err := faults.Replay(s, b.ID, faults.ReplayOptions{})
		require.NoError(t, err)
		assert.Equal(t, T, rep.Before.Now(), "%s: the replayed branch resumes at the instant", b.ID)
		n++
	}
	assert.Greater(t, n, 40)
}

// TestSweepSeedDecidesUnstableReads: a branch's check reads unstable bits
// from a generator seeded by the branch seed: the same ID reads the same
// values on every replay, another sweep seed reads others from the same
// state.
func TestSweepSeedDecidesUnstableReads(t *testing.T) {
	var got []byte
	s := &faults.Sweep{
		Name:   "unstable",
		Device: logDevice,
		Setup: func(d *emu.Device) error {
			if err := d.Program(0, make([]byte, 64)); err != nil {
				return err
			}
			return d.SetUnstable(0, bytes.Repeat([]byte{0xff}, 64))
		},
		Workload: func(d *emu.Device, ack func(any)) error { return d.Program(4096, []byte{1, 2, 3, 4}) },
		Check: func(d *emu.Device, acked []any) error {
			got = make([]byte, 64)
			return d.Read(0, got)
		},
	}
	reads := func(id string) ([]byte, uint64) {
		rep, err := faults.Replay(s, id, faults.ReplayOptions{})
		require.NoError(t, err)
		require.NoError(t, rep.Err)
		return got, rep.Before.StateHash()
	}
	a, ha := reads("unstable:0b:1")
	b, hb := reads("unstable:0b:1")
	c, hc := reads("unstable:0b:2")
	assert.Equal(t, a, b, "same branch, same reads")
	assert.Equal(t, ha, hc, "the seed does not change a cut-before state")
	assert.Equal(t, ha, hb)
	assert.NotEqual(t, a, c, "the sweep seed decides the unstable reads")
}
