package faults_test

import (
	"bytes"
	"math/bits"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/faults"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inRange reports whether stored byte got lies between old and old|data in
// programmed polarity: it only gained bits the program asked for.
func inRange(old, data, got, ev byte) bool {
	o, d, g := old^ev, data^ev, got^ev
	return o&^g == 0 && g&^(o|d) == 0
}

func cutProgram(t *testing.T, d *emu.Device, seed uint64, frac float64, m faults.Model, off int64, data []byte) (*faults.Injector, error) {
	t.Helper()
	inj, err := faults.Attach(d, faults.Plan{Seed: seed, Faults: []faults.Fault{faults.CutAt(d.Seq(), frac, m)}})
	require.NoError(t, err)
	return inj, d.Program(off, data)
}

func TestPrefixTornProgramPhysics(t *testing.T) {
	for _, ev := range []byte{0xff, 0x00} {
		for _, frac := range []float64{0.001, 0.3, 0.5, 0.77, 0.999} {
			d := newNOR(t, ev, 4, mcuTiming(4))
			const off, n = 4096 + 64, 512
			data := randBytes(uint64(frac*1000), n)
			before := dump(t, d)
			inj, err := cutProgram(t, d, 11, frac, faults.Prefix, off, data)
			require.ErrorIs(t, err, faults.ErrPowerLoss)
			require.False(t, d.Powered())

			torn := inj.EventsOf(faults.EvTornProgram)
			require.Len(t, torn, 1)
			// Every word costs the same, so the cut is in word floor(frac*128).
			wantUnit := int64(frac * n / 4)
			assert.Equal(t, int64(off)+4*wantUnit, torn[0].Off, "ev=%#x frac=%v", ev, frac)
			assert.Equal(t, int64(4), torn[0].Len)

			after := dump(t, d)
			ts, te := torn[0].Off, torn[0].Off+torn[0].Len
			for i := range after {
				p := int64(i)
				switch {
				case p < off || p >= off+n:
					if before[i] != after[i] {
						require.Failf(t, "outside", "byte %#x outside the op changed", i)
					}
				case p < ts:
					require.Equal(t, data[p-off], after[i], "completed word at %#x", i)
				case p >= te:
					require.Equal(t, before[i], after[i], "word after the cut at %#x changed", i)
				default:
					require.True(t, inRange(before[i], data[p-off], after[i], ev),
						"torn byte %#x: old %#x data %#x got %#x (ev %#x)", i, before[i], data[p-off], after[i], ev)
				}
			}
		}
	}
}

func TestScatterLandsFractionOfBits(t *testing.T) {
	for _, frac := range []float64{0.1, 0.5, 0.9} {
		d := newNOR(t, 0xff, 1, spiTiming())
		data := make([]byte, 256) // all bits to program: 2048 transitions
		_, err := cutProgram(t, d, 5, frac, faults.Scatter, 0, data)
		require.ErrorIs(t, err, faults.ErrPowerLoss)
		got := make([]byte, 256)
		require.NoError(t, d.Peek(0, got))
		landed := 0
		for _, b := range got {
			landed += 8 - bits.OnesCount8(b)
		}
		assert.InDelta(t, frac*2048, float64(landed), 5*45.3, "frac=%v", frac) // 5 sigma at p=0.5
	}
}

func TestScatterMultiPageCompletesEarlierPages(t *testing.T) {
	d := newNOR(t, 0xff, 1, spiTiming())
	data := randBytes(9, 1024) // four 256-byte pages, equal cost each
	inj, err := cutProgram(t, d, 5, 0.6, faults.Scatter, 0, data)
	require.ErrorIs(t, err, faults.ErrPowerLoss)
	torn := inj.EventsOf(faults.EvTornProgram)[0]
	assert.Equal(t, int64(512), torn.Off)
	assert.Equal(t, int64(256), torn.Len)
	assert.InDelta(t, 0.4, torn.Fraction, 1e-9)
	got := dump(t, d)
	assert.Equal(t, data[:512], got[:512])
	assert.Equal(t, bytes.Repeat([]byte{0xff}, 256), got[768:1024])
}

func TestMetastableProgramUnstableUntilErase(t *testing.T) {
	d := newNOR(t, 0xff, 1, spiTiming())
	data := make([]byte, 256)
	_, err := cutProgram(t, d, 5, 0.5, faults.Metastable, 0, data)
	require.ErrorIs(t, err, faults.ErrPowerLoss)
	d.PowerOn()
	reads := map[string]bool{}
	for i := 0; i < 8; i++ {
		p := make([]byte, 256)
		require.NoError(t, d.Read(0, p))
		reads[string(p)] = true
	}
	assert.Greater(t, len(reads), 1, "metastable bits must read differently across reads")

	require.NoError(t, d.Erase(0, 4096))
	first := make([]byte, 256)
	require.NoError(t, d.Read(0, first))
	assert.Equal(t, bytes.Repeat([]byte{0xff}, 256), first)
	require.NoError(t, d.Program(0, data))
	for i := 0; i < 4; i++ {
		p := make([]byte, 256)
		require.NoError(t, d.Read(0, p))
		assert.Equal(t, data, p, "stable after erase and reprogram")
	}
}

func TestPreprogramEraseLeavesZerosFromTheEnd(t *testing.T) {
	for _, ev := range []byte{0xff, 0x00} {
		d := newNOR(t, ev, 1, spiTiming())
		old := bytes.Repeat([]byte{0x5a ^ ev ^ 0xff}, 64<<10)
		if ev == 0xff {
			old = bytes.Repeat([]byte{0x5a}, 64<<10)
		}
		require.NoError(t, d.Program(0, old))
		before := dump(t, d)
		seq := d.Seq()
		inj, err := faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{faults.CutAt(seq, 0.25, faults.Preprogram)}})
		require.NoError(t, err)
		require.ErrorIs(t, d.Erase(4096, 4096), faults.ErrPowerLoss)
		after := dump(t, d)
		prog := ev ^ 0xff // the programmed value
		// 0.25 of the erase = half of the preprogram phase: the last 2048 bytes are zeros.
		require.Equal(t, before[:4096], after[:4096])
		require.Equal(t, before[8192:], after[8192:])
		for i := 4096; i < 8192; i++ {
			switch {
			case i >= 4096+2048:
				require.Equal(t, prog, after[i], "tail byte %#x not preprogrammed (ev %#x)", i, ev)
			case i < 4096+2047:
				require.Equal(t, before[i], after[i], "head byte %#x changed", i)
			}
		}
		assert.Equal(t, uint32(1), d.EraseCount(1), "interrupted erase counts as a wear cycle")
		assert.Len(t, inj.EventsOf(faults.EvTornErase), 1)

		// Late in the erase phase: every bit is either erased or (pre)programmed,
		// and roughly 1-q of the bits are still programmed.
		d.PowerOn()
		inj.Detach()
		_, err = faults.Attach(d, faults.Plan{Seed: 2, Faults: []faults.Fault{faults.CutAt(d.Seq(), 0.9, faults.Preprogram)}})
		require.NoError(t, err)
		require.ErrorIs(t, d.Erase(4096, 4096), faults.ErrPowerLoss)
		got := dump(t, d)[4096:8192]
		progBits := 0
		for _, b := range got {
			progBits += bits.OnesCount8(b ^ ev)
		}
		assert.InDelta(t, 0.2*4096*8, float64(progBits), 5*72.4) // q = 0.8 erased
		assert.Equal(t, uint32(2), d.EraseCount(1))
	}
}

func TestPartialEraseOnlyErases(t *testing.T) {
	for _, ev := range []byte{0xff, 0x00} {
		d := newNOR(t, ev, 4, mcuTiming(4))
		fill(t, d, 3)
		before := dump(t, d)
		_, err := faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{faults.CutAt(d.Seq(), 0.75, faults.Partial)}})
		require.NoError(t, err)
		require.ErrorIs(t, d.Erase(0, 8192), faults.ErrPowerLoss)
		after := dump(t, d)
		// 0.75 of a two-unit erase: unit 0 done, unit 1 half erased.
		assert.Equal(t, bytes.Repeat([]byte{ev}, 4096), after[:4096])
		wasProg, stillProg := 0, 0
		for i := 4096; i < 8192; i++ {
			o, g := before[i]^ev, after[i]^ev
			require.Zero(t, g&^o, "partial erase programmed a bit at %#x", i)
			wasProg += bits.OnesCount8(o)
			stillProg += bits.OnesCount8(g)
		}
		assert.InDelta(t, float64(wasProg)/2, float64(stillProg), 5*64.0)
		assert.Equal(t, before[8192:], after[8192:])
		assert.Equal(t, []uint32{1, 1, 0}, d.Wear()[:3])
	}
}

func TestMetastableEraseReadsRandomUntilErased(t *testing.T) {
	d := newNOR(t, 0xff, 1, spiTiming())
	require.NoError(t, d.Program(0, make([]byte, 4096)))
	_, err := faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{faults.CutAt(d.Seq(), 0.5, faults.Metastable)}})
	require.NoError(t, err)
	require.ErrorIs(t, d.Erase(0, 4096), faults.ErrPowerLoss)
	d.PowerOn()
	a, b := make([]byte, 4096), make([]byte, 4096)
	require.NoError(t, d.Read(0, a))
	require.NoError(t, d.Read(0, b))
	assert.NotEqual(t, a, b)
	require.NoError(t, d.Erase(0, 4096))
	require.NoError(t, d.Read(0, a))
	require.NoError(t, d.Read(0, b))
	assert.Equal(t, bytes.Repeat([]byte{0xff}, 4096), a)
	assert.Equal(t, a, b)
}

func TestTimeCutLandsInSpanningOp(t *testing.T) {
	d := newNOR(t, 0xff, 1, spiTiming())
	// Learn the op layout on a twin device.
	twin := newNOR(t, 0xff, 1, spiTiming())
	type span struct{ start, dur int64 }
	var spans []span
	ops := func(d *emu.Device) []error {
		var errs []error
		errs = append(errs, d.Program(0, randBytes(1, 1024)))
		errs = append(errs, d.Erase(4096, 8192)) // two 45 ms sector erases: the long op
		errs = append(errs, d.Read(0, make([]byte, 64)))
		errs = append(errs, d.Program(8192, randBytes(2, 256)))
		return errs
	}
	twin.SetHook(recorder(func(op *emu.Op) { spans = append(spans, span{op.Start, op.Dur}) }))
	ops(twin)
	require.Len(t, spans, 4)
	// T inside the erase at 30 % of it: second unit? 0.3 of two equal units = unit 0 at 0.6.
	T := spans[1].start + int64(0.3*float64(spans[1].dur))
	inj, err := faults.Attach(d, faults.Plan{Seed: 9, Faults: []faults.Fault{faults.CutAtNs(T)}})
	require.NoError(t, err)
	errs := ops(d)
	require.NoError(t, errs[0])
	require.ErrorIs(t, errs[1], faults.ErrPowerLoss)
	require.ErrorIs(t, errs[2], faults.ErrPowerLoss)
	cut := inj.EventsOf(faults.EvCut)
	require.Len(t, cut, 1)
	assert.Equal(t, "erase", cut[0].Op)
	assert.Equal(t, T, cut[0].AtNs)
	assert.InDelta(t, 0.3, cut[0].Fraction, 1e-6)
	assert.Equal(t, T, d.Now(), "the clock stops at the cut")
	torn := inj.EventsOf(faults.EvTornErase)
	require.Len(t, torn, 1)
	assert.Equal(t, int64(4096), torn[0].Off)
	assert.InDelta(t, 0.6, torn[0].Fraction, 1e-6)
	assert.Equal(t, faults.Preprogram, torn[0].Model, "SPI NOR default erase model")

	// Random T over the whole run: the cut always lands in the op spanning T.
	end := spans[3].start + spans[3].dur
	for i := int64(1); i < 50; i++ {
		T := end * i / 50
		d := newNOR(t, 0xff, 1, spiTiming())
		inj, err := faults.Attach(d, faults.Plan{Seed: uint64(i), Faults: []faults.Fault{faults.CutAtNs(T)}})
		require.NoError(t, err)
		ops(d)
		c := inj.EventsOf(faults.EvCut)
		require.Len(t, c, 1)
		k := c[0].Seq
		require.LessOrEqual(t, spans[k].start, T)
		require.Less(t, T, spans[k].start+spans[k].dur)
		assert.InDelta(t, float64(T-spans[k].start)/float64(spans[k].dur), c[0].Fraction, 1e-9)
	}
}

func TestTimeCutWhileIdle(t *testing.T) {
	d := newNOR(t, 0xff, 1, spiTiming())
	inj, err := faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{faults.CutAtNs(1_000_000_000)}})
	require.NoError(t, err)
	require.NoError(t, d.Program(0, []byte{1, 2, 3, 4}))
	inj.Advance(2_000_000_000) // the device sits idle past T
	now := d.Now()
	require.ErrorIs(t, d.Program(4, []byte{5}), faults.ErrPowerLoss)
	c := inj.EventsOf(faults.EvCut)
	require.Len(t, c, 1)
	assert.Equal(t, 0.0, c[0].Fraction)
	assert.Equal(t, int64(1_000_000_000), c[0].AtNs)
	assert.Equal(t, now, d.Now())
	got := make([]byte, 1)
	require.NoError(t, d.Peek(4, got))
	assert.Equal(t, byte(0xff), got[0])
}

type recorder func(op *emu.Op)

func (r recorder) Before(d *emu.Device, op *emu.Op) error           { r(op); return nil }
func (r recorder) After(d *emu.Device, op *emu.Op, err error) error { return err }

func TestPowerStateAndCounting(t *testing.T) {
	d := newNOR(t, 0xff, 1, spiTiming())
	inj, err := faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{faults.CutAfterOps(3).WithFraction(0)}})
	require.NoError(t, err)
	buf := make([]byte, 16)
	require.NoError(t, d.Program(0, []byte{1}))
	for i := 0; i < 5; i++ {
		require.NoError(t, d.Read(0, buf)) // reads are not counted
	}
	require.NoError(t, d.Program(1, []byte{2}))
	err = d.Program(2, []byte{3})
	require.ErrorIs(t, err, faults.ErrPowerLoss)
	assert.True(t, faults.IsPowerLoss(err))
	assert.Equal(t, -5, errno.Of(err))
	for _, e := range []error{d.Read(0, buf), d.Program(8, []byte{1}), d.Erase(0, 4096)} {
		require.ErrorIs(t, e, faults.ErrPowerLoss, "every op fails until power-on")
	}
	d.PowerOn()
	require.NoError(t, d.Read(0, buf))
	assert.Equal(t, []byte{1, 2, 0xff}, buf[:3], "fraction 0: nothing of the cut op happened; the array survived")
	assert.Len(t, inj.Events(), 1)

	// CountReads counts reads; fraction 1 completes the op and still cuts.
	d2 := newNOR(t, 0xff, 1, spiTiming())
	_, err = faults.Attach(d2, faults.Plan{Seed: 1, Faults: []faults.Fault{{Kind: faults.KindCut, AfterOps: 2, CountReads: true, Fraction: ptr(1.0)}}})
	require.NoError(t, err)
	require.NoError(t, d2.Read(0, buf))
	require.ErrorIs(t, d2.Program(0, []byte{7}), faults.ErrPowerLoss)
	d2.PowerOn()
	require.NoError(t, d2.Read(0, buf[:1]))
	assert.Equal(t, byte(7), buf[0], "fraction 1: the op completed, the caller never heard")
}

func ptr[T any](v T) *T { return &v }

func TestSeedDeterminism(t *testing.T) {
	run := func(seed uint64) ([]byte, []faults.Event) {
		d := newNOR(t, 0xff, 1, spiTiming())
		fill(t, d, 1)
		plan := faults.Plan{Seed: seed, Faults: []faults.Fault{
			faults.CutAfterOps(2).WithModel(faults.Scatter), // random fraction from the seed
			faults.ReadDisturb(0.5, 10),
		}}
		inj, err := faults.Attach(d, plan)
		require.NoError(t, err)
		require.NoError(t, d.Erase(0, 4096))
		_ = d.Program(0, randBytes(2, 4096))
		d.PowerOn()
		for i := 0; i < 20; i++ {
			_ = d.Read(0, make([]byte, 4096))
		}
		return dump(t, d), inj.Events()
	}
	a, ea := run(7)
	b, eb := run(7)
	c, ec := run(8)
	assert.Equal(t, a, b, "same seed: byte-identical")
	assert.Equal(t, ea, eb)
	assert.NotEqual(t, a, c, "different seed: different bits")
	assert.NotEqual(t, ea, ec)
}

func TestNANDInterruptedProgramConsumesNOP(t *testing.T) {
	d := newNAND(t, 2, 0)
	_, err := faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{faults.CutAt(d.Seq(), 0.5, "")}})
	require.NoError(t, err)
	page := bytes.Repeat([]byte{0xf0}, 512)
	require.ErrorIs(t, d.Program(0, page), faults.ErrPowerLoss)
	d.PowerOn()
	require.NoError(t, d.Program(0, page), "NOP 2: one program left after the torn one")
	require.ErrorIs(t, d.Program(0, page), emu.ErrProgramLimit, "the torn program consumed a NOP")

	// OOB programs too.
	d = newNAND(t, 1, 0)
	_, err = faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{faults.CutAt(d.Seq(), 0.5, "")}})
	require.NoError(t, err)
	require.ErrorIs(t, d.WriteOOB(3, []byte{0, 0, 0, 0}), faults.ErrPowerLoss)
	d.PowerOn()
	require.ErrorIs(t, d.WriteOOB(3, []byte{0}), emu.ErrProgramLimit)
}

func TestNANDECCSeesTornBits(t *testing.T) {
	// Scatter at 0.5: hundreds of bits missing → uncorrectable.
	d := newNAND(t, 4, 4)
	page := make([]byte, 512)
	_, err := faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{faults.CutAt(d.Seq(), 0.5, faults.Scatter)}})
	require.NoError(t, err)
	require.ErrorIs(t, d.Program(512, page), faults.ErrPowerLoss)
	d.PowerOn()
	buf := make([]byte, 512)
	require.ErrorIs(t, d.Read(512, buf), emu.ErrBadMsg)

	// Scatter at 0.999: a few bits missing → corrected, data returned whole.
	d = newNAND(t, 4, 8)
	_, err = faults.Attach(d, faults.Plan{Seed: 3, Faults: []faults.Fault{faults.CutAt(d.Seq(), 0.9995, faults.Scatter)}})
	require.NoError(t, err)
	require.ErrorIs(t, d.Program(0, page), faults.ErrPowerLoss)
	d.PowerOn()
	rep, err := d.ReadECC(0, buf)
	require.NoError(t, err)
	assert.Equal(t, page, buf)
	assert.Positive(t, rep.Corrected)

	// Metastable: the error count changes between reads.
	d = newNAND(t, 4, 64)
	_, err = faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{faults.CutAt(d.Seq(), 0.98, faults.Metastable)}})
	require.NoError(t, err)
	require.ErrorIs(t, d.Program(0, page), faults.ErrPowerLoss)
	d.PowerOn()
	seen := map[int]bool{}
	for i := 0; i < 10; i++ {
		rep, _ := d.ReadECC(0, buf)
		seen[rep.MaxBitflips] = true
	}
	assert.Greater(t, len(seen), 1, "unstable bits give ECC errors that change between reads")
}
