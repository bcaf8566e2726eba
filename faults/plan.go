package faults

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
)

// A Plan is a fault plan: plain data (JSON-serialisable) naming a seed and a
// list of faults. Everything random an Injector does comes from Seed: the
// same plan on the same device and script gives the same bits. String
// renders the plan on one line that ParsePlan reads back.
type Plan struct {
	Seed   uint64  `json:"seed"`
	Faults []Fault `json:"faults"`
}

// FaultKind names a kind of fault.
type FaultKind string

// Fault kinds.
const (
	// KindCut is a power cut (AfterOps, AtNs or Op; Fraction, Model).
	KindCut FaultKind = "cut"
	// KindFlip toggles one bit (Off, Bit) now: a bit error in the read
	// overlay that NAND ECC sees; the next erase of the unit clears it.
	KindFlip FaultKind = "flip"
	// KindStuck makes one bit (Off, Bit) read Value (0 or 1) forever:
	// programs and erases cannot change it.
	KindStuck FaultKind = "stuck"
	// KindDisturb is statistical read disturb: after each read, each unit it
	// touched flips one erased bit to programmed with probability
	// Rate × (1 + reads since the unit's erase / Scale) (Scale default 1000).
	KindDisturb FaultKind = "disturb"
	// KindRetention is statistical retention loss: before each read, each
	// unit it touches loses Poisson(Rate × seconds since its last program or
	// last evaluation × (1 + erase count / Scale)) programmed bits (flipped to
	// the erased state; Scale default 1000). Advance ages the device.
	KindRetention FaultKind = "retention"
	// KindWear is wear-out: each erase unit gets an endurance drawn from
	// Endurance × (1 ± Spread) (seeded); past it Mode applies.
	KindWear FaultKind = "wear"
	// KindFail is an operation failure like nandsim/UBI: the Nth operation
	// of Target from arming, or each one with probability Rate, fails with
	// Errno, after doing Partial of its work (nil: none).
	KindFail FaultKind = "fail"
)

// WearMode is what a worn-out unit does.
type WearMode string

// Wear-out behaviours.
const (
	// EraseFail: erasing a worn unit leaves it partly erased and fails with EIO.
	EraseFail WearMode = "erase_fail"
	// ProgramFail: programming into a worn unit programs part of the data and
	// fails with EIO.
	ProgramFail WearMode = "program_fail"
	// StuckBits: every erase past the endurance makes one more random bit of
	// the unit stuck at the programmed value; operations succeed.
	StuckBits WearMode = "stuck_bits"
	// BadBlock (NAND): erasing a worn block fails with EIO and the block is
	// marked bad, so every later program or erase of it fails with
	// emu.ErrBadBlock and IsBad reports it.
	BadBlock WearMode = "bad_block"
)

// Target is the operation kind a KindFail fault matches.
type Target string

// Fail targets. Program includes NAND spare-area programs; Read includes
// spare-area reads.
const (
	TargetProgram Target = "program"
	TargetErase   Target = "erase"
	TargetRead    Target = "read"
)

func (t Target) matches(k emu.OpKind) bool {
	switch t {
	case TargetProgram:
		return k == emu.OpProgram || k == emu.OpProgramOOB
	case TargetErase:
		return k == emu.OpErase
	case TargetRead:
		return k == emu.OpRead || k == emu.OpReadOOB
	}
	return false
}

// Fault is one fault of a plan. Which fields apply depends on Kind (see the
// Kind constants); the others must be zero.
//
// Cuts: exactly one of AfterOps (the Nth mutating operation — program, erase
// or spare-area program — from the moment the fault is armed, 1 = the next;
// with CountReads reads count too), AtNs (simulated time: the cut lands in the
// operation spanning AtNs, at the fraction of its duration AtNs represents,
// or before the next operation if the device was idle then), or Op (the
// device's operation index, emu.Op.Seq, counting every operation since the
// device was created). Fraction is the share of the operation done before the
// cut: 0 = nothing happened, 1 = it completed but the caller never hears; nil
// draws it uniformly from the plan seed (AtNs computes it). Model chooses how
// the torn operation looks ("" = the device default, see DefaultModels; a
// model that does not apply to the operation kind also falls back to it).
type Fault struct {
	Kind FaultKind `json:"kind"`

	AfterOps   int64    `json:"after_ops,omitempty"`
	AtNs       *int64   `json:"at_ns,omitempty"`
	Op         *uint64  `json:"op,omitempty"`
	Fraction   *float64 `json:"fraction,omitempty"`
	Model      Model    `json:"model,omitempty"`
	CountReads bool     `json:"count_reads,omitempty"`

	Off   int64 `json:"off,omitempty"`
	Bit   int   `json:"bit,omitempty"`
	Value int   `json:"value,omitempty"`

	Rate  float64 `json:"rate,omitempty"`
	Scale float64 `json:"scale,omitempty"`

	Endurance uint32   `json:"endurance,omitempty"`
	Spread    float64  `json:"spread,omitempty"`
	Mode      WearMode `json:"mode,omitempty"`

	Target  Target   `json:"target,omitempty"`
	Nth     int64    `json:"nth,omitempty"`
	Errno   int      `json:"errno,omitempty"`
	Partial *float64 `json:"partial,omitempty"`
}

func ptr[T any](v T) *T { return &v }

// CutAfterOps cuts power during the Nth mutating operation from arming.
func CutAfterOps(n int64) Fault { return Fault{Kind: KindCut, AfterOps: n} }

// CutAtNs cuts power at simulated time t.
func CutAtNs(t int64) Fault { return Fault{Kind: KindCut, AtNs: ptr(t)} }

// CutAt cuts power during the device's operation number op (emu.Op.Seq) at
// fraction of it, leaving the torn state of model m ("" = device default).
func CutAt(op uint64, fraction float64, m Model) Fault {
	return Fault{Kind: KindCut, Op: ptr(op), Fraction: ptr(fraction), Model: m}
}

// WithFraction sets the fraction of the cut operation done (cuts).
func (f Fault) WithFraction(x float64) Fault { f.Fraction = ptr(x); return f }

// WithModel sets the torn model (cuts).
func (f Fault) WithModel(m Model) Fault { f.Model = m; return f }

// WithPartial sets the fraction of work a failing operation does (fail).
func (f Fault) WithPartial(x float64) Fault { f.Partial = ptr(x); return f }

// Flip toggles bit (0–7) of the byte at device offset off.
func Flip(off int64, bit int) Fault { return Fault{Kind: KindFlip, Off: off, Bit: bit} }

// Stuck makes bit (0–7) of the byte at off read value (0 or 1) forever.
func Stuck(off int64, bit, value int) Fault {
	return Fault{Kind: KindStuck, Off: off, Bit: bit, Value: value}
}

// ReadDisturb is statistical read disturb (see KindDisturb).
func ReadDisturb(rate, scale float64) Fault {
	return Fault{Kind: KindDisturb, Rate: rate, Scale: scale}
}

// Retention is statistical retention loss (see KindRetention).
func Retention(rate, scale float64) Fault {
	return Fault{Kind: KindRetention, Rate: rate, Scale: scale}
}

// WearOut gives units an endurance of nominal ± spread (a fraction, 0.1 =
// ±10 %) after which mode applies.
func WearOut(nominal uint32, spread float64, mode WearMode) Fault {
	return Fault{Kind: KindWear, Endurance: nominal, Spread: spread, Mode: mode}
}

// FailNth fails the nth operation of target from arming with errno (a Zephyr
// errno, sign ignored; 0 = EIO).
func FailNth(target Target, nth int64, errno int) Fault {
	return Fault{Kind: KindFail, Target: target, Nth: nth, Errno: errno}
}

// FailRate fails each operation of target with probability p.
func FailRate(target Target, p float64, errno int) Fault {
	return Fault{Kind: KindFail, Target: target, Rate: p, Errno: errno}
}

// kv is one rendered field.
type kv struct{ k, v string }

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// pairs renders every non-zero field, in a fixed order.
func (f *Fault) pairs() []kv {
	var out []kv
	add := func(k, v string) { out = append(out, kv{k, v}) }
	if f.AfterOps != 0 {
		add("after_ops", strconv.FormatInt(f.AfterOps, 10))
	}
	if f.AtNs != nil {
		add("at_ns", strconv.FormatInt(*f.AtNs, 10))
	}
	if f.Op != nil {
		add("op", strconv.FormatUint(*f.Op, 10))
	}
	if f.Fraction != nil {
		add("fraction", fmtFloat(*f.Fraction))
	}
	if f.Model != "" {
		add("model", string(f.Model))
	}
	if f.CountReads {
		add("count_reads", "1")
	}
	if f.Off != 0 {
		add("off", strconv.FormatInt(f.Off, 10))
	}
	if f.Bit != 0 {
		add("bit", strconv.Itoa(f.Bit))
	}
	if f.Value != 0 {
		add("value", strconv.Itoa(f.Value))
	}
	if f.Rate != 0 {
		add("rate", fmtFloat(f.Rate))
	}
	if f.Scale != 0 {
		add("scale", fmtFloat(f.Scale))
	}
	if f.Endurance != 0 {
		add("endurance", strconv.FormatUint(uint64(f.Endurance), 10))
	}
	if f.Spread != 0 {
		add("spread", fmtFloat(f.Spread))
	}
	if f.Mode != "" {
		add("mode", string(f.Mode))
	}
	if f.Target != "" {
		add("target", string(f.Target))
	}
	if f.Nth != 0 {
		add("nth", strconv.FormatInt(f.Nth, 10))
	}
	if f.Errno != 0 {
		add("errno", strconv.Itoa(f.Errno))
	}
	if f.Partial != nil {
		add("partial", fmtFloat(*f.Partial))
	}
	return out
}

var allowed = map[FaultKind]string{
	KindCut:       " after_ops at_ns op fraction model count_reads ",
	KindFlip:      " off bit ",
	KindStuck:     " off bit value ",
	KindDisturb:   " rate scale ",
	KindRetention: " rate scale ",
	KindWear:      " endurance spread mode ",
	KindFail:      " target nth rate errno partial ",
}

// String renders the fault as kind:key=value,... (see Plan.String).
func (f Fault) String() string {
	var b strings.Builder
	b.WriteString(string(f.Kind))
	for i, p := range f.pairs() {
		if i == 0 {
			b.WriteByte(':')
		} else {
			b.WriteByte(',')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

func finite01(v float64) bool { return v >= 0 && v <= 1 && !math.IsNaN(v) }

// Validate checks the fault on its own (device-dependent checks happen when
// it is armed on a device).
func (f *Fault) Validate() error {
	al, ok := allowed[f.Kind]
	if !ok {
		return badPlan("unknown fault kind %q", f.Kind)
	}
	for _, p := range f.pairs() {
		if !strings.Contains(al, " "+p.k+" ") {
			return badPlan("%s fault takes no %s", f.Kind, p.k)
		}
	}
	switch f.Kind {
	case KindCut:
		n := 0
		if f.AfterOps != 0 {
			n++
			if f.AfterOps < 0 {
				return badPlan("cut after_ops %d must be positive", f.AfterOps)
			}
		}
		if f.AtNs != nil {
			n++
			if *f.AtNs < 0 {
				return badPlan("cut at_ns %d must not be negative", *f.AtNs)
			}
		}
		if f.Op != nil {
			n++
		}
		if n != 1 {
			return badPlan("a cut needs exactly one of after_ops, at_ns, op")
		}
		if f.Fraction != nil && !finite01(*f.Fraction) {
			return badPlan("cut fraction %v outside [0, 1]", *f.Fraction)
		}
		if f.AtNs != nil && f.Fraction != nil {
			return badPlan("an at_ns cut computes its fraction")
		}
		if !f.Model.valid() {
			return badPlan("unknown model %q", f.Model)
		}
	case KindFlip, KindStuck:
		if f.Off < 0 || f.Bit < 0 || f.Bit > 7 {
			return badPlan("%s at offset %d bit %d: need offset >= 0 and bit 0..7", f.Kind, f.Off, f.Bit)
		}
		if f.Value != 0 && f.Value != 1 {
			return badPlan("stuck value %d must be 0 or 1", f.Value)
		}
	case KindDisturb, KindRetention:
		if !(f.Rate > 0) || math.IsInf(f.Rate, 0) || f.Scale < 0 || math.IsNaN(f.Scale) {
			return badPlan("%s needs rate > 0 and scale >= 0", f.Kind)
		}
		if f.Kind == KindDisturb && f.Rate > 1 {
			return badPlan("disturb rate %v is a probability", f.Rate)
		}
	case KindWear:
		if f.Endurance == 0 {
			return badPlan("wear needs endurance > 0")
		}
		if !(f.Spread >= 0 && f.Spread < 1) {
			return badPlan("wear spread %v outside [0, 1)", f.Spread)
		}
		switch f.Mode {
		case EraseFail, ProgramFail, StuckBits, BadBlock:
		default:
			return badPlan("unknown wear mode %q (erase_fail, program_fail, stuck_bits, bad_block)", f.Mode)
		}
	case KindFail:
		if !f.Target.matches(emu.OpProgram) && !f.Target.matches(emu.OpErase) && !f.Target.matches(emu.OpRead) {
			return badPlan("unknown fail target %q (program, erase, read)", f.Target)
		}
		if (f.Nth > 0) == (f.Rate > 0) || f.Nth < 0 || !finite01(f.Rate) {
			return badPlan("a fail needs exactly one of nth > 0 or rate in (0, 1]")
		}
		if f.Partial != nil && !finite01(*f.Partial) {
			return badPlan("fail partial %v outside [0, 1]", *f.Partial)
		}
	}
	return nil
}

// Validate checks every fault.
func (p *Plan) Validate() error {
	for i := range p.Faults {
		if err := p.Faults[i].Validate(); err != nil {
			return badPlanAt(i, err)
		}
	}
	return nil
}

func badPlanAt(i int, err error) error {
	return badPlan("fault %d: %s", i, strings.TrimPrefix(err.Error(), ErrBadPlan.Error()+": "))
}

// String renders the plan on one line: "seed=N;kind:key=value,...;...".
// ParsePlan reads it back to an equal plan.
func (p Plan) String() string {
	var b strings.Builder
	b.WriteString("seed=")
	b.WriteString(strconv.FormatUint(p.Seed, 10))
	for _, f := range p.Faults {
		b.WriteByte(';')
		b.WriteString(f.String())
	}
	return b.String()
}

// JSON renders the plan as JSON.
func (p Plan) JSON() string {
	b, _ := json.Marshal(p)
	return string(b)
}

// ParsePlan parses the output of Plan.String (whitespace around separators
// is ignored; numbers may be decimal or 0x hex; errno may be a name like
// EIO). A string starting with '{' is parsed as the JSON form.
func ParsePlan(s string) (Plan, error) {
	var p Plan
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "{") {
		if err := json.Unmarshal([]byte(s), &p); err != nil {
			return Plan{}, badPlan("%v", err)
		}
		return p, p.Validate()
	}
	for i, part := range strings.Split(s, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if v, ok := strings.CutPrefix(part, "seed="); ok && i == 0 {
			seed, err := strconv.ParseUint(strings.TrimSpace(v), 0, 64)
			if err != nil {
				return Plan{}, badPlan("seed %q: %v", v, err)
			}
			p.Seed = seed
			continue
		}
		f, err := ParseFault(part)
		if err != nil {
			return Plan{}, err
		}
		p.Faults = append(p.Faults, f)
	}
	return p, p.Validate()
}

// ParseFault parses one fault in the form Fault.String renders.
func ParseFault(s string) (Fault, error) {
	kind, rest, _ := strings.Cut(strings.TrimSpace(s), ":")
	f := Fault{Kind: FaultKind(strings.TrimSpace(kind))}
	if _, ok := allowed[f.Kind]; !ok {
		return Fault{}, badPlan("unknown fault kind %q in %q", f.Kind, s)
	}
	if strings.TrimSpace(rest) != "" {
		for _, item := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(item, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" {
				return Fault{}, badPlan("%q: want key=value", item)
			}
			if err := f.set(k, v); err != nil {
				return Fault{}, badPlan("%s %s=%q: %v", f.Kind, k, v, err)
			}
		}
	}
	if err := f.Validate(); err != nil {
		return Fault{}, err
	}
	return f, nil
}

func (f *Fault) set(k, v string) error {
	i64 := func() (int64, error) { return strconv.ParseInt(v, 0, 64) }
	fl := func() (float64, error) { return strconv.ParseFloat(v, 64) }
	var err error
	switch k {
	case "after_ops":
		f.AfterOps, err = i64()
	case "at_ns":
		var t int64
		t, err = i64()
		f.AtNs = &t
	case "op":
		var o uint64
		o, err = strconv.ParseUint(v, 0, 64)
		f.Op = &o
	case "fraction":
		var x float64
		x, err = fl()
		f.Fraction = &x
	case "model":
		f.Model, err = ParseModel(v)
	case "count_reads":
		f.CountReads, err = strconv.ParseBool(v)
	case "off":
		f.Off, err = i64()
	case "bit":
		f.Bit, err = strconv.Atoi(v)
	case "value":
		f.Value, err = strconv.Atoi(v)
	case "rate":
		f.Rate, err = fl()
	case "scale":
		f.Scale, err = fl()
	case "endurance":
		var e uint64
		e, err = strconv.ParseUint(v, 0, 32)
		f.Endurance = uint32(e)
	case "spread":
		f.Spread, err = fl()
	case "mode":
		f.Mode = WearMode(v)
	case "target":
		f.Target = Target(v)
	case "nth":
		f.Nth, err = i64()
	case "errno":
		var n int64
		if n, err = i64(); err != nil {
			e, ok := errno.ByName(v)
			if !ok {
				return err
			}
			n, err = -int64(e), nil
		}
		f.Errno = int(n)
	case "partial":
		var x float64
		x, err = fl()
		f.Partial = &x
	default:
		return badPlan("unknown key")
	}
	return err
}
