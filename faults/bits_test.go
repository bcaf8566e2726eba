package faults_test

import (
	"bytes"
	"errors"
	"math/bits"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/faults"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlipAndStuck(t *testing.T) {
	d := newNOR(t, 0xff, 1, spiTiming())
	inj, err := faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{
		faults.Flip(10, 3), faults.Stuck(20, 0, 0), faults.Stuck(21, 7, 1)}})
	require.NoError(t, err)
	buf := make([]byte, 32)
	require.NoError(t, d.Read(0, buf))
	assert.Equal(t, byte(0xff^0x08), buf[10])
	assert.Equal(t, byte(0xfe), buf[20])
	require.NoError(t, d.Program(16, bytes.Repeat([]byte{0x00}, 8)))
	require.NoError(t, d.Read(0, buf))
	assert.Equal(t, byte(0x00), buf[20])
	assert.Equal(t, byte(0x80), buf[21], "stuck at 1: program cannot clear it")
	require.NoError(t, d.Erase(0, 4096))
	require.NoError(t, d.Read(0, buf))
	assert.Equal(t, byte(0xff), buf[10], "erase clears a flip")
	assert.Equal(t, byte(0xfe), buf[20], "erase cannot set a bit stuck at 0")
	assert.Len(t, inj.EventsOf(faults.EvFlip), 1)
	assert.Len(t, inj.EventsOf(faults.EvStuck), 2)
}

func TestReadDisturbGrowsAndProgramsErasedBits(t *testing.T) {
	d := newNOR(t, 0xff, 1, spiTiming())
	half := bytes.Repeat([]byte{0x0f}, 4096) // half the bits programmed
	require.NoError(t, d.Program(0, half))
	inj, err := faults.Attach(d, faults.Plan{Seed: 4, Faults: []faults.Fault{faults.ReadDisturb(0.001, 100)}})
	require.NoError(t, err)
	buf := make([]byte, 16)
	for i := 0; i < 2000; i++ {
		require.NoError(t, d.Read(0, buf))
	}
	evs := inj.EventsOf(faults.EvDisturb)
	require.NotEmpty(t, evs)
	// The probability grows with reads since erase: most flips come late.
	late := 0
	for _, e := range evs {
		if e.Seq >= 1000 {
			late++
		}
	}
	assert.Greater(t, late, len(evs)/2)
	got := make([]byte, 4096)
	require.NoError(t, d.Read(0, got))
	for i, b := range got {
		assert.Zero(t, b&^0x0f, "disturb only programs erased bits (byte %d)", i) // bits 4-7 were erased; they may drop
		assert.Equal(t, byte(0x0f), b&0x0f|0x0f)
	}
	assert.Equal(t, len(evs), d.FlipCount(0, 4096))
	require.NoError(t, d.Erase(0, 4096))
	assert.Zero(t, d.FlipCount(0, 4096), "erase clears disturb errors")
}

func TestRetentionAgesWithTimeAndWear(t *testing.T) {
	flips := func(wear int) int {
		d := newNOR(t, 0xff, 1, spiTiming())
		for i := 0; i < wear; i++ {
			require.NoError(t, d.Erase(0, 4096))
		}
		require.NoError(t, d.Program(0, make([]byte, 4096)))
		inj, err := faults.Attach(d, faults.Plan{Seed: 2, Faults: []faults.Fault{faults.Retention(0.01, 100)}})
		require.NoError(t, err)
		buf := make([]byte, 4096)
		require.NoError(t, d.Read(0, buf))
		assert.Empty(t, inj.EventsOf(faults.EvRetention), "no time passed")
		inj.Advance(3600e9) // one hour: λ = 36 × (1 + wear/100)
		require.NoError(t, d.Read(0, buf))
		n := 0
		for _, b := range buf {
			n += bits.OnesCount8(b) // programmed bits (0) that read 1 lost their charge
		}
		assert.Equal(t, len(inj.EventsOf(faults.EvRetention)), n)
		return n
	}
	fresh, worn := flips(0), flips(300)
	assert.InDelta(t, 36, fresh, 36)
	assert.Greater(t, worn, 2*fresh, "worn units lose charge faster")
}

func TestWearOutModes(t *testing.T) {
	t.Run("erase_fail", func(t *testing.T) {
		var limits []int
		for u := 0; u < 16; u++ {
			d := newNOR(t, 0xff, 1, spiTiming())
			inj, err := faults.Attach(d, faults.Plan{Seed: 9, Faults: []faults.Fault{faults.WearOut(50, 0.2, faults.EraseFail)}})
			require.NoError(t, err)
			off := int64(u) * 4096
			n := 0
			for ; n < 200; n++ {
				if err := d.Erase(off, 4096); err != nil {
					require.ErrorIs(t, err, faults.ErrInjected)
					assert.Equal(t, -5, errno.Of(err))
					break
				}
			}
			assert.GreaterOrEqual(t, n, 40)
			assert.LessOrEqual(t, n, 60)
			limits = append(limits, n)
			require.Len(t, inj.EventsOf(faults.EvWorn), 1)
			assert.Equal(t, uint32(n+1), d.EraseCount(u), "the failed erase still wore the unit")
		}
		distinct := map[int]bool{}
		for _, l := range limits {
			distinct[l] = true
		}
		assert.Greater(t, len(distinct), 3, "endurance is drawn per unit: %v", limits)
	})
	t.Run("program_fail", func(t *testing.T) {
		d := newNOR(t, 0xff, 1, spiTiming())
		_, err := faults.Attach(d, faults.Plan{Seed: 9, Faults: []faults.Fault{faults.WearOut(3, 0, faults.ProgramFail)}})
		require.NoError(t, err)
		for i := 0; i < 2; i++ {
			require.NoError(t, d.Erase(0, 4096))
			require.NoError(t, d.Program(0, []byte{1, 2}))
		}
		require.NoError(t, d.Erase(0, 4096)) // the third cycle completes the endurance
		err = d.Program(0, []byte{1, 2})
		require.ErrorIs(t, err, faults.ErrInjected)
		require.NoError(t, d.Program(4096, []byte{1}), "other units are fine")
	})
	t.Run("stuck_bits", func(t *testing.T) {
		d := newNOR(t, 0xff, 1, spiTiming())
		inj, err := faults.Attach(d, faults.Plan{Seed: 9, Faults: []faults.Fault{faults.WearOut(5, 0, faults.StuckBits)}})
		require.NoError(t, err)
		buf := make([]byte, 4096)
		for i := 0; i < 8; i++ {
			require.NoError(t, d.Erase(0, 4096))
		}
		require.NoError(t, d.Read(0, buf))
		zeros := 0
		for _, b := range buf {
			zeros += 8 - bits.OnesCount8(b)
		}
		assert.Equal(t, 3, len(inj.EventsOf(faults.EvStuck)))
		assert.LessOrEqual(t, zeros, 3)
		assert.Positive(t, zeros, "erased unit reads programmed bits where they stuck")
	})
	t.Run("bad_block", func(t *testing.T) {
		d := newNAND(t, 4, 0)
		inj, err := faults.Attach(d, faults.Plan{Seed: 9, Faults: []faults.Fault{faults.WearOut(2, 0, faults.BadBlock)}})
		require.NoError(t, err)
		require.NoError(t, d.Erase(4096, 4096))
		require.NoError(t, d.Erase(4096, 4096))
		require.ErrorIs(t, d.Erase(4096, 4096), faults.ErrInjected)
		assert.True(t, d.IsBad(1))
		require.ErrorIs(t, d.Erase(4096, 4096), emu.ErrBadBlock)
		require.ErrorIs(t, d.Program(4096, make([]byte, 512)), emu.ErrBadBlock)
		assert.Len(t, inj.EventsOf(faults.EvBadBlock), 1)

		nor := newNOR(t, 0xff, 1, spiTiming())
		_, err = faults.Attach(nor, faults.Plan{Faults: []faults.Fault{faults.WearOut(2, 0, faults.BadBlock)}})
		require.ErrorIs(t, err, faults.ErrBadPlan)
	})
}

func TestOperationFailures(t *testing.T) {
	d := newNOR(t, 0xff, 1, spiTiming())
	inj, err := faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{
		faults.FailNth(faults.TargetProgram, 3, -28),
		faults.FailNth(faults.TargetRead, 2, 0),
		faults.FailNth(faults.TargetErase, 1, -5).WithPartial(0.8),
	}})
	require.NoError(t, err)
	require.NoError(t, d.Program(0, []byte{1}))
	require.NoError(t, d.Program(1, []byte{2}))
	err = d.Program(2, []byte{3})
	require.ErrorIs(t, err, faults.ErrInjected)
	assert.Equal(t, -28, errno.Of(err))
	require.True(t, d.Powered(), "a failure is not a power cut")
	require.NoError(t, d.Program(2, []byte{3}), "nth fires once")

	buf := make([]byte, 4)
	require.NoError(t, d.Read(0, buf))
	err = d.Read(0, buf)
	assert.Equal(t, -5, errno.Of(err))

	require.NoError(t, d.Program(4096, make([]byte, 4096)))
	err = d.Erase(4096, 4096)
	require.ErrorIs(t, err, faults.ErrInjected)
	got := make([]byte, 4096)
	require.NoError(t, d.Peek(4096, got))
	erasedBits := 0
	for _, b := range got {
		erasedBits += bits.OnesCount8(b)
	}
	assert.Positive(t, erasedBits, "partial work happened (preprogram then part of the erase)")
	assert.Less(t, erasedBits, 4096*8)
	assert.Len(t, inj.EventsOf(faults.EvFail), 3)
	assert.Len(t, inj.EventsOf(faults.EvTornErase), 1)

	// Rate: about p of the matching operations fail.
	d = newNOR(t, 0xff, 1, spiTiming())
	_, err = faults.Attach(d, faults.Plan{Seed: 3, Faults: []faults.Fault{faults.FailRate(faults.TargetRead, 0.25, -5)}})
	require.NoError(t, err)
	failed := 0
	for i := 0; i < 4000; i++ {
		if e := d.Read(0, buf); e != nil {
			require.True(t, errors.Is(e, faults.ErrInjected))
			failed++
		}
	}
	assert.InDelta(t, 1000, failed, 5*27.4)
}
