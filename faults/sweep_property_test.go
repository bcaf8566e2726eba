package faults_test

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/faults"
)

// TestPropertySweepVerdictsEqualReplays is the package invariant as a
// property: for random workloads — NOR with and without program limits,
// NAND with NOP, OOB writes and ECC, every torn model, op/unit/bit/time
// cuts, depth 1 and 2 — and a check that observes everything a check can
// (all data and spare bytes as read, ECC results, the clock, the counters,
// wear, program times) and programs where it reads erased, every branch's
// sweep verdict equals its lone replay, and the verdicts do not depend on
// jobs, dedup or shards. Seed: -faults.seed or FAULTS_SEED.
func TestPropertySweepVerdictsEqualReplays(t *testing.T) {
	seed := propSeed(t)
	r := rand.New(rand.NewPCG(seed, 12))
	iters := 16
	if testing.Short() {
		iters = 4
	}
	for it := 0; it < iters; it++ {
		s, desc := propSweep(t, r, it)
		t.Run(fmt.Sprintf("%d", it), func(t *testing.T) {
			t.Logf("%s", desc)
			v := requireExact(t, s)
			t.Logf("%d branches, %d failing", len(v), len(failing(v)))
		})
	}
}

// propSweep makes a random sweep (its description says what was drawn).
func propSweep(t *testing.T, r *rand.Rand, it int) (*faults.Sweep, string) {
	d0, desc := propDevice(t, r)
	cfg := d0.Config()
	if cfg.Kind == emu.NOR && r.IntN(2) == 0 {
		cfg.MaxPrograms = 1 + r.IntN(2)
		desc += fmt.Sprintf(" max_programs=%d", cfg.MaxPrograms)
	}
	mk := func() (*emu.Device, error) { return emu.New(cfg) }
	d, err := mk()
	require.NoError(t, err)

	// The workload: a few operations; errors (refused programs) are part of
	// the scenario, not a reason to stop.
	var ops []propOp
	next := make([]int, d.UnitCount())
	for k := 2 + r.IntN(4); k > 0; k-- {
		if d.Kind() == emu.NAND {
			ops = append(ops, randOp(r, d, next))
			continue
		}
		if r.IntN(5) == 0 {
			start, size := d.Unit(r.IntN(d.UnitCount()))
			ops = append(ops, propOp{kind: emu.OpErase, off: start, n: size})
			continue
		}
		wb := int64(d.WriteBlock())
		n := wb * int64(1+r.IntN(int(max(1, 32/wb))))
		off := r.Int64N((d.Size()-n)/wb+1) * wb
		data := randBytes(r.Uint64(), int(n))
		if r.IntN(3) == 0 {
			for i := range data {
				data[i] = d.EraseValue() // programs nothing, spends a program
			}
		}
		ops = append(ops, propOp{kind: emu.OpProgram, off: off, data: data})
	}
	workload := func(d *emu.Device, ack func(any)) error {
		for i, o := range ops {
			_ = o.run(d)
			if i%2 == 1 {
				ack(i)
			}
		}
		return nil
	}
	require.NoError(t, workload(d, func(any) {}))
	total := d.Now()

	s := &faults.Sweep{Name: fmt.Sprintf("prop%d", it), Device: mk, Workload: workload, Check: observeAll, Seed: r.Uint64() % 1000}
	switch r.IntN(4) {
	case 0:
		s.Cuts = faults.Cuts{Mode: faults.CutOp}
	case 1:
		s.Cuts = faults.Cuts{Mode: faults.CutUnit}
	case 2:
		s.Cuts = faults.Cuts{Mode: faults.CutBit}
	default:
		s.Cuts = faults.Cuts{Mode: faults.CutTime, EveryNs: max(total/int64(10+r.IntN(30)), 1)}
	}
	s.Depth = 1 + r.IntN(2)
	progModels := []faults.Model{"", faults.Scatter, faults.Metastable}
	eraseModels := []faults.Model{"", faults.Partial, faults.Metastable}
	if d.Kind() == emu.NOR {
		progModels = append(progModels, faults.Prefix)
		eraseModels = append(eraseModels, faults.Preprogram)
	}
	s.ProgramModel = progModels[r.IntN(len(progModels))]
	s.EraseModel = eraseModels[r.IntN(len(eraseModels))]
	return s, fmt.Sprintf("%s; %d ops; cuts %s depth %d models %q/%q seed %d", desc, len(ops), s.Cuts, s.Depth,
		s.ProgramModel, s.EraseModel, s.Seed)
}

// observeAll is a check that depends on everything a check can observe:
// it digests every data and spare byte as read (unstable bits drawn, ECC
// applied, read errors included), the acked count, the clock, the
// counters, wear and program times, then programs a marker at the first
// write block (NAND: page) that reads erased. It fails when that program
// is refused, or on a quarter of the digests.
func observeAll(d *emu.Device, acked []any) error {
	h := fnv.New64a()
	word := func(v uint64) {
		var b [8]byte
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
		h.Write(b[:])
	}
	word(uint64(len(acked)))
	ev := d.EraseValue()
	var target int64 = -1
	tpage := -1
	for u := 0; u < d.UnitCount(); u++ {
		start, size := d.Unit(u)
		buf := make([]byte, size)
		if err := d.Read(start, buf); err != nil {
			word(uint64(errno.Of(err)))
		}
		h.Write(buf)
		word(uint64(d.EraseCount(u)))
		word(uint64(d.LastProgramNs(u)))
		if d.Kind() == emu.NAND {
			ps := int64(d.PageSize())
			for pg := int64(0); pg < size/ps; pg++ {
				page := int((start + pg*ps) / ps)
				oob := make([]byte, d.OOBSize())
				if err := d.ReadOOB(page, oob); err != nil {
					word(uint64(errno.Of(err)))
				}
				h.Write(oob)
				if tpage < 0 && allIs(buf[pg*ps:(pg+1)*ps], ev) && allIs(oob, ev) {
					tpage = page
				}
			}
			continue
		}
		wb := int64(d.WriteBlock())
		for o := int64(0); target < 0 && o < size; o += wb {
			if allIs(buf[o:o+wb], ev) {
				target = start + o
			}
		}
	}
	st := d.Stats()
	word(uint64(d.Now()))
	word(d.Seq())
	word(st.Reads + st.ECCCorrectedBits<<20 + st.ECCFailedSteps<<40)
	var err error
	switch {
	case tpage >= 0:
		err = d.ProgramPage(tpage, randBytes(uint64(tpage), d.PageSize()), nil)
	case target >= 0:
		err = d.Program(target, randBytes(uint64(target), d.WriteBlock()))
	}
	if err != nil {
		return fmt.Errorf("marker program refused: %w", err)
	}
	if sum := h.Sum64(); sum%4 == 0 {
		return fmt.Errorf("digest %016x", sum)
	}
	return nil
}

func allIs(b []byte, v byte) bool {
	for _, c := range b {
		if c != v {
			return false
		}
	}
	return true
}
