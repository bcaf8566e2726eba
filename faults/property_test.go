package faults_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
	"github.com/stretchr/testify/require"
)

// propDevice makes a random small device: NOR (either erase value, several
// write blocks, SPI or MCU timing, strict or counting) or NAND (with or
// without ECC).
func propDevice(t *testing.T, r *rand.Rand) (*emu.Device, string) {
	if r.IntN(4) == 0 {
		ecc := []int{0, 4}[r.IntN(2)]
		d, err := emu.New(emu.Config{Kind: emu.NAND, PageSize: 256, OOBSize: 16, PagesPerBlock: 4, Blocks: 4,
			EraseValue: 0xff, NOP: 4, ECCBits: ecc, ECCStep: 256, Seed: r.Uint64(),
			Timing: emu.Timing{ClockHz: 50_000_000, BusBits: 8, ReadNs: 25_000, ProgramNs: 200_000,
				EraseNs: []emu.EraseTime{{Size: 1024, Ns: 700_000}}}})
		require.NoError(t, err)
		return d, fmt.Sprintf("nand ecc=%d", ecc)
	}
	ev := []byte{0xff, 0x00}[r.IntN(2)]
	wb := []int{1, 4, 8}[r.IntN(3)]
	tm := mcuTiming(wb)
	if r.IntN(2) == 0 {
		tm = spiTiming()
		tm.EraseNs = []emu.EraseTime{{Size: 1024, Ns: 5_000_000}}
		tm.BlockErase = []emu.EraseTime{{Size: 4096, Ns: 9_000_000}}
	}
	viol := []emu.ViolationMode{emu.ViolationsStrict, emu.ViolationsCount}[r.IntN(2)]
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 16 << 10, EraseUnit: 1024, WriteBlock: wb, EraseValue: ev,
		Violations: viol, Seed: r.Uint64(), Timing: tm})
	require.NoError(t, err)
	return d, fmt.Sprintf("nor ev=%#x wb=%d page=%d viol=%d", ev, wb, tm.ProgramPage, viol)
}

type propOp struct {
	kind emu.OpKind
	off  int64
	page int    // NAND page of a page command (ProgramPage, WriteOOB), else 0 and oob nil
	data []byte // program data (WriteOOB: its spare data)
	oob  []byte // ProgramPage's spare data (non-nil: the op is a ProgramPage)
	n    int64
}

func (o propOp) run(d *emu.Device) error {
	switch o.kind {
	case emu.OpProgram:
		if o.oob != nil {
			return d.ProgramPage(o.page, o.data, o.oob)
		}
		return d.Program(o.off, o.data)
	case emu.OpProgramOOB:
		return d.WriteOOB(o.page, o.data)
	default:
		return d.Erase(o.off, o.n)
	}
}

// randOp picks a valid mutating operation (programs may still violate the
// program rules: that is part of what is tested).
func randOp(r *rand.Rand, d *emu.Device, next []int) propOp {
	if d.Kind() == emu.NAND {
		b := r.IntN(d.UnitCount())
		start, size := d.Unit(b)
		ppb := int(size) / d.PageSize()
		switch {
		case next[b] >= ppb || r.IntN(6) == 0:
			next[b] = 0
			return propOp{kind: emu.OpErase, off: start, n: size}
		case r.IntN(4) == 0:
			p := int(start)/d.PageSize() + max(next[b]-1, 0)
			data := randBytes(r.Uint64(), 1+r.IntN(d.OOBSize()))
			if p%ppb == 0 {
				data[0] = 0xff // keep the bad-block mark byte clear
			}
			return propOp{kind: emu.OpProgramOOB, off: int64(p * d.PageSize()), page: p, data: data}
		case r.IntN(3) == 0:
			// A page command: data (possibly none) and spare together.
			p := next[b]
			next[b]++
			pg := int(start)/d.PageSize() + p
			data := randBytes(r.Uint64(), d.PageSize()*r.IntN(2))
			oob := randBytes(r.Uint64(), 1+r.IntN(d.OOBSize()))
			if p == 0 {
				oob[0] = 0xff // keep the bad-block mark byte clear
			}
			return propOp{kind: emu.OpProgram, off: int64(pg * d.PageSize()), page: pg, data: data, oob: oob}
		default:
			p := next[b]
			next[b]++
			return propOp{kind: emu.OpProgram, off: start + int64(p*d.PageSize()), data: randBytes(r.Uint64(), d.PageSize())}
		}
	}
	if r.IntN(4) == 0 {
		u := r.IntN(d.UnitCount())
		k := 1 + r.IntN(min(4, d.UnitCount()-u))
		start, _ := d.Unit(u)
		end, sz := d.Unit(u + k - 1)
		return propOp{kind: emu.OpErase, off: start, n: end + sz - start}
	}
	wb := int64(d.WriteBlock())
	off := r.Int64N(d.Size()/wb) * wb
	n := (1 + r.Int64N(min(2048, d.Size()-off)/wb)) * wb
	data := randBytes(r.Uint64(), int(n))
	if r.IntN(2) == 0 { // mostly-erased data (a bit leaves the erased state with probability 1/4), so later programs mostly stay legal
		for i := range data {
			data[i] = d.EraseValue() ^ (data[i] & (data[i] >> 1))
		}
	}
	return propOp{kind: emu.OpProgram, off: off, data: data}
}

func snapshotAll(t *testing.T, d *emu.Device) (data, oob []byte) {
	data = dump(t, d)
	if d.Kind() == emu.NAND {
		oob = make([]byte, d.Pages()*d.OOBSize())
		for p := 0; p < d.Pages(); p++ {
			require.NoError(t, d.PeekOOB(p, oob[p*d.OOBSize():(p+1)*d.OOBSize()]))
		}
	}
	return data, oob
}

func TestPropertyTornOpsRespectPhysics(t *testing.T) {
	seed := propSeed(t)
	r := rand.New(rand.NewPCG(seed, 1))
	iters := 400
	if testing.Short() {
		iters = 100
	}
	models := []faults.Model{"", faults.Prefix, faults.Scatter, faults.Metastable, faults.Preprogram, faults.Partial}
	tornCount := 0
	for it := 0; it < iters; it++ {
		d, desc := propDevice(t, r)
		next := make([]int, d.UnitCount())
		for k := r.IntN(12); k > 0; k-- {
			_ = randOp(r, d, next).run(d)
		}
		op := randOp(r, d, next)
		frac := r.Float64()
		if r.IntN(8) == 0 {
			frac = float64(r.IntN(2))
		}
		m := models[r.IntN(len(models))]
		plan := faults.Plan{Seed: r.Uint64(), Faults: []faults.Fault{faults.CutAt(d.Seq(), frac, m)}}
		ctx := fmt.Sprintf("iteration %d (%s) op %v off=%#x len=%d plan %s", it, desc, op.kind, op.off, max(op.n, int64(len(op.data))), plan)

		beforeData, beforeOOB := snapshotAll(t, d)
		wear := d.Wear()
		inj, err := faults.Attach(d, plan)
		require.NoError(t, err, ctx)
		require.ErrorIs(t, op.run(d), faults.ErrPowerLoss, ctx)
		afterData, afterOOB := snapshotAll(t, d)
		d.PowerOn()
		tornCount += len(inj.EventsOf(faults.EvTornProgram)) + len(inj.EventsOf(faults.EvTornErase))

		switch op.kind {
		case emu.OpProgram:
			end := op.off + int64(len(op.data))
			for i := range afterData {
				p := int64(i)
				if p < op.off || p >= end {
					if beforeData[i] != afterData[i] {
						require.Failf(t, "changed outside", "%s: byte %#x outside the op changed", ctx, i)
					}
				} else if !inRange(beforeData[i], op.data[p-op.off], afterData[i], d.EraseValue()) {
					require.Failf(t, "forbidden bit", "%s: stored byte %#x old %#x data %#x got %#x", ctx, i, beforeData[i], op.data[p-op.off], afterData[i])
				}
			}
			checkOOB(t, ctx, d, op.page, op.oob, beforeOOB, afterOOB)
			// What reads return (unstable bits drawn, ECC applied) is within
			// the physics too, every time.
			for rd := 0; rd < 3; rd++ {
				got := make([]byte, len(op.data))
				if err := d.Read(op.off, got); err != nil {
					require.ErrorIs(t, err, emu.ErrBadMsg, ctx)
				}
				for j := range got {
					if !inRange(beforeData[op.off+int64(j)], op.data[j], got[j], d.EraseValue()) {
						require.Failf(t, "forbidden bit read", "%s: read %d byte %#x old %#x data %#x got %#x", ctx, rd, op.off+int64(j), beforeData[op.off+int64(j)], op.data[j], got[j])
					}
				}
			}
		case emu.OpProgramOOB:
			require.Equal(t, beforeData, afterData, ctx)
			checkOOB(t, ctx, d, op.page, op.data, beforeOOB, afterOOB)
		case emu.OpErase:
			checkTornErase(t, ctx, d, op, inj, frac, beforeData, afterData, beforeOOB, afterOOB, wear)
		}
	}
	require.Greater(t, tornCount, iters/2, "most iterations must actually tear an operation")
}

// checkOOB checks that a program wrote at most oob into page's spare area
// (stored bits and what ReadOOB returns, unstable bits drawn) and left every
// other spare byte alone.
func checkOOB(t *testing.T, ctx string, d *emu.Device, page int, oob, beforeOOB, afterOOB []byte) {
	so := page * d.OOBSize()
	for i := range afterOOB {
		if i < so || i >= so+len(oob) {
			require.Equal(t, beforeOOB[i], afterOOB[i], "%s: OOB byte %d outside the op changed", ctx, i)
		} else {
			require.True(t, inRange(beforeOOB[i], oob[i-so], afterOOB[i], d.EraseValue()), "%s: OOB byte %d", ctx, i)
		}
	}
	if len(oob) == 0 {
		return
	}
	got := make([]byte, len(oob))
	for rd := 0; rd < 3; rd++ {
		require.NoError(t, d.ReadOOB(page, got), ctx)
		for j := range got {
			require.True(t, inRange(beforeOOB[so+j], oob[j], got[j], d.EraseValue()), "%s: read %d OOB byte %d", ctx, rd, j)
		}
	}
}

func checkTornErase(t *testing.T, ctx string, d *emu.Device, op propOp, inj *faults.Injector, frac float64,
	beforeData, afterData, beforeOOB, afterOOB []byte, wear []uint32) {
	ev := d.EraseValue()
	// [op.off, ts) completed, [ts, te) torn, the rest untouched.
	ts, te := op.off, op.off
	if frac >= 1 {
		ts, te = op.off+op.n, op.off+op.n
	}
	var torn *faults.Event
	if e := inj.EventsOf(faults.EvTornErase); len(e) == 1 {
		torn = &e[0]
		ts, te = e[0].Off, e[0].Off+e[0].Len
		require.True(t, ts >= op.off && te <= op.off+op.n && ts < te, "%s: torn span [%#x,%#x)", ctx, ts, te)
	}
	for i := range afterData {
		p := int64(i)
		switch {
		case p < op.off || p >= te:
			if beforeData[i] != afterData[i] {
				require.Failf(t, "changed outside", "%s: byte %#x outside the erased part changed %#x -> %#x", ctx, i, beforeData[i], afterData[i])
			}
		case p < ts:
			if afterData[i] != ev {
				require.Failf(t, "not erased", "%s: completed unit byte %#x not erased", ctx, i)
			}
		}
	}
	for i := range afterOOB {
		p := int64(i/d.OOBSize()) * int64(d.PageSize())
		switch {
		case p >= op.off && p < ts:
			require.Equal(t, ev, afterOOB[i], "%s: OOB of a completed block", ctx)
		case p < op.off || p >= te:
			require.Equal(t, beforeOOB[i], afterOOB[i], "%s: OOB outside the torn block changed", ctx)
		}
	}
	// Every unit the erase reached costs exactly one wear cycle.
	for u, w := range d.Wear() {
		start, _ := d.Unit(u)
		want := wear[u]
		if start >= op.off && start < te {
			want++
		}
		require.Equal(t, want, w, "%s: wear of unit %d", ctx, u)
	}
	if torn == nil {
		return
	}
	// Physics of each torn unit. On NAND with ECC the residue of a torn erase
	// is stored as bit errors against the erased page: look at what reads
	// return (raw data for uncorrectable pages, erased for corrected ones).
	ecc := d.Config().ECCBits > 0
	for p := ts; p < te; {
		_, start, size, ok := d.UnitAt(p)
		require.True(t, ok)
		seg, old := afterData[start:start+size], beforeData[start:start+size]
		if ecc {
			seg = make([]byte, size)
			for pg := int64(0); pg < size; pg += int64(d.PageSize()) {
				if err := d.Read(start+pg, seg[pg:pg+int64(d.PageSize())]); err != nil {
					require.ErrorIs(t, err, emu.ErrBadMsg, ctx)
				}
			}
		}
		p = start + size
		switch {
		case ecc && torn.Model == faults.Preprogram:
			// Corrected pages read erased: no shape to check.
		case torn.Model == faults.Preprogram && torn.Fraction < faults.PreprogramShare:
			// Old data at the head, programmed zeros at the tail, one mixed byte.
			prog := ev ^ 0xff
			h := len(seg)
			for h > 0 && seg[h-1] == prog {
				h--
			}
			for j := 0; j < h-1; j++ {
				if old[j] != seg[j] {
					require.Failf(t, "head changed", "%s: preprogram head byte %#x changed %#x -> %#x", ctx, start+int64(j), old[j], seg[j])
				}
			}
			if h > 0 {
				require.Zero(t, (old[h-1]^ev)&^(seg[h-1]^ev), "%s: boundary byte lost programmed bits", ctx)
			}
		case torn.Model == faults.Preprogram:
			// Fully preprogrammed, then erasing: any bit pattern is possible.
		default:
			for j := range seg {
				if (seg[j]^ev)&^(old[j]^ev) != 0 {
					require.Failf(t, "programmed", "%s: partial/metastable erase programmed a bit at %#x", ctx, start+int64(j))
				}
			}
		}
	}
}
