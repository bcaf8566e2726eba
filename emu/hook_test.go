package emu

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// funcHook adapts functions to Hook.
type funcHook struct {
	before func(d *Device, op *Op) error
	after  func(d *Device, op *Op, err error) error
}

func (h funcHook) Before(d *Device, op *Op) error {
	if h.before == nil {
		return nil
	}
	return h.before(d, op)
}

func (h funcHook) After(d *Device, op *Op, err error) error {
	if h.after == nil {
		return err
	}
	return h.after(d, op, err)
}

func TestHookBeforeStops(t *testing.T) {
	d, err := NewChip("w25q128jv")
	require.NoError(t, err)
	var seen Op
	d.SetHook(funcHook{before: func(d *Device, op *Op) error {
		if op.Kind != OpProgram {
			return nil
		}
		seen = *op
		// Half the program lands, then power dies half-way through the op.
		if err := d.ApplyProgram(op.Off, op.Data[:len(op.Data)/2]); err != nil {
			return err
		}
		op.Dur /= 2
		d.PowerOff()
		return ErrPowerLoss
	}})
	require.NotNil(t, d.Hook())
	data := pattern(256, 1)
	full := d.Cost(OpProgram, 0, 256)
	err = d.Program(0, data)
	require.ErrorIs(t, err, ErrPowerLoss)
	assert.Equal(t, OpProgram, seen.Kind)
	assert.Equal(t, int64(256), seen.Len)
	assert.Equal(t, full, seen.Dur, "the hook sees the full duration")
	assert.Equal(t, full/2, d.Now(), "the clock advances by what the hook left in op.Dur")
	assert.EqualValues(t, 1, d.Stats().Interrupted)
	assert.EqualValues(t, 1, d.Stats().Failed)
	d.PowerOn()
	got := read(t, d, 0, 256)
	assert.Equal(t, data[:128], got[:128], "raw changes stay")
	assert.Equal(t, rep(0xff, 128), got[128:])
}

func TestHookAfterReplaces(t *testing.T) {
	d := mustNew(t, norCfg())
	injected := errors.New("after")
	d.SetHook(funcHook{after: func(d *Device, op *Op, err error) error {
		if op.Kind == OpErase {
			return injected
		}
		return err
	}})
	require.NoError(t, d.Program(0, rep(0, 4)))
	err := d.Erase(0, 4096)
	assert.ErrorIs(t, err, injected)
	assert.Equal(t, rep(0xff, 4), read(t, d, 0, 4), "the erase happened; only the result changed")
	d.SetHook(funcHook{after: func(d *Device, op *Op, err error) error { return nil }})
	assert.NoError(t, d.Program(0, rep(0, 4)))
	assert.NoError(t, d.Program(0, rep(0xff, 4)), "After may also clear an error")
	d.SetHook(nil)
	assert.Nil(t, d.Hook())
}

func TestHooksComposition(t *testing.T) {
	var log []string
	mk := func(name string, stop bool) Hook {
		return funcHook{
			before: func(d *Device, op *Op) error {
				log = append(log, name+".before")
				if stop {
					return fmt.Errorf("%s stopped", name)
				}
				return nil
			},
			after: func(d *Device, op *Op, err error) error {
				log = append(log, fmt.Sprintf("%s.after(%v)", name, err))
				return fmt.Errorf("%s wrapped", name)
			},
		}
	}
	d := mustNew(t, norCfg())
	d.SetHook(Hooks{mk("a", false), mk("b", false)})
	err := d.Read(0, make([]byte, 4))
	assert.EqualError(t, err, "b wrapped")
	assert.Equal(t, []string{"a.before", "b.before", "a.after(<nil>)", "b.after(a wrapped)"}, log)

	log = nil
	d.SetHook(Hooks{mk("a", true), mk("b", false)})
	err = d.Read(0, make([]byte, 4))
	assert.EqualError(t, err, "a stopped")
	assert.Equal(t, []string{"a.before"}, log, "first Before error wins; no After runs")
}

func TestSeq(t *testing.T) {
	d := mustNew(t, nandCfg())
	var seqs []uint64
	var kinds []OpKind
	d.SetHook(funcHook{before: func(d *Device, op *Op) error {
		seqs = append(seqs, op.Seq)
		kinds = append(kinds, op.Kind)
		return nil
	}})
	assert.Zero(t, d.Seq())
	require.NoError(t, d.Program(0, rep(0, 512)))
	_ = d.Program(1, rep(0, 512)) // rejected: no seq
	require.NoError(t, d.Read(0, make([]byte, 10)))
	require.NoError(t, d.Erase(4096, 4096))
	require.NoError(t, d.WriteOOB(1, []byte{0xff, 0}))
	require.NoError(t, d.ReadOOB(1, make([]byte, 2)))
	_, err := d.ReadPage(1, make([]byte, 512), make([]byte, 2))
	require.NoError(t, err)
	require.NoError(t, d.ProgramPage(2, rep(0, 512), nil))
	assert.Equal(t, []uint64{0, 1, 2, 3, 4, 5, 6}, seqs)
	assert.Equal(t, []OpKind{OpProgram, OpRead, OpErase, OpProgramOOB, OpReadOOB, OpRead, OpProgram}, kinds)
	assert.EqualValues(t, 7, d.Seq())
	for _, k := range kinds {
		assert.NotEqual(t, "op?", k.String())
	}
	assert.Equal(t, "op?", OpKind(99).String())
	assert.True(t, OpErase.Mutates())
	assert.False(t, OpReadOOB.Mutates())
}

func TestSnapshotIsolation(t *testing.T) {
	for _, c := range []Config{norCfg(), nandCfg()} {
		t.Run(c.Kind.String(), func(t *testing.T) {
			d := mustNew(t, c)
			require.NoError(t, d.Program(0, rep(0x11, 512)))
			require.NoError(t, d.XorFlips(2, []byte{1}))
			s := d.Snapshot()
			hs := s.StateHash()
			assert.Equal(t, d.StateHash(), hs)
			assert.Equal(t, d.Now(), s.Now())
			assert.Equal(t, d.Seq(), s.Seq())

			// Changes on the device after the snapshot do not leak into it.
			require.NoError(t, d.Erase(0, 4096))
			require.NoError(t, d.Program(0, rep(0x22, 512)))
			require.NoError(t, d.Program(8192, rep(0x33, 512)))
			require.NoError(t, d.Poke(1024, []byte{7}))
			assert.NotEqual(t, hs, d.StateHash())
			assert.Equal(t, hs, s.StateHash())

			e := FromSnapshot(s)
			assert.Equal(t, hs, e.StateHash())
			assert.Equal(t, rep(0x11, 2), peek(t, e, 0, 2))
			assert.Equal(t, rep(0xff, 4), peek(t, e, 8192, 4))
			assert.EqualValues(t, 0, e.Wear()[0])
			assert.Nil(t, e.Hook())

			// Changes on a restored device do not leak back.
			require.NoError(t, e.Erase(0, 4096))
			require.NoError(t, e.Program(4096, rep(0x44, 512)))
			assert.Equal(t, hs, s.StateHash())
			assert.Equal(t, rep(0x22, 2), peek(t, d, 0, 2))
			assert.Equal(t, rep(0xff, 2), peek(t, d, 4096, 2))

			// Restore rewinds everything, the clock and counters included.
			d.SetHook(funcHook{})
			require.NoError(t, d.Restore(s))
			assert.Equal(t, hs, d.StateHash())
			assert.Equal(t, s.Now(), d.Now())
			assert.EqualValues(t, 0, d.Wear()[0])
			assert.NotNil(t, d.Hook(), "the hook stays")
			assert.ErrorIs(t, d.Restore(nil), ErrInvalid)
			other := mustNew(t, norCfg(func(c *Config) { c.Size = 128 << 10 }))
			assert.ErrorIs(t, other.Restore(s), ErrInvalid)
			assert.Nil(t, FromSnapshot(nil))
		})
	}
}

func TestSnapshotParallel(t *testing.T) {
	d := mustNew(t, norCfg())
	for u := 0; u < 8; u++ {
		require.NoError(t, d.Program(int64(u)*4096, pattern(4096, byte(u))))
	}
	s := d.Snapshot()
	want := s.StateHash()
	const n = 8
	var wg sync.WaitGroup
	hashes := make([]uint64, n)
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			e := FromSnapshot(s)
			// Each device diverges differently; none may see the others.
			for r := 0; r < 20; r++ {
				u := int64((i + r) % 16)
				if err := e.Erase(u*4096, 4096); err != nil {
					errs[i] = err
					return
				}
				if err := e.Program(u*4096, rep(byte(i), 4096)); err != nil {
					errs[i] = err
					return
				}
				_ = e.Snapshot()
			}
			if err := e.Restore(s); err != nil {
				errs[i] = err
				return
			}
			hashes[i] = e.StateHash()
		}(i)
	}
	// The original keeps working concurrently too.
	for u := 0; u < 16; u++ {
		require.NoError(t, d.Erase(int64(u)*4096, 4096))
	}
	wg.Wait()
	for i := 0; i < n; i++ {
		require.NoError(t, errs[i])
		assert.Equal(t, want, hashes[i], "device %d", i)
	}
	assert.Equal(t, want, s.StateHash())
}

func TestStateHash(t *testing.T) {
	mk := func() *Device { return mustNew(t, norCfg()) }
	a, b := mk(), mk()
	assert.Equal(t, a.StateHash(), b.StateHash())
	require.NoError(t, a.Program(0, rep(0xff, 4)))
	assert.Equal(t, a.StateHash(), b.StateHash(), "programming the erase value changes nothing")
	require.NoError(t, a.Program(4, []byte{1, 2, 3, 4}))
	assert.NotEqual(t, a.StateHash(), b.StateHash())
	require.NoError(t, b.Program(4, []byte{1, 2, 3, 4}))
	assert.Equal(t, a.StateHash(), b.StateHash())
	require.NoError(t, b.Erase(0, 4096))
	require.NoError(t, b.Program(4, []byte{1, 2, 3, 4}))
	assert.Equal(t, a.StateHash(), b.StateHash(), "wear is not content")
	require.NoError(t, a.XorFlips(0, []byte{1}))
	assert.NotEqual(t, a.StateHash(), b.StateHash(), "bit errors are observable")
	require.NoError(t, a.XorFlips(0, []byte{1}))
	require.NoError(t, a.SetStuck(9, 1, true))
	assert.NotEqual(t, a.StateHash(), b.StateHash(), "stuck bits are observable")
	// Same content at another position differs.
	c, e := mk(), mk()
	require.NoError(t, c.Program(0, []byte{1, 2, 3, 4}))
	require.NoError(t, e.Program(4096, []byte{1, 2, 3, 4}))
	assert.NotEqual(t, c.StateHash(), e.StateHash())
}

// TestHooksObserverOrder: whatever the order of a Tracer and a hook that
// cuts in Before, the trace records the cut operation (not applied) with the
// cutter's note; a Tracer ahead of the cutter also saw its Before.
func TestHooksObserverOrder(t *testing.T) {
	tests := []struct {
		name  string
		chain func(tr *Tracer, cut Hook) Hook
	}{
		{"tracer first", func(tr *Tracer, cut Hook) Hook { return Hooks{tr, cut} }},
		{"tracer after the cutter", func(tr *Tracer, cut Hook) Hook { return Hooks{cut, tr} }},
		{"nested", func(tr *Tracer, cut Hook) Hook { return Hooks{Hooks{funcHook{}, tr}, Hooks{cut}} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			d := mustNew(t, norCfg())
			tr := NewTracer(&buf)
			var h Hook
			cut := funcHook{before: func(d *Device, op *Op) error {
				if op.Seq != 1 {
					return nil
				}
				for _, a := range Annotators(h) {
					a.Annotate("cut by the test")
				}
				d.PowerOff()
				return ErrPowerLoss
			}}
			h = tc.chain(tr, cut)
			d.SetHook(h)
			require.Len(t, Annotators(h), 1)
			require.NoError(t, d.Program(0, rep(0, 4)))
			require.ErrorIs(t, d.Program(4, rep(0, 4)), ErrPowerLoss)
			require.NoError(t, tr.Flush())
			recs := readTrace(t, buf.Bytes())
			require.Len(t, recs, 2)
			assert.True(t, recs[0].Applied)
			assert.Empty(t, recs[0].Fault)
			assert.False(t, recs[1].Applied)
			assert.Equal(t, -5, recs[1].Errno)
			assert.Equal(t, "cut by the test", recs[1].Fault)
		})
	}
	assert.Nil(t, Annotators(nil))
	assert.Nil(t, Annotators(funcHook{}))
}
