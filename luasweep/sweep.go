package luasweep

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"weak"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/lua"
	glua "github.com/yuin/gopher-lua"
)

// Def is one sweep.define: the sweep's name, where it was defined,
// its schedule and the Lua functions (kept in the defining state).
type Def struct {
	// Name identifies the sweep (in IDs, --name, sweep.run).
	Name string
	// Where is "file:line" of the sweep.define call.
	Where string
	// Cuts, Depth and Seed are the definition's schedule.
	Cuts  faults.Cuts
	Depth int
	Seed  uint64
	// ProgramModel and EraseModel override the device's torn models ("" =
	// the device's defaults).
	ProgramModel, EraseModel faults.Model

	device, setup, workload, check *glua.LFunction
}

// sweepKey is the State value key of a state's sweep set.
type sweepKey struct{}

// sweepSet is the per-state sweep registry.
type sweepSet struct {
	defs   []*Def
	byName map[string]*Def
	// defineOnly: sweep.run stops the script instead of running (the
	// definition pass of flashemu sweep, and check worker states).
	defineOnly bool
	// stopped: a sweep.run stopped the script (defineOnly).
	stopped bool
	// ran: sweep.run was called; later sweep.define calls are errors.
	ran bool
	// running: a sweep.run is in progress in this state.
	running bool
	// inCheck: a sweep's check is running in this state (a check state).
	inCheck bool
	// badDef is the text of the last sweep.define error raised.
	badDef string
	// runCheckpoint: the state holds the checkpoint every run of its sweeps
	// starts from (taken by the first Bind); runCheckpointTried: the first
	// Bind tried to take it.
	runCheckpoint, runCheckpointTried bool
	// devices are the devices device factories returned (weakly held).
	devices map[weak.Pointer[emu.Device]]struct{}
}

// fresh records d as handed out by a device factory and reports whether it
// was new: a factory that returns the same device twice would start replays
// from a used device.
func (set *sweepSet) fresh(d *emu.Device) bool {
	if set.devices == nil {
		set.devices = map[weak.Pointer[emu.Device]]struct{}{}
	}
	if len(set.devices) >= 1024 {
		for p := range set.devices {
			if p.Value() == nil {
				delete(set.devices, p)
			}
		}
	}
	p := weak.Make(d)
	if _, seen := set.devices[p]; seen {
		return false
	}
	set.devices[p] = struct{}{}
	return true
}

func sweepsOf(s *lua.State) *sweepSet {
	set, _ := s.Value(sweepKey{}).(*sweepSet)
	if set == nil {
		set = &sweepSet{byName: map[string]*Def{}}
		s.SetValue(sweepKey{}, set)
	}
	return set
}

// Sweeps returns the sweeps defined in s so far, in definition order.
func Defined(s *lua.State) []*Def {
	return append([]*Def(nil), sweepsOf(s).defs...)
}

// Sweep returns the sweep named name defined in s, or nil.
func Find(s *lua.State, name string) *Def { return sweepsOf(s).byName[name] }

// sweepStop is raised by sweep.run in definition mode: it unwinds the
// script once its sweeps are defined.
type sweepStop struct{}

func (sweepStop) String() string { return "sweep.run: definition pass ends here" }

// errDefinitionPassStop is the fatal error sweep.run raises in definition
// mode.
var errDefinitionPassStop = errors.New(sweepStop{}.String())

func init() {
	lua.RegisterModule(lua.Module{
		Name: "sweep",
		Doc:  "power-cut sweeps: sweep.define(name, spec), sweep.run(name [, opts]); flashemu sweep SCRIPT",
		Funcs: []lua.Func{
			{Name: "define", Sig: `sweep.define(name, {device=fn, setup=fn, workload=fn(dev, ack), check=fn(dev, acked), cuts="op"|"unit"|"bit"|{every_ns=N}, depth=1, seed=1, program_model=, erase_model=})`,
				Doc: "define a sweep: a cut at every point of the workload, then check(dev, acked) after power-on", Fn: sweepDefine},
			{Name: "run", Sig: "sweep.run(name [, {jobs=, depth=, seed=, shard=\"I/N\", only=ID, list=false, dedup=true, shrink=true}]) --> result",
				Doc: "run a defined sweep (or replay one branch with only=ID) and return its result table", Fn: sweepRun},
			{Name: "list", Sig: "sweep.list() --> {name, ...}", Doc: "names of the sweeps defined so far", Fn: sweepList},
			{Name: "parse_id", Sig: "sweep.parse_id(id) --> name, {token, ...}, seed | nil, msg", Doc: "split a branch ID into sweep name, cut schedule and seed", Fn: sweepParseID},
		},
	})
}

// sweepNameRE is what a sweep name may contain: IDs are printed on one
// line and pasted into shells, so no spaces or quotes.
var sweepNameRE = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)

// maxSweepDepth bounds depth: each level multiplies the branches.
const maxSweepDepth = 8

func sweepDefine(s *lua.State, L *glua.LState) int {
	set := sweepsOf(s)
	defer func() {
		if r := recover(); r != nil {
			if ae, ok := r.(*glua.ApiError); ok && ae.Object != nil {
				set.badDef = ae.Object.String()
			}
			panic(r)
		}
	}()
	a := lua.ArgsOf(L, "define")
	name := a.Str(1)
	if !sweepNameRE.MatchString(name) {
		a.ArgError(1, fmt.Sprintf("sweep name %q: use letters, digits, '_', '-' and '.'", name))
	}
	if set.ran {
		a.Raise("sweep.define(%q) after sweep.run: define every sweep before the first sweep.run (check states run the script's top level up to its first sweep.run)", name)
	}
	if prev := set.byName[name]; prev != nil {
		a.ArgError(1, fmt.Sprintf("sweep %q is already defined at %s", name, prev.Where))
	}
	if !a.Present(2) {
		a.TypeError(2, "table")
	}
	f := a.Opts(2)
	def := &Def{Name: name, Where: lua.CallerWhere(L)}
	need := func(field, what string) *glua.LFunction {
		fn := f.Function(field)
		if fn == nil {
			f.Fail(field, "missing: "+what)
		}
		return fn
	}
	def.device = need("device", "a function that returns a fresh device")
	def.setup = f.Function("setup")
	def.workload = need("workload", "a function(dev, ack)")
	def.check = need("check", "a function(dev, acked)")
	switch v := f.Get("cuts").(type) {
	case *glua.LNilType:
		def.Cuts = faults.Cuts{Mode: faults.CutOp}
	case glua.LString:
		c, err := faults.ParseCuts(string(v))
		if err != nil {
			f.Fail("cuts", fmt.Sprintf("%q is not \"op\", \"unit\", \"bit\" or {every_ns = N}", string(v)))
		}
		def.Cuts = c
	case *glua.LTable:
		sub := a.Table(2, v)
		ns := sub.Int("every_ns", 0)
		if ns <= 0 {
			f.Fail("cuts", "every_ns must be a positive integer (simulated ns between cuts)")
		}
		sub.Done()
		def.Cuts = faults.Cuts{Mode: faults.CutTime, EveryNs: ns}
	default:
		f.Fail("cuts", "\"op\", \"unit\", \"bit\" or {every_ns = N} expected, got "+lua.TypeName(v))
	}
	def.Depth = int(f.Int("depth", 1))
	if def.Depth < 1 || def.Depth > maxSweepDepth {
		f.Fail("depth", fmt.Sprintf("%d out of range [1, %d]", def.Depth, maxSweepDepth))
	}
	seed := f.Int("seed", 1)
	if seed < 0 {
		f.Fail("seed", fmt.Sprintf("%d is negative", seed))
	}
	def.Seed = uint64(seed)
	for _, m := range []struct {
		field string
		dst   *faults.Model
	}{{"program_model", &def.ProgramModel}, {"erase_model", &def.EraseModel}} {
		if str := f.Str(m.field, ""); str != "" {
			model, err := faults.ParseModel(str)
			if err != nil {
				f.Fail(m.field, fmt.Sprintf("unknown model %q (prefix, scatter, metastable, preprogram, partial)", str))
			}
			*m.dst = model
		}
	}
	f.Done()
	set.defs = append(set.defs, def)
	set.byName[name] = def
	return 0
}

func sweepList(s *lua.State, L *glua.LState) int {
	t := L.NewTable()
	for _, d := range sweepsOf(s).defs {
		t.Append(glua.LString(d.Name))
	}
	L.Push(t)
	return 1
}

func sweepParseID(s *lua.State, L *glua.LState) int {
	a := lua.ArgsOf(L, "parse_id")
	id := a.Str(1)
	bid, err := faults.ParseBranchID(id)
	if err != nil {
		L.Push(glua.LNil)
		L.Push(glua.LString(err.Error()))
		return 2
	}
	t := L.CreateTable(len(bid.Cuts), 0)
	for _, tok := range bid.Cuts {
		t.Append(glua.LString(tok.String()))
	}
	L.Push(glua.LString(bid.Sweep))
	L.Push(t)
	L.Push(glua.LNumber(bid.Seed))
	return 3
}

// ----- definition pass -----

// DefinitionError is a sweep.define call that raised (a bad
// definition): flashemu sweep exits with status 2 for it.
type DefinitionError struct{ Err *lua.Error }

func (e *DefinitionError) Error() string { return e.Err.Error() }

// Unwrap returns the Lua error.
func (e *DefinitionError) Unwrap() error { return e.Err }

// Load runs prog's top level in a new state made with opts, in
// definition mode: describe/it only collect (Options.TestMode is set) and
// the first sweep.run stops the script. It returns the state, which holds
// the definitions (Defined, Find) and is where their device, setup and
// workload functions run; close it when done. An error raised by
// sweep.define is a *DefinitionError.
func Load(ctx context.Context, prog *lua.Program, opts lua.Options) (*lua.State, error) {
	opts.TestMode = true
	s, err := prog.NewState(opts)
	if err != nil {
		return nil, err
	}
	if err := runDefinitionPass(ctx, prog, s); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// runDefinitionPass runs the top level of prog in s with sweep.run
// stopping it.
func runDefinitionPass(ctx context.Context, prog *lua.Program, s *lua.State) error {
	set := sweepsOf(s)
	set.defineOnly = true
	_, err := prog.Run(ctx, s)
	if err == nil || set.stopped && !isInterrupt(err) {
		return nil
	}
	var le *lua.Error
	if errors.As(err, &le) && set.badDef != "" && le.Error() == set.badDef {
		return &DefinitionError{Err: le}
	}
	return err
}

// isInterrupt reports a run stopped from outside (timeout, Ctrl-C, memory).
func isInterrupt(err error) bool {
	return errors.Is(err, lua.ErrCanceled) || errors.Is(err, lua.ErrTimeout) || errors.Is(err, lua.ErrMemoryLimit)
}

// stopDefinitionPass raises the sweepStop value (sweep.run in definition
// mode).
func stopDefinitionPass(s *lua.State, L *glua.LState) {
	sweepsOf(s).stopped = true
	// Fatal: pcall(sweep.run, ...) at the top level must not catch the
	// stop and let the definition pass run on into the script's body.
	L.RaiseFatal(errDefinitionPassStop)
}
