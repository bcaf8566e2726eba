package luasweep

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/lua"
	glua "github.com/yuin/gopher-lua"
)

// Config tunes how a definition is bound to the engine.
type Config struct {
	// Depth overrides the definition's depth when > 0 (flashemu sweep --depth).
	Depth int
	// Seed overrides the definition's seed when set (--seed).
	Seed *uint64
	// WorkerStdout receives the print output of the check states (nil:
	// discarded; a sweep runs thousands of checks).
	WorkerStdout io.Writer
}

// Binding is a sweep definition bound to the faults engine: Sweep is
// ready for faults.Run and faults.Replay. Its device factory, setup and
// workload call the Lua functions in the defining state (on the goroutine
// that calls Run or Replay, which must be the state's), and every run of
// them — the recording run, each replay — starts from the same Lua state:
// the one the definition pass left (or sweep.run found), restored by a
// rollback before each run (or, when the state cannot be checkpointed, a
// new definition state per run). Its CheckFactory makes one state per
// worker from the same compiled Program, runs the script's top level there
// in definition mode and looks the check up by the sweep's name. So a
// branch's verdict depends on its ID alone. Close releases the states.
type Binding struct {
	// Sweep is the engine's definition.
	Sweep *faults.Sweep
	// Def is the Lua definition it was built from.
	Def *Def

	main   *lua.State
	L      *glua.LState // the call state (a coroutine's, inside sweep.run)
	ctx    context.Context
	nested bool // main is inside a running Lua call (sweep.run)
	prog   *lua.Program
	wopts  lua.Options

	mu      sync.Mutex
	workers []*lua.State
	idle    []*checkState       // pristine states no check runs in
	busy    map[*lua.State]bool // states a check is running in
	closed  bool

	// mode is how each run of device, setup and workload starts from the
	// same Lua state; run, runDef and runL are the state, definition and
	// call state the current run's functions run in (the defining ones
	// except in runsFresh mode).
	mode   runMode
	run    *lua.State
	runDef *Def
	runL   *glua.LState
	runOut *gatedWriter // runsFresh: the run states' print output
	ackL   *glua.LState // the state ackFn was made in

	cur   glua.LValue // the device value of the current run
	clock *opClock    // operation times of the first workload run
	ackFn *glua.LFunction
	ackTo func(any)
	// lastAcked is how many acknowledged values the latest check got.
	lastAcked atomic.Int64
	// checkStates counts the check states made (tests: rollback reuses one
	// per worker).
	checkStates atomic.Int64
}

// Bind binds def (defined in s) to the engine. ctx bounds every Lua
// call the sweep makes (cancellation, timeout). s must have been made by
// Program.NewState (Load does): the check states are made from that
// program.
func Bind(ctx context.Context, s *lua.State, def *Def, c Config) (*Binding, error) {
	if s.Program() == nil {
		return nil, fmt.Errorf("%w: sweep %q: the state has no compiled program to make check states from", faults.ErrBadSweep, def.Name)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	b := bind(s, s.L, ctx, false, def, c)
	// The state the definition pass left is where every run of every
	// sweep bound to s starts: checkpointed once, at the first Bind, and
	// kept for the state's life.
	set := sweepsOf(s)
	if !set.runCheckpointTried {
		set.runCheckpointTried = true
		set.runCheckpoint = s.Checkpoint() == nil
	}
	b.mode = runsFresh
	if set.runCheckpoint {
		b.mode = runsRollback
	}
	return b, nil
}

// runMode is how every run of a sweep's device factory, setup and workload
// starts from the same Lua state.
type runMode int

// isolated reports that every run (and, without a program, every check in
// the defining state) starts from a rollback: sweep.run's result field.
func (b *Binding) isolated() bool { return b.mode == runsRollback }

const (
	// runsRollback: the defining state is rolled back to its checkpoint
	// before each run.
	runsRollback runMode = iota
	// runsFresh: each run gets a new state with the definition pass run
	// (flashemu sweep, when the defining state cannot be checkpointed).
	runsFresh
	// runsShared: the runs share the defining state as they leave it
	// (sweep.run inside a coroutine, or in a state that cannot be
	// checkpointed); the result says isolated = false.
	runsShared
)

// startRun puts the Lua side where every run of the sweep starts (see
// runMode); the device factory calls it first.
func (b *Binding) startRun() error {
	switch b.mode {
	case runsRollback:
		err := b.main.Rollback()
		if err == nil {
			return nil
		}
		if b.nested || b.prog == nil {
			return fmt.Errorf("%s: the workload cannot start from the state sweep.run was called in (%v); run the sweep with flashemu sweep", b.Def.Where, err)
		}
		// The defining state is damaged: later runs (of this sweep and the
		// sweeps bound after it) get fresh states.
		sweepsOf(b.main).runCheckpoint = false
		b.mode = runsFresh
		return b.startRun()
	case runsFresh:
		b.closeRunState()
		if b.runOut == nil {
			b.runOut = &gatedWriter{w: b.main.Options().Stdout}
		}
		opts := b.main.Options()
		opts.Stdout = b.runOut
		b.runOut.on = false // the top level printed once already
		ws, err := Load(b.ctx, b.prog, opts)
		b.runOut.on = true
		if err != nil {
			return fmt.Errorf("%s: a fresh state for the run: %w", b.Def.Where, err)
		}
		def := Find(ws, b.Def.Name)
		if def == nil {
			ws.Close()
			return fmt.Errorf("%s: a fresh state for the run does not define sweep %q", b.Def.Where, b.Def.Name)
		}
		b.run, b.runDef, b.runL = ws, def, ws.L
	}
	return nil
}

// closeRunState closes the state of the previous run (runsFresh).
func (b *Binding) closeRunState() {
	if b.run != nil && b.run != b.main {
		b.run.Close()
	}
	b.run, b.runDef, b.runL = b.main, b.Def, b.L
}

// gatedWriter passes writes to w while on (nil w: discards).
type gatedWriter struct {
	w  io.Writer
	on bool
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	if g.on && g.w != nil {
		return g.w.Write(p)
	}
	return len(p), nil
}

func bind(s *lua.State, L *glua.LState, ctx context.Context, nested bool, def *Def, c Config) *Binding {
	b := &Binding{Def: def, main: s, L: L, ctx: ctx, nested: nested, prog: s.Program(), run: s, runDef: def, runL: L}
	b.wopts = s.Options()
	b.wopts.TestMode = true
	b.wopts.Trace = nil // --trace follows the defining state's first device only
	b.wopts.Stdout = c.WorkerStdout
	sw := &faults.Sweep{
		Name:                def.Name,
		Device:              b.device,
		WorkloadContext:     b.workload,
		CheckContextFactory: b.checkFactory,
		Cuts:                def.Cuts,
		Depth:               def.Depth,
		Seed:                def.Seed,
		ProgramModel:        def.ProgramModel,
		EraseModel:          def.EraseModel,
	}
	if def.setup != nil {
		sw.Setup = b.setupFn
	}
	if c.Depth > 0 {
		sw.Depth = c.Depth
	}
	if c.Seed != nil {
		sw.Seed = *c.Seed
	}
	b.Sweep = sw
	return b
}

// Close closes the check states (a state a check still runs in is closed
// by that check when it returns) and returns the defining state to where
// the definition pass left it.
func (b *Binding) Close() {
	b.closeRunState()
	if b.mode == runsRollback && !b.nested {
		// Leave the defining state as the definition pass left it.
		_ = b.main.Rollback()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	b.idle = nil
	keep := b.workers[:0]
	for _, w := range b.workers {
		if b.busy[w] {
			// A check still runs in w (abandoned after a timeout): its
			// goroutine closes w when the call returns.
			keep = append(keep, w)
			continue
		}
		w.Close()
	}
	b.workers = keep
}

// call calls fn in the state of the current run.
func (b *Binding) call(fn *glua.LFunction, args ...glua.LValue) ([]glua.LValue, error) {
	return b.callCtx(context.Background(), fn, args...)
}

// callCtx is call also bounded by ctx (one that is never done, such as
// context.Background, adds no bound): the engine's per-workload deadline
// (Options.CheckTimeout).
func (b *Binding) callCtx(ctx context.Context, fn *glua.LFunction, args ...glua.LValue) ([]glua.LValue, error) {
	outer := b.ctx
	if b.nested {
		outer = b.L.Context()
	}
	if ctx.Done() != nil {
		parent := outer
		if parent == nil {
			parent = context.Background()
		}
		merged, cancel := context.WithCancelCause(parent)
		defer cancel(nil)
		stop := context.AfterFunc(ctx, func() { cancel(context.Cause(ctx)) })
		defer stop()
		if b.nested {
			prev := outer
			b.L.SetContext(merged)
			defer func() {
				if prev != nil {
					b.L.SetContext(prev)
				} else {
					b.L.RemoveContext()
				}
			}()
		}
		outer = merged
	}
	if !b.nested {
		return b.run.Call(outer, fn, args...)
	}
	return pcallNested(b.L, fn, args...)
}

// pcallNested calls fn on L from inside a running Lua call (a binding such
// as sweep.run): the outer call's context and memory ceiling stay in force.
func pcallNested(L *glua.LState, fn glua.LValue, args ...glua.LValue) (rets []glua.LValue, err error) {
	base := L.GetTop()
	defer func() {
		if r := recover(); r != nil {
			L.SetTop(base)
			rets, err = nil, &lua.Error{Msg: fmt.Sprintf("internal error: %v", r), Kind: lua.ErrInternal}
		}
	}()
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	if perr := L.PCall(len(args), glua.MultRet, nil); perr != nil {
		L.SetTop(base)
		return nil, lua.ErrorOf(L.Context(), perr)
	}
	n := L.GetTop() - base
	rets = make([]glua.LValue, n)
	for i := range rets {
		rets[i] = L.Get(base + 1 + i)
	}
	L.SetTop(base)
	return rets, nil
}

func (b *Binding) device() (*emu.Device, error) {
	if err := b.startRun(); err != nil {
		return nil, err
	}
	rets, err := b.call(b.runDef.device)
	if err != nil {
		return nil, err
	}
	var v glua.LValue = glua.LNil
	if len(rets) > 0 {
		v = rets[0]
	}
	d, ok := lua.DeviceOf(v)
	if !ok {
		return nil, fmt.Errorf("%s: device() returned %s, want a device (flash.nor{...}, flash.chip(...))", b.Def.Where, lua.TypeName(v))
	}
	if !sweepsOf(b.main).fresh(d.Dev) {
		return nil, fmt.Errorf("%s: device() returned a device it returned before: it must make a fresh one on every call", b.Def.Where)
	}
	b.cur = v
	return d.Dev, nil
}

func (b *Binding) setupFn(d *emu.Device) error {
	_, err := b.call(b.runDef.setup, b.cur)
	return err
}

func (b *Binding) workload(ctx context.Context, d *emu.Device, ack func(any)) error {
	if b.clock == nil {
		// The first run is the recording one: remember when each mutating
		// operation ran, to place time cuts on the operation timeline.
		b.clock = &opClock{t0: d.Now()}
		prev := d.Hook()
		if prev != nil {
			d.SetHook(emu.Hooks{b.clock, prev})
		} else {
			d.SetHook(b.clock)
		}
		defer d.SetHook(prev)
	}
	b.ackTo = ack
	if b.ackFn == nil || b.ackL != b.runL {
		b.ackL = b.runL
		b.ackFn = b.runL.NewFunction(func(L *glua.LState) int {
			a := lua.ArgsOf(L, "ack")
			v, err := ackToGo(L.Get(1))
			if err != nil {
				a.ArgError(1, err.Error())
			}
			b.ackTo(v)
			return 0
		})
	}
	_, err := b.callCtx(ctx, b.runDef.workload, b.cur, b.ackFn)
	return err
}

// checkFactory makes worker w's check. Every check starts from the
// script's pristine top-level state (globals, package.loaded, upvalues of
// top-level locals): nothing a previous check (or the workload, in a
// replay) did to Lua state is visible to it. checkState (below) is the one seam
// that provides that.
func (b *Binding) checkFactory(worker int) (faults.CheckContextFunc, error) {
	// Make (or take) a pristine state now so that a script error surfaces
	// as the factory's error, before any branch runs; it goes back to the
	// pool for the first check.
	cs, err := b.takeState()
	if err != nil {
		return nil, err
	}
	b.putState(cs)
	return b.check, nil
}

// checkState is a pristine state checks run in: one made from the program,
// the script's top level run in it (definition mode) and checkpointed.
// After each check it is rolled back to that checkpoint (State.Rollback:
// the Lua heap, math.random, the devices made at the top level) and goes
// back to the binding's pool of idle states, so the states in use are
// bounded by the checks running at once, however often the engine asks
// for a check (a replay, --verify, shrinking each ask again). A state that
// cannot be checkpointed (see State.Checkpoint), or whose rollback fails,
// is closed after its check: the next one is made afresh, slower, equally
// pristine.
type checkState struct {
	ws    *lua.State
	def   *Def // the sweep's definition in ws
	where string
	// rollback is set while ws holds a checkpoint to roll back to.
	rollback bool
	// cache keeps the acked values converted for ws across its checks
	// (scalars only: immutable Lua values survive a rollback).
	cache ackCache
}

// takeState returns an idle pristine state, or makes one.
func (b *Binding) takeState() (*checkState, error) {
	b.mu.Lock()
	if n := len(b.idle); n > 0 {
		cs := b.idle[n-1]
		b.idle = b.idle[:n-1]
		b.mu.Unlock()
		return cs, nil
	}
	b.mu.Unlock()
	return b.newCheckState()
}

// putState returns a pristine state to the pool (or closes it when the
// binding is closed).
func (b *Binding) putState(cs *checkState) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		b.closeLocked(cs.ws)
		return
	}
	b.idle = append(b.idle, cs)
}

// newCheckState makes a pristine state with the definition pass run.
func (b *Binding) newCheckState() (*checkState, error) {
	ws, err := b.prog.NewState(b.wopts)
	if err != nil {
		return nil, err
	}
	b.checkStates.Add(1)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		ws.Close()
		return nil, errors.New("sweep binding closed")
	}
	b.workers = append(b.workers, ws)
	b.mu.Unlock()
	if err := runDefinitionPass(b.ctx, b.prog, ws); err != nil {
		b.release(ws)
		return nil, fmt.Errorf("check state: running %s: %w", b.prog.Path, err)
	}
	def := Find(ws, b.Def.Name)
	if def == nil {
		b.release(ws)
		return nil, fmt.Errorf("check state: %s does not define sweep %q at its top level (check states run the script's top level up to its first sweep.run)", b.prog.Path, b.Def.Name)
	}
	sweepsOf(ws).inCheck = true
	proto := def.check.Proto
	return &checkState{ws: ws, def: def, where: fmt.Sprintf("%s:%d", proto.SourceName, proto.LineDefined),
		rollback: ws.Checkpoint() == nil}, nil
}

// release closes ws and forgets it (unless Close already did).
func (b *Binding) release(ws *lua.State) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closeLocked(ws)
}

// closeLocked closes ws and forgets it; b.mu is held.
func (b *Binding) closeLocked(ws *lua.State) {
	delete(b.busy, ws)
	for i, w := range b.workers {
		if w == ws {
			b.workers = append(b.workers[:i], b.workers[i+1:]...)
			ws.Close()
			return
		}
	}
}

// checkDone ends a check: the state is rolled back and returned to the
// pool, or closed (no checkpoint, a failed rollback, a timed-out or
// cancelled check whose Lua call may have stopped anywhere, or a closed
// binding).
func (b *Binding) checkDone(ctx context.Context, cs *checkState) {
	if cs.rollback && ctx.Err() == nil {
		// Under b.mu, so that Close cannot close the state mid-rollback.
		b.mu.Lock()
		if !b.closed && cs.ws.Rollback() == nil {
			delete(b.busy, cs.ws)
			b.idle = append(b.idle, cs)
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
	}
	b.release(cs.ws)
}

// check runs the check once in a pristine state, then returns the state to
// that pristine state (or discards it), whatever the check's outcome.
//
// ctx is the engine's per-check context (cancelled on the sweep's
// cancellation and at Options.CheckTimeout); the state is marked busy while
// the check runs, so that Close, racing with a timed-out check the engine
// gave up waiting for, leaves the state to this goroutine to close.
func (b *Binding) check(ctx context.Context, d *emu.Device, acked []any) error {
	cs, err := b.takeState()
	if err != nil {
		return err
	}
	ws := cs.ws
	b.mu.Lock()
	if b.busy == nil {
		b.busy = make(map[*lua.State]bool)
	}
	b.busy[ws] = true
	b.mu.Unlock()
	defer b.checkDone(ctx, cs)
	b.lastAcked.Store(int64(len(acked)))
	rets, err := ws.Call(ctx, cs.def.check, ws.NewDevice(d), cs.cache.table(ws.L, acked))
	if err != nil {
		return locateCheckError(err, cs.where)
	}
	return checkVerdict(ws.L, cs.where, rets)
}

// checkVerdict turns a check's return values into its verdict: it fails
// when it returned false (with an optional message) or nil followed by a
// message (the nil, msg, errno convention of the device bindings, so that
// `return dev:write(...)` fails with the write's message).
func checkVerdict(L *glua.LState, where string, rets []glua.LValue) error {
	if len(rets) == 0 {
		return nil
	}
	switch {
	case rets[0] == glua.LFalse:
		msg := "check returned false"
		if len(rets) > 1 && rets[1] != glua.LNil {
			msg += ": " + L.ToStringMeta(rets[1]).String()
		}
		return &lua.Error{Where: where, Msg: msg, Kind: lua.ErrRuntime}
	case rets[0] == glua.LNil && len(rets) > 1 && rets[1] != glua.LNil:
		return &lua.Error{Where: where, Msg: "check returned nil: " + L.ToStringMeta(rets[1]).String(), Kind: lua.ErrRuntime}
	}
	return nil
}

// ackCache converts the acknowledged values once per worker: every branch
// of a sweep gets a prefix of the same slice.
type ackCache struct {
	first *any
	vals  []glua.LValue // nil entries: tables, converted afresh per check
}

// table returns a new Lua list of acked.
func (c *ackCache) table(L *glua.LState, acked []any) *glua.LTable {
	if len(acked) > 0 && c.first != &acked[0] {
		c.first, c.vals = &acked[0], c.vals[:0]
	}
	for len(c.vals) < len(acked) {
		v := acked[len(c.vals)]
		if isScalar(v) {
			c.vals = append(c.vals, goToLua(L, v))
		} else {
			c.vals = append(c.vals, nil)
		}
	}
	t := L.CreateTable(len(acked), 0)
	for i, v := range acked {
		lv := c.vals[i]
		if lv == nil {
			lv = goToLua(L, v)
		}
		t.RawSetInt(i+1, lv)
	}
	return t
}

// LastAcked is the number of acknowledged values the most recent check
// received: after faults.Replay, the values acknowledged before the cut.
func (b *Binding) LastAcked() int { return int(b.lastAcked.Load()) }

// opClock records the simulated time span of every mutating operation of
// the recording run.
type opClock struct {
	t0   int64
	ends []int64 // end of mutating op i, relative to t0
}

func (c *opClock) Before(*emu.Device, *emu.Op) error { return nil }

func (c *opClock) After(_ *emu.Device, op *emu.Op, err error) error {
	if op.Kind.Mutates() {
		c.ends = append(c.ends, op.Start+op.Dur-c.t0)
	}
	return err
}

// OpAt returns the index of the workload's mutating operation running (or
// next to run) at tNs of simulated time after the workload started, from
// the recording run; the last operation for a time past the end, -1 before
// any run.
func (b *Binding) OpAt(tNs int64) int {
	if b.clock == nil || len(b.clock.ends) == 0 {
		return -1
	}
	i := sort.Search(len(b.clock.ends), func(i int) bool { return b.clock.ends[i] > tNs })
	return min(i, len(b.clock.ends)-1)
}

// FirstOp returns the workload operation the first cut of branch id lands
// on (before, after or inside it), -1 if id does not parse.
func (b *Binding) FirstOp(id string) int {
	bid, err := faults.ParseBranchID(id)
	if err != nil {
		return -1
	}
	return bid.FirstOp(b.OpAt)
}

// locateCheckError gives a place to a check error raised with a value
// that carries none (error(nil), error({...})): the first Lua frame of its
// traceback, else the check function's definition. error("msg", 0) keeps
// its chosen lack of a place.
func locateCheckError(err error, where string) error {
	var e *lua.Error
	if !errors.As(err, &e) || e.Where != "" || e.Kind != lua.ErrRuntime {
		return err
	}
	if _, isString := e.Value.(glua.LString); isString {
		return err // error("msg", 0) asked for no place
	}
	ne := *e
	ne.Where = where
	for _, line := range strings.Split(e.Traceback, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "[G]") || strings.HasPrefix(line, "stack traceback") {
			continue
		}
		if w, rest, ok := strings.Cut(line, ": in "); ok && rest != "" && strings.Contains(w, ":") {
			ne.Where = w
			break
		}
	}
	if ne.Msg == "nil" {
		ne.Msg = "error(nil) raised in the check"
	}
	return &ne
}
