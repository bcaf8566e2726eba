package faults

import (
	"math"
	"slices"

	"github.com/flashemu/flashemu/emu"
)

// cutKind says where in (or around) an operation a cut lands.
type cutKind uint8

const (
	cutBefore cutKind = iota + 1 // before the op: none of it happened
	cutAfter                     // after the op completed, before the caller heard
	cutUnit                      // inside the op: unit torn by a variant
	cutTime                      // at a simulated instant
	cutEnd                       // after the workload returned (depth 1 only)
)

// cut names one cut point of a run (the workload, or a check's recovery).
type cut struct {
	kind    cutKind
	op      int   // index of the mutating op within the run (not for cutTime)
	unit    int   // cutUnit: torn unit of the op
	variant int   // cutUnit: variant (see variants)
	t       int64 // cutTime: ns since the run started
}

func (c cut) hash() uint64 {
	h := derive(uint64(c.kind), uint64(c.op))
	h = derive(h, uint64(c.unit))
	h = derive(h, uint64(c.variant))
	return derive(h, uint64(c.t))
}

// variant is one way of tearing a unit.
type variant struct {
	sub  subset
	frac float64
}

// Program variants: unit mode uses the first, bit mode all of them.
var progVariants = []variant{
	{subsetRandom, 0.5}, {subsetOne, 0}, {subsetAllButOne, 1}, {subsetRandom, 0.25}, {subsetRandom, 0.75},
}

// Erase variants: unit mode uses the first three, bit mode all of them.
var eraseVariants = []variant{
	{subsetRandom, 0.5}, {subsetRandom, 0.25}, {subsetRandom, 0.75},
	{subsetOne, 0}, {subsetAllButOne, 1}, {subsetRandom, 0.125}, {subsetRandom, 0.875},
}

func variantsFor(k emu.OpKind, mode CutMode) []variant {
	if k == emu.OpErase {
		if mode == CutBit {
			return eraseVariants
		}
		return eraseVariants[:3]
	}
	if mode == CutBit {
		return progVariants
	}
	return progVariants[:1]
}

// lazyTear is a torn state not computed yet: the pre-operation snapshot and
// how to tear the operation (and, for a cut at an instant, that instant:
// the clock of the torn state). Unit cuts of one op and variant share one,
// each tearing the unit its cut names (tr.unit is then unused).
type lazyTear struct {
	pre   *emu.Snapshot
	op    *opRec
	tr    tear
	at    int64
	hasAt bool
}

// point is one branch: a cut point with the device state at the cut.
type point struct {
	parent *point
	c      cut
	acks   int
	seed   uint64 // tear seed; the root of its children's seeds
	snap   *emu.Snapshot
	lazy   *lazyTear
	hash   uint64
	level  int
	booted bool // snap is the check's starting state (materialise)
	owned  bool // the sweep's shard owns the branch (see Shard)
}

// schedule returns the cuts from the root to p.
func (p *point) schedule() []cut {
	var cs []cut
	for q := p; q != nil; q = q.parent {
		cs = append(cs, q.c)
	}
	slices.Reverse(cs)
	return cs
}

// materialise computes the state of a lazy point and turns it into the
// state the branch's check starts from (see boot).
func (p *point) materialise(t *tearer, sweepSeed uint64) {
	if p.booted {
		return
	}
	if lz := p.lazy; lz != nil {
		d := emu.FromSnapshot(lz.pre)
		r := newRNG(p.seed)
		tr := lz.tr
		if p.c.kind == cutUnit {
			tr.unit = p.c.unit // the recipe is shared by the op's units
		}
		t.apply(d, lz.op, tr, &r)
		p.snap = d.Snapshot()
		if lz.hasAt {
			p.snap = p.snap.WithNow(lz.at)
		}
		p.lazy = nil
	}
	p.snap = boot(p.snap, sweepSeed)
	p.booted = true
}

// boot returns the state a check starts from after a cut left s: power
// restored, the counters (emu Stats and Seq) started afresh — the check's
// device counts its recovery's operations — and the device generator (the
// values unstable bits read as) seeded from the sweep seed and the
// unstable bits themselves (emu UnstableDigest). Everything in it is a
// function of the flash state the cut left and of the sweep seed, never of
// the path that led there, so branches with equal states (emu StateKey)
// are indistinguishable to any check, and Replay, which boots the same way,
// starts every check from the state its branch had in the sweep.
func boot(s *emu.Snapshot, sweepSeed uint64) *emu.Snapshot {
	d := emu.FromSnapshot(s.WithCounters(0, emu.Stats{}))
	d.PowerOn()
	d.SetRandSeed(derive(derive(sweepSeed, devRandLabel), s.UnstableDigest()))
	return d.Snapshot()
}

// device returns a device in p's booted state (materialise), with no hook.
func (p *point) device() *emu.Device { return emu.FromSnapshot(p.snap) }

// state returns p's booted state (materialise). A point recorded with its
// state (a cut before or after an operation) keeps it: booting shares the
// whole array with the recording. A lazy torn point computes it afresh on
// every call and keeps only its recipe (pre-operation snapshot, tear and
// seed, all shared with its siblings): the tear copies the chunks it
// changes, and keeping them would make every torn branch of a level pin its
// own copy from the hashing phase until its check. The computation is
// deterministic, so every call gives the same state.
func (p *point) state(t *tearer, sweepSeed uint64) *emu.Snapshot {
	if p.lazy == nil {
		p.materialise(t, sweepSeed)
		return p.snap
	}
	q := *p
	q.materialise(t, sweepSeed)
	return q.snap
}

// free drops p's state and recipe once its check ran (or it turned out a
// duplicate); its children keep p for their schedules only.
func (p *point) free() { p.snap, p.lazy = nil, nil }

// recorder is the hook that turns a run into cut points. In a sweep it
// records every cut; in a replay (want set) only the one asked for.
type recorder struct {
	inf     *devInfo
	cuts    Cuts
	progM   Model
	eraseM  Model
	parent  *point
	pseed   uint64
	level   int
	acks    func() int
	t0      int64
	nextT   int64
	mut     int
	want    *cut // replay: the only cut to record
	points  []*point
	pre     *emu.Snapshot // current op's pre-op snapshot (lazily taken)
	last    *emu.Snapshot // the last "after" snapshot (see snapBefore)
	opr     *opRec        // current op (buffers copied), made lazily
	capture func(*point)  // replay: called with the wanted point
	budget  *memBudget    // the sweep's memory limit (nil: none)
	stop    error         // the memory limit stopped the recording
}

func newRecorder(e *engineCfg, parent *point, pseed uint64, level int, acks func() int, t0 int64) *recorder {
	r := &recorder{inf: e.inf, cuts: e.cuts, progM: e.progM, eraseM: e.eraseM, parent: parent, pseed: pseed,
		level: level, acks: acks, t0: t0, budget: e.budget}
	if r.cuts.Mode == CutTime {
		r.nextT = t0 + r.cuts.EveryNs
	}
	return r
}

func (r *recorder) wanted(c cut) bool { return r.want == nil || *r.want == c }

// snapBefore returns the state before the current op. When nothing but
// the previous op's accounting happened since that op's "after" snapshot
// (same clock, same state: emu Unchanged), it is that snapshot: the two
// differ only in Seq and Stats, which boot resets and a tear never reads,
// so the branches are the same and a recording keeps one snapshot per op,
// not two.
func (r *recorder) snapBefore(d *emu.Device) *emu.Snapshot {
	if r.pre == nil {
		if l := r.last; l != nil && l.Now() == d.Now() && l.Unchanged(d) {
			r.pre = l
		} else {
			r.pre = d.Snapshot()
		}
	}
	return r.pre
}

func (r *recorder) rec(op *emu.Op) *opRec {
	if r.opr == nil {
		o := recOf(op)
		o.data, o.oob = slices.Clone(o.data), slices.Clone(o.oob)
		r.opr = &o
	}
	return r.opr
}

func (r *recorder) add(c cut, snap *emu.Snapshot, lz *lazyTear) {
	p := &point{parent: r.parent, c: c, acks: r.acks(), seed: derive(r.pseed, c.hash()), snap: snap, lazy: lz, level: r.level}
	if r.capture != nil {
		r.capture(p)
		return
	}
	if r.stop != nil {
		return
	}
	if r.budget != nil {
		if r.stop = r.budget.note(r.level, r.mut); r.stop != nil {
			return
		}
	}
	r.points = append(r.points, p)
}

func (r *recorder) model(k emu.OpKind) Model {
	if k == emu.OpErase {
		return r.inf.modelFor(k, r.eraseM)
	}
	return r.inf.modelFor(k, r.progM)
}

// Before implements emu.Hook.
func (r *recorder) Before(d *emu.Device, op *emu.Op) error {
	r.pre, r.opr = nil, nil
	if r.stop != nil {
		return r.stop // past the memory limit: the run stops here
	}
	if r.cuts.Mode == CutTime {
		r.timeCuts(d, op)
		return nil
	}
	if !op.Kind.Mutates() {
		return nil
	}
	if c := (cut{kind: cutBefore, op: r.mut}); r.wanted(c) {
		r.add(c, r.snapBefore(d), nil)
	}
	if r.cuts.Mode == CutUnit || r.cuts.Mode == CutBit {
		if r.want != nil && (r.want.kind != cutUnit || r.want.op != r.mut) {
			return nil
		}
		m := r.model(op.Kind)
		units := r.inf.unitsOf(d, r.rec(op), m)
		vars := variantsFor(op.Kind, r.cuts.Mode)
		// One recipe per variant, shared by the op's units: a unit cut's
		// torn unit is its cut's (see materialise), so a cut point costs
		// only its point.
		lzs := make([]*lazyTear, len(vars))
		for i := 0; i < units; i++ {
			for v, vr := range vars {
				c := cut{kind: cutUnit, op: r.mut, unit: i, variant: v}
				if r.wanted(c) {
					if lzs[v] == nil {
						lzs[v] = &lazyTear{pre: r.snapBefore(d), op: r.rec(op), tr: tear{frac: vr.frac, model: m, sub: vr.sub}}
					}
					r.add(c, nil, lzs[v])
				}
			}
		}
	}
	return nil
}

// timeCuts records the instants of the every-Δt schedule that fall before
// the end of op: in the idle time before it (the state before op), or inside
// it (op torn at that fraction; a read changes nothing). The branch's clock
// is the cut instant T: the device powered off then, so its recovery starts
// at T, not at the start of the interrupted op or after an idle gap it
// never lived through.
func (r *recorder) timeCuts(d *emu.Device, op *emu.Op) {
	end := op.Start + op.Dur
	for r.nextT < end {
		T := r.nextT
		r.nextT += r.cuts.EveryNs
		if r.nextT < T { // overflow guard
			r.nextT = math.MaxInt64
		}
		c := cut{kind: cutTime, t: T - r.t0}
		if !r.wanted(c) {
			continue
		}
		if T <= op.Start || !op.Kind.Mutates() || op.Dur <= 0 {
			r.add(c, r.snapBefore(d).WithNow(T), nil)
			continue
		}
		frac := float64(T-op.Start) / float64(op.Dur)
		m := r.model(op.Kind)
		unit, lf := r.inf.locate(d, r.rec(op), op.Dur, frac, m)
		r.add(c, nil, &lazyTear{pre: r.snapBefore(d), op: r.rec(op), tr: tear{unit: unit, frac: lf, model: m}, at: T, hasAt: true})
	}
}

// end records the workload's last cut: it returned, every operation done
// and every value acknowledged, and then power was lost. Data the workload
// acknowledged but kept in RAM (a write buffer never flushed) is lost
// here, and only here: no cut during the run sees the later acks.
func (r *recorder) end(d *emu.Device) {
	if c := (cut{kind: cutEnd}); r.wanted(c) && r.stop == nil {
		r.add(c, d.Snapshot(), nil)
	}
}

// After implements emu.Hook.
func (r *recorder) After(d *emu.Device, op *emu.Op, err error) error {
	if !op.Kind.Mutates() {
		return err
	}
	if r.cuts.Mode != CutTime {
		if c := (cut{kind: cutAfter, op: r.mut}); r.wanted(c) {
			// The operation completed: its time passed (the device
			// accounts it once After returns).
			end := op.Start + max(op.Dur, 0)
			if end < op.Start {
				end = math.MaxInt64
			}
			r.last = d.Snapshot().WithNow(end)
			r.add(c, r.last, nil)
		}
	}
	r.mut++
	r.pre, r.opr = nil, nil
	return err
}
