package faults

import (
	"fmt"
	"math"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
)

// Injector applies a fault plan to one device. It is the device's emu.Hook:
// it sees every operation before and after it runs and interrupts, fails or
// disturbs it as the plan says. It records what it did (Events).
//
// Counting rule for cuts: AfterOps counts mutating operations (program,
// erase, NAND spare-area program) from the moment the fault is armed; reads
// are not counted unless the fault sets CountReads, because a cut during a
// read changes nothing on the array. Operations refused while the power is
// off never reach the injector and are not counted either.
//
// An Injector is not safe for concurrent use (neither is its device).
type Injector struct {
	dev     *emu.Device
	inf     *devInfo
	plan    Plan
	arms    []*arm
	before  [nClass][]*arm // arms whose Before cares about each class of op
	after   [nClass][]*arm // arms whose After cares about each class of op
	prev    emu.Hook
	events  []Event
	t       tearer
	pending *arm // a fraction-1 cut that fires when the current op completes
	pendFr  float64
	// tracked: the device counted reads before a disturb fault turned
	// counting on (Detach restores it).
	tracked bool
}

// arm is the runtime state of one fault.
type arm struct {
	idx      int
	f        Fault
	seed     uint64
	r        rng
	count    int64
	done     bool
	retained map[int]int64 // retention: last evaluation per unit
}

// Attach arms plan on d and installs the injector as d's hook (after any
// hook already installed, so observers such as a trace still see every
// operation, the ones the injector cuts included, and get its events as
// annotations: see emu.Hooks and emu.Annotators).
//
// The plan's seed is the root of every random choice: the faults' draws and
// also the values unstable bits read as, since Attach restarts the device's
// generator (emu SetRandSeed) from a seed derived from the plan's. The same
// plan on the same device state and script gives the same reads, whatever
// the device's own Config.Seed. A read-disturb fault turns the device's
// read counting on (emu TrackReads): the reads it counts start then.
func Attach(d *emu.Device, plan Plan) (*Injector, error) {
	if d == nil {
		return nil, badPlan("nil device")
	}
	if err := plan.Validate(); err != nil {
		return nil, err
	}
	inj := &Injector{dev: d, inf: infoOf(d), plan: Plan{Seed: plan.Seed}, tracked: d.TracksReads()}
	inj.t.inf = inj.inf
	d.SetRandSeed(derive(plan.Seed, devRandLabel))
	for _, f := range plan.Faults {
		if err := inj.Add(f); err != nil {
			return nil, err
		}
	}
	inj.prev = d.Hook()
	if inj.prev != nil {
		d.SetHook(emu.Hooks{inj.prev, inj})
	} else {
		d.SetHook(inj)
	}
	return inj, nil
}

// devRandLabel derives the device generator's seed from the plan seed (fault
// i draws from derive(seed, i); no plan has 2^32 faults).
const devRandLabel = 0xdef1ce << 32

// Detach removes the injector, restoring the hook that was there before
// (and the device's read counting as it was before Attach).
func (inj *Injector) Detach() {
	inj.dev.SetHook(inj.prev)
	inj.dev.TrackReads(inj.tracked)
}

// Device is the device the injector is attached to.
func (inj *Injector) Device() *emu.Device { return inj.dev }

// Plan returns the plan armed so far (seed and every fault added), whose
// String reproduces this run when attached to the same fresh device.
func (inj *Injector) Plan() Plan {
	p := inj.plan
	p.Faults = append([]Fault(nil), p.Faults...)
	return p
}

// Events returns a copy of what the injector did so far, in order.
func (inj *Injector) Events() []Event { return append([]Event(nil), inj.events...) }

// EventsOf returns the events whose What is what.
func (inj *Injector) EventsOf(what string) []Event {
	var out []Event
	for _, e := range inj.events {
		if e.What == what {
			out = append(out, e)
		}
	}
	return out
}

// Advance moves the device's simulated clock forward by ns (ageing:
// retention faults act on the time since programming at the next read).
func (inj *Injector) Advance(ns int64) { inj.dev.Advance(ns) }

// Add arms one more fault (counting for AfterOps and Nth starts now). Flip
// and stuck faults take effect immediately.
func (inj *Injector) Add(f Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	d := inj.dev
	switch f.Kind {
	case KindCut:
		if f.Op != nil && *f.Op < d.Seq() {
			return badPlan("cut at op %d: the device is already at op %d", *f.Op, d.Seq())
		}
	case KindFlip, KindStuck:
		if f.Off >= d.Size() {
			return badPlan("%s at offset %d outside the %d-byte device", f.Kind, f.Off, d.Size())
		}
	case KindWear:
		if f.Mode == BadBlock && inj.inf.kind != emu.NAND {
			return badPlan("wear mode bad_block needs a NAND device")
		}
	}
	idx := len(inj.plan.Faults)
	inj.plan.Faults = append(inj.plan.Faults, f)
	seed := derive(inj.plan.Seed, uint64(idx))
	a := &arm{idx: idx, f: f, seed: seed, r: newRNG(seed)}
	switch f.Kind {
	case KindFlip:
		_ = d.XorFlips(f.Off, []byte{1 << f.Bit})
		inj.record(a, Event{What: EvFlip, Seq: d.Seq(), AtNs: d.Now(), Off: f.Off, Bit: f.Bit})
		a.done = true
	case KindStuck:
		_ = d.SetStuck(f.Off, uint(f.Bit), f.Value == 1)
		inj.record(a, Event{What: EvStuck, Seq: d.Seq(), AtNs: d.Now(), Off: f.Off, Bit: f.Bit, Detail: fmt.Sprintf("stuck at %d", f.Value)})
		a.done = true
	case KindRetention:
		a.retained = map[int]int64{}
	case KindDisturb:
		d.TrackReads(true)
	}
	inj.arms = append(inj.arms, a)
	if !a.done {
		for c := opClass(0); c < nClass; c++ {
			b, af := a.wants(c)
			if b {
				inj.before[c] = append(inj.before[c], a)
			}
			if af {
				inj.after[c] = append(inj.after[c], a)
			}
		}
	}
	return nil
}

// opClass groups operation kinds for dispatch.
type opClass uint8

const (
	clsRead opClass = iota
	clsProgram
	clsErase
	nClass
)

func classOf(k emu.OpKind) opClass {
	switch k {
	case emu.OpProgram, emu.OpProgramOOB:
		return clsProgram
	case emu.OpErase:
		return clsErase
	}
	return clsRead
}

// wants says whether the arm acts in Before and in After of ops of class c.
func (a *arm) wants(c opClass) (before, after bool) {
	f := &a.f
	switch f.Kind {
	case KindCut:
		return f.AtNs != nil || f.Op != nil || c != clsRead || f.CountReads, false
	case KindFail:
		return f.Target.matches([nClass]emu.OpKind{clsRead: emu.OpRead, clsProgram: emu.OpProgram, clsErase: emu.OpErase}[c]), false
	case KindWear:
		switch f.Mode {
		case ProgramFail:
			return c == clsProgram, false
		case StuckBits:
			return false, c == clsErase
		}
		return c == clsErase, false
	case KindRetention:
		return c == clsRead, false
	case KindDisturb:
		return false, c == clsRead
	}
	return false, false
}

// record keeps e and hands it, as a note, to the annotators (tracers) of
// the device's hook chain: the record of the operation in progress (or the
// next one) says what the injector did.
func (inj *Injector) record(a *arm, e Event) {
	e.Fault = a.idx
	if u, _, _, ok := inj.dev.UnitAt(e.Off); ok {
		e.Unit = u
	}
	inj.events = append(inj.events, e)
	for _, an := range emu.Annotators(inj.dev.Hook()) {
		an.Annotate(e.String())
	}
}

// Before implements emu.Hook.
func (inj *Injector) Before(d *emu.Device, op *emu.Op) error {
	inj.pending = nil
	for _, a := range inj.before[classOf(op.Kind)] {
		if a.done {
			continue
		}
		switch a.f.Kind {
		case KindCut:
			if fire, frac := a.cutFires(op); fire {
				a.done = true
				if frac >= 1 {
					inj.pending, inj.pendFr = a, 1
					return nil
				}
				return inj.cut(d, op, a, frac)
			}
		case KindFail:
			if a.f.Target.matches(op.Kind) {
				a.count++
				if a.f.Nth > 0 && a.count == a.f.Nth || a.f.Rate > 0 && a.r.float() < a.f.Rate {
					if a.f.Nth > 0 {
						a.done = true
					}
					return inj.fail(d, op, a)
				}
			}
		case KindWear:
			if err := inj.wearBefore(d, op, a); err != nil {
				return err
			}
		case KindRetention:
			if op.Kind == emu.OpRead {
				inj.retention(d, op, a)
			}
		}
	}
	return nil
}

// After implements emu.Hook.
func (inj *Injector) After(d *emu.Device, op *emu.Op, err error) error {
	if a := inj.pending; a != nil {
		inj.pending = nil
		d.PowerOff()
		inj.record(a, Event{What: EvCut, Op: op.Kind.String(), Seq: op.Seq, AtNs: op.Start + op.Dur,
			Off: op.Off, Len: op.Len, Fraction: 1, Detail: "operation completed, caller never heard"})
		return fmt.Errorf("%w: cut after op %d (%s at 0x%x+%d) completed", ErrPowerLoss, op.Seq, op.Kind, op.Off, op.Len)
	}
	for _, a := range inj.after[classOf(op.Kind)] {
		if a.done {
			continue
		}
		switch {
		case a.f.Kind == KindDisturb && op.Kind == emu.OpRead:
			inj.disturb(d, op, a)
		case a.f.Kind == KindWear && a.f.Mode == StuckBits && op.Kind == emu.OpErase && err == nil:
			inj.wearStuck(d, op, a)
		}
	}
	return err
}

// cutFires says whether cut a lands in op, and at which fraction.
func (a *arm) cutFires(op *emu.Op) (bool, float64) {
	f := &a.f
	switch {
	case f.AtNs != nil:
		t := *f.AtNs
		if op.Start+op.Dur <= t {
			return false, 0
		}
		if t <= op.Start || op.Dur <= 0 {
			return true, 0
		}
		return true, float64(t-op.Start) / float64(op.Dur)
	case f.Op != nil:
		if op.Seq != *f.Op {
			return false, 0
		}
	default:
		if !op.Kind.Mutates() && !f.CountReads {
			return false, 0
		}
		a.count++
		if a.count != f.AfterOps {
			return false, 0
		}
	}
	if f.Fraction != nil {
		return true, *f.Fraction
	}
	return true, a.r.float()
}

// tearOp leaves the partial result of op interrupted at fraction frac.
func (inj *Injector) tearOp(d *emu.Device, op *emu.Op, a *arm, frac float64, m Model) {
	if !op.Kind.Mutates() || frac <= 0 {
		return
	}
	m = inj.inf.modelFor(op.Kind, m)
	o := recOf(op)
	unit, lf := inj.inf.locate(d, &o, op.Dur, frac, m)
	s, e := inj.t.apply(d, &o, tear{unit: unit, frac: lf, model: m}, &a.r)
	what := EvTornProgram
	if op.Kind == emu.OpErase {
		what = EvTornErase
	}
	inj.record(a, Event{What: what, Op: op.Kind.String(), Seq: op.Seq, AtNs: op.Start + int64(frac*float64(op.Dur)),
		Off: s, Len: e - s, Fraction: lf, Model: m, Detail: fmt.Sprintf("unit %d of the operation", unit)})
}

func (inj *Injector) cut(d *emu.Device, op *emu.Op, a *arm, frac float64) error {
	at := op.Start + int64(frac*float64(op.Dur))
	if a.f.AtNs != nil {
		at = *a.f.AtNs
	}
	inj.tearOp(d, op, a, frac, a.f.Model)
	op.Dur = int64(frac * float64(op.Dur))
	d.PowerOff()
	inj.record(a, Event{What: EvCut, Op: op.Kind.String(), Seq: op.Seq, AtNs: at, Off: op.Off, Len: op.Len,
		Fraction: frac, Model: a.f.Model})
	return fmt.Errorf("%w: cut in op %d (%s at 0x%x+%d) at fraction %.4g", ErrPowerLoss, op.Seq, op.Kind, op.Off, op.Len, frac)
}

func (inj *Injector) fail(d *emu.Device, op *emu.Op, a *arm) error {
	if a.f.Partial != nil {
		inj.tearOp(d, op, a, *a.f.Partial, "")
	}
	en := errno.Errno(abs(a.f.Errno))
	if en == 0 {
		en = errno.EIO
	}
	inj.record(a, Event{What: EvFail, Op: op.Kind.String(), Seq: op.Seq, AtNs: op.Start, Off: op.Off, Len: op.Len, Errno: -int(en)})
	return injected(en, "%s at 0x%x+%d (op %d)", op.Kind, op.Off, op.Len, op.Seq)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func (a *arm) scale() float64 {
	if a.f.Scale > 0 {
		return a.f.Scale
	}
	return 1000
}

// endurance is unit u's endurance under wear fault a: nominal × (1 ± spread),
// drawn from the fault's seed and u alone (stable whatever the order of use).
func (a *arm) endurance(u int) uint32 {
	r := newRNG(derive(a.seed, uint64(u)))
	x := float64(a.f.Endurance) * (1 + a.f.Spread*(2*r.float()-1))
	return uint32(max(math.Round(x), 1))
}

func (inj *Injector) wearBefore(d *emu.Device, op *emu.Op, a *arm) error {
	switch a.f.Mode {
	case EraseFail, BadBlock:
		if op.Kind != emu.OpErase {
			return nil
		}
		for p := op.Off; p < op.Off+op.Len; {
			u, _, sz, _ := d.UnitAt(p)
			if d.EraseCount(u) < a.endurance(u) {
				p += sz
				continue
			}
			// Units before the worn one were erased; the worn one fails
			// verification with part of its bits still programmed.
			for q := op.Off; q < p; {
				v, _, s2, _ := d.UnitAt(q)
				_ = d.ApplyErase(v)
				q += s2
			}
			inj.t.eraseUnit(d, u, tear{frac: 0.5 + 0.5*a.r.float(), model: Partial}, &a.r)
			inj.record(a, Event{What: EvWorn, Op: op.Kind.String(), Seq: op.Seq, AtNs: op.Start, Off: p, Len: sz,
				Errno: -int(errno.EIO), Detail: fmt.Sprintf("erase %d past endurance %d", d.EraseCount(u), a.endurance(u))})
			if a.f.Mode == BadBlock {
				_ = d.MarkBad(u)
				inj.record(a, Event{What: EvBadBlock, Op: op.Kind.String(), Seq: op.Seq, AtNs: op.Start, Off: p, Len: sz})
			}
			return injected(errno.EIO, "erase of worn unit %d at 0x%x (endurance %d)", u, p, a.endurance(u))
		}
	case ProgramFail:
		if op.Kind != emu.OpProgram && op.Kind != emu.OpProgramOOB {
			return nil
		}
		n := max(op.Len, 1)
		if op.Kind == emu.OpProgramOOB {
			n = 1
		}
		for p := op.Off; p < op.Off+n; {
			u, start, sz, ok := d.UnitAt(p)
			if !ok {
				return nil
			}
			if d.EraseCount(u) >= a.endurance(u) {
				inj.tearOp(d, op, a, a.r.float(), "")
				inj.record(a, Event{What: EvWorn, Op: op.Kind.String(), Seq: op.Seq, AtNs: op.Start, Off: op.Off, Len: op.Len,
					Errno: -int(errno.EIO), Detail: fmt.Sprintf("program into unit %d past endurance %d", u, a.endurance(u))})
				return injected(errno.EIO, "program into worn unit %d at 0x%x (endurance %d)", u, op.Off, a.endurance(u))
			}
			p = start + sz
		}
	}
	return nil
}

// wearStuck adds one stuck bit to each unit just erased past its endurance.
func (inj *Injector) wearStuck(d *emu.Device, op *emu.Op, a *arm) {
	for p := op.Off; p < op.Off+op.Len; {
		u, start, sz, ok := d.UnitAt(p)
		if !ok {
			return
		}
		if d.EraseCount(u) > a.endurance(u) {
			off := start + int64(a.r.intn(int(sz)))
			bit := a.r.intn(8)
			prog := (inj.inf.ev>>bit)&1 == 0 // the programmed value of that bit
			_ = d.SetStuck(off, uint(bit), prog)
			inj.record(a, Event{What: EvStuck, Op: op.Kind.String(), Seq: op.Seq, AtNs: op.Start + op.Dur, Off: off, Bit: bit,
				Detail: fmt.Sprintf("worn: erase %d past endurance %d", d.EraseCount(u), a.endurance(u))})
		}
		p = start + sz
	}
}

// flipToward flips a random bit of unit u that is currently programmed
// (toErased) or erased (!toErased), if the chosen bit is in that state and
// carries no error yet (neither a bit error nor an unstable bit; other bits
// of its byte may). It returns the offset and bit, or -1.
func (inj *Injector) flipToward(d *emu.Device, u int, toErased bool, r *rng) (int64, int) {
	start, size := d.Unit(u)
	off := start + int64(r.intn(int(size)))
	bit := r.intn(8)
	var b, f, us [1]byte
	if d.Peek(off, b[:]) != nil || d.PeekFlips(off, f[:]) != nil || d.PeekUnstable(off, us[:]) != nil {
		return -1, 0
	}
	if (f[0]|us[0])>>bit&1 != 0 {
		return -1, 0
	}
	programmed := ((b[0]^inj.inf.ev)>>bit)&1 == 1
	if programmed != toErased {
		return -1, 0
	}
	_ = d.XorFlips(off, []byte{1 << bit})
	return off, bit
}

func (inj *Injector) disturb(d *emu.Device, op *emu.Op, a *arm) {
	for p := op.Off; p < op.Off+op.Len; {
		u, start, sz, ok := d.UnitAt(p)
		if !ok {
			return
		}
		pr := a.f.Rate * (1 + float64(d.ReadsSinceErase(u))/a.scale())
		if a.r.float() < pr {
			if off, bit := inj.flipToward(d, u, false, &a.r); off >= 0 {
				inj.record(a, Event{What: EvDisturb, Op: op.Kind.String(), Seq: op.Seq, AtNs: op.Start + op.Dur, Off: off, Bit: bit,
					Fraction: min(pr, 1), Detail: fmt.Sprintf("%d reads since erase", d.ReadsSinceErase(u))})
			}
		}
		p = start + sz
	}
}

func (inj *Injector) retention(d *emu.Device, op *emu.Op, a *arm) {
	for p := op.Off; p < op.Off+max(op.Len, 1); {
		u, start, sz, ok := d.UnitAt(p)
		if !ok {
			return
		}
		base := max(d.LastProgramNs(u), a.retained[u])
		a.retained[u] = op.Start
		if el := op.Start - base; el > 0 {
			lambda := a.f.Rate * float64(el) / 1e9 * (1 + float64(d.EraseCount(u))/a.scale())
			for n := min(a.r.poisson(lambda), int(sz)*8); n > 0; n-- {
				if off, bit := inj.flipToward(d, u, true, &a.r); off >= 0 {
					inj.record(a, Event{What: EvRetention, Op: op.Kind.String(), Seq: op.Seq, AtNs: op.Start, Off: off, Bit: bit,
						Detail: fmt.Sprintf("%.3gs since program, wear %d", float64(op.Start-d.LastProgramNs(u))/1e9, d.EraseCount(u))})
				}
			}
		}
		p = start + sz
	}
}
