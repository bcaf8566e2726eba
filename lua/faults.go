package lua

import (
	"fmt"

	"github.com/flashemu/flashemu/faults"
	glua "github.com/yuin/gopher-lua"
)

// faults: what goes wrong and when. Each device gets one injector (a
// faults.Injector installed as its hook) the first time a fault is added;
// every fault function adds to it. The injector's seed is the seed option
// of that first call, else the device's seed.
//
// The sweep engine (sweep.define, flashemu sweep) is bound separately.

func init() {
	registerModule(&moduleDef{
		name: "faults",
		doc:  "fault injection: power cuts, bit flips, stuck bits, disturb/retention, wear-out, op failures",
		funcs: []fnDef{
			{"power_cut", "faults.power_cut(dev, {after_ops=N | at_ns=T | op=N, fraction=, model=, count_reads=, seed=})", "cut the power at the Nth mutating op from now, at simulated time T, or inside op N; the torn state follows model (prefix, scatter, metastable, preprogram, partial)", faultsPowerCut},
			{"flip", "faults.flip(dev, off, bit)", "toggle one bit now (a bit error until the unit is erased)", faultsFlip},
			{"stuck", "faults.stuck(dev, off, bit, value)", "make one bit read value (0 or 1) forever", faultsStuck},
			{"bitflips", "faults.bitflips(dev, {read_disturb=rate, retention=rate, scale=, seed=})", "statistical read disturb and retention loss", faultsBitflips},
			{"wear", "faults.wear(dev, {endurance=100000, spread=0.1, mode=\"erase_fail\"|\"program_fail\"|\"stuck_bits\"|\"bad_block\", seed=})", "wear-out past a per-unit endurance", faultsWear},
			{"fail", "faults.fail(dev, {op=\"program\"|\"erase\"|\"read\", nth=N | rate=p, errno=-5, partial=, seed=})", "fail the Nth (or each, with probability p) operation of a kind", faultsFail},
			{"is_power_loss", "faults.is_power_loss(err) --> bool", "true if err (from pcall) is a power-cut error object", faultsIsPowerLoss},
			{"events", "faults.events(dev) --> {{what=, op=, seq=, at_ns=, off=, ...}, ...}", "what the device's injector did so far", faultsEvents},
			{"plan", "faults.plan(dev) --> string | nil", "the device's fault plan as one line (faults.attach reads it back)", faultsPlan},
			{"attach", "faults.attach(dev, plan)", "arm a plan string (as faults.plan prints it) on a device", faultsAttach},
			{"advance", "faults.advance(dev, ns)", "age the device: move its clock forward (retention)", faultsAdvance},
			{"clear", "faults.clear(dev)", "remove the device's injector and its pending faults", faultsClear},
		},
	})
}

func faultsIsPowerLoss(s *State, L *glua.LState) int {
	L.Push(glua.LBool(IsPowerLoss(L.Get(1))))
	return 1
}

// injector returns d's injector, attaching one seeded with seed (or the
// device's seed) on first use.
func (d *Device) injector(seed *uint64) (*faults.Injector, error) {
	if d.Inj != nil {
		return d.Inj, nil
	}
	sd := d.Dev.Config().Seed
	if seed != nil {
		sd = *seed
	}
	inj, err := faults.Attach(d.Dev, faults.Plan{Seed: sd})
	if err != nil {
		return nil, err
	}
	d.Inj = inj
	return inj, nil
}

// addFault adds f to the device at argument 1, raising on a bad fault.
func addFault(a args, d *Device, opts *fields, fs ...faults.Fault) {
	var seed *uint64
	if opts != nil && opts.has("seed") {
		v := uint64(opts.int("seed", 0))
		seed = &v
	}
	inj, err := d.injector(seed)
	if err != nil {
		a.raise("%s: %v", a.fn, err)
	}
	for _, f := range fs {
		if err := inj.Add(f); err != nil {
			a.raise("%s: %v", a.fn, err)
		}
	}
}

func optFloat(f *fields, name string) *float64 {
	if !f.has(name) {
		return nil
	}
	v := f.number(name, 0)
	return &v
}

func faultsPowerCut(s *State, L *glua.LState) int {
	a := argsOf(L, "power_cut")
	d := checkUD[Device](a, 1, deviceType)
	f := a.opts(2)
	cut := faults.Fault{Kind: faults.KindCut}
	n := 0
	if f.has("after_ops") {
		cut.AfterOps = f.int("after_ops", 0)
		n++
	}
	if f.has("at_ns") {
		t := f.int("at_ns", 0)
		cut.AtNs = &t
		n++
	}
	if f.has("op") {
		op := f.int("op", 0)
		if op < 0 {
			f.fail("op", "negative operation index")
		}
		u := uint64(op)
		cut.Op = &u
		n++
	}
	if n != 1 {
		a.argError(2, "give exactly one of after_ops, at_ns and op")
	}
	cut.Fraction = optFloat(f, "fraction")
	m, err := faults.ParseModel(f.str("model", ""))
	if err != nil {
		f.fail("model", err.Error())
	}
	cut.Model = m
	cut.CountReads = f.boolean("count_reads", false)
	addFault(a, d, f, cut)
	f.done()
	return 0
}

func faultsFlip(s *State, L *glua.LState) int {
	a := argsOf(L, "flip")
	d := checkUD[Device](a, 1, deviceType)
	off := a.nonNeg(2)
	bit := a.intRange(3, 0, 7)
	addFault(a, d, nil, faults.Flip(off, int(bit)))
	return 0
}

func faultsStuck(s *State, L *glua.LState) int {
	a := argsOf(L, "stuck")
	d := checkUD[Device](a, 1, deviceType)
	off := a.nonNeg(2)
	bit := a.intRange(3, 0, 7)
	val := a.intRange(4, 0, 1)
	addFault(a, d, nil, faults.Stuck(off, int(bit), int(val)))
	return 0
}

func faultsBitflips(s *State, L *glua.LState) int {
	a := argsOf(L, "bitflips")
	d := checkUD[Device](a, 1, deviceType)
	f := a.opts(2)
	scale := f.number("scale", 0)
	var fs []faults.Fault
	if f.has("read_disturb") {
		fs = append(fs, faults.ReadDisturb(f.number("read_disturb", 0), scale))
	}
	if f.has("retention") {
		fs = append(fs, faults.Retention(f.number("retention", 0), scale))
	}
	if len(fs) == 0 {
		a.argError(2, "give read_disturb and/or retention")
	}
	addFault(a, d, f, fs...)
	f.done()
	return 0
}

func faultsWear(s *State, L *glua.LState) int {
	a := argsOf(L, "wear")
	d := checkUD[Device](a, 1, deviceType)
	f := a.opts(2)
	end := f.int("endurance", 100000)
	if end <= 0 || end > 1<<32-1 {
		f.fail("endurance", fmt.Sprintf("%d out of range [1, 2^32)", end))
	}
	spread := f.number("spread", 0)
	mode := faults.WearMode(f.str("mode", string(faults.EraseFail)))
	addFault(a, d, f, faults.WearOut(uint32(end), spread, mode))
	f.done()
	return 0
}

func faultsFail(s *State, L *glua.LState) int {
	a := argsOf(L, "fail")
	d := checkUD[Device](a, 1, deviceType)
	f := a.opts(2)
	target := faults.Target(f.str("op", ""))
	switch target {
	case faults.TargetProgram, faults.TargetErase, faults.TargetRead:
	default:
		f.fail("op", fmt.Sprintf("%q is not \"program\", \"erase\" or \"read\"", target))
	}
	errno := int(f.int("errno", -5))
	var flt faults.Fault
	switch {
	case f.has("nth") && !f.has("rate"):
		flt = faults.FailNth(target, f.int("nth", 0), errno)
	case f.has("rate") && !f.has("nth"):
		flt = faults.FailRate(target, f.number("rate", 0), errno)
	default:
		a.argError(2, "give exactly one of nth and rate")
	}
	if p := optFloat(f, "partial"); p != nil {
		flt = flt.WithPartial(*p)
	}
	addFault(a, d, f, flt)
	f.done()
	return 0
}

func faultsEvents(s *State, L *glua.LState) int {
	a := argsOf(L, "events")
	d := checkUD[Device](a, 1, deviceType)
	t := L.NewTable()
	if d.Inj == nil {
		L.Push(t)
		return 1
	}
	for _, e := range d.Inj.Events() {
		et := L.CreateTable(0, 12)
		et.RawSetString("what", glua.LString(e.What))
		et.RawSetString("op", glua.LString(e.Op))
		et.RawSetString("seq", glua.LNumber(e.Seq))
		et.RawSetString("at_ns", glua.LNumber(e.AtNs))
		et.RawSetString("off", glua.LNumber(e.Off))
		et.RawSetString("len", glua.LNumber(e.Len))
		et.RawSetString("unit", glua.LNumber(e.Unit))
		et.RawSetString("bit", glua.LNumber(e.Bit))
		et.RawSetString("fraction", glua.LNumber(e.Fraction))
		et.RawSetString("model", glua.LString(e.Model))
		et.RawSetString("errno", glua.LNumber(e.Errno))
		et.RawSetString("detail", glua.LString(e.Detail))
		et.RawSetString("text", glua.LString(e.String()))
		t.Append(et)
	}
	L.Push(t)
	return 1
}

func faultsPlan(s *State, L *glua.LState) int {
	a := argsOf(L, "plan")
	d := checkUD[Device](a, 1, deviceType)
	if d.Inj == nil {
		L.Push(glua.LNil)
		return 1
	}
	L.Push(glua.LString(d.Inj.Plan().String()))
	return 1
}

func faultsAttach(s *State, L *glua.LState) int {
	a := argsOf(L, "attach")
	d := checkUD[Device](a, 1, deviceType)
	plan, err := faults.ParsePlan(a.str(2))
	if err != nil {
		a.argError(2, err.Error())
	}
	if d.Inj != nil {
		d.Inj.Detach()
		d.Inj = nil
		d.rehook()
	}
	inj, err := faults.Attach(d.Dev, plan)
	if err != nil {
		a.raise("attach: %v", err)
	}
	d.Inj = inj
	return 0
}

func faultsAdvance(s *State, L *glua.LState) int {
	a := argsOf(L, "advance")
	d := checkUD[Device](a, 1, deviceType)
	ns := a.nonNeg(2)
	if d.Inj != nil {
		d.Inj.Advance(ns)
	} else {
		d.Dev.Advance(ns)
	}
	return 0
}

func faultsClear(s *State, L *glua.LState) int {
	a := argsOf(L, "clear")
	d := checkUD[Device](a, 1, deviceType)
	if d.Inj != nil {
		d.Inj.Detach()
		d.Inj = nil
		d.rehook()
	}
	return 0
}
