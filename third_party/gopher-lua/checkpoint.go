package lua

// PATCH(checkpoint): a journaled checkpoint of a state's Lua heap.
//
// Checkpoint marks the state's heap as it is; Rollback returns every object
// that existed at the checkpoint to the content it had then. Objects made
// after the checkpoint are not journaled: once the objects that existed
// before no longer refer to them, they are garbage.
//
// How: every object carries a stamp (its state's journal and the journal
// epoch it was made or last saved in). Checkpoint starts a new epoch. The
// first write to an object whose stamp is older than the current epoch saves
// a copy of the object's mutable fields in the journal and re-stamps it, so
// later writes in the same epoch cost one comparison. Rollback puts the
// saved copies back and starts the next epoch. A state that never calls
// Checkpoint pays one pointer and one integer comparison per write.
//
// Journaled: tables (array, hash, iteration order, metatable), closed
// upvalues, function environments, userdata environments and metatables,
// the main thread's environment, the global and registry tables, the
// metatables of the basic types and math.random's generator. Not journaled, so Rollback reports
// ErrRollbackUnsafe: resuming a coroutine that existed at the checkpoint
// (its stack is not journaled) and writing an open upvalue of such a
// coroutine. A userdata's Value is a Go value the VM cannot see into: hosts
// find out that a pre-checkpoint userdata is used with TouchUserData and
// register their own restore step with OnRollback, or mark the rollback
// unsafe with MarkRollbackUnsafe.

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
)

// ErrRollbackUnsafe is returned by Rollback when something changed that
// the journal cannot restore; the state must then be discarded.
var ErrRollbackUnsafe = errors.New("lua: rollback cannot restore the checkpoint")

// ErrCheckpointBusy is returned by Checkpoint and Rollback when called on a
// coroutine or while Lua code runs in the state.
var ErrCheckpointBusy = errors.New("lua: checkpoint and rollback must run on the main thread, rollback at the checkpoint's call depth")

// journal is one state's (one Global's) checkpoint log.
type journal struct {
	epoch  uint64 // 0 until the first Checkpoint
	active bool   // a checkpoint is held (Checkpoint called, DropCheckpoint not since)
	unsafe string // why the next Rollback cannot restore, if set

	tables []tableSave
	upvals []upvalSave
	funcs  []funcSave
	uds    []udSave
	hooks  []func()

	// The main thread's call depth and stack top at Checkpoint: registers
	// below top belong to frames that outlive the checkpoint (a Go function
	// that checkpoints from inside a Lua call), so open upvalues on them
	// are journaled too.
	depth   int
	mainReg *registry
	mainTop int

	// Global-level state saved at Checkpoint.
	global, registry, mainEnv *LTable
	builtinMts                map[int]LValue
	rng                       rand.PCG // PATCH(random): math.random's generator
}

// jstamp ties an object to the journal of the state that made it.
type jstamp struct {
	jr     *journal
	jepoch uint64
}

// stamp returns a stamp for an object made now in ls's state.
func (ls *LState) stamp() jstamp {
	j := ls.G.jrn
	return jstamp{jr: j, jepoch: j.epoch}
}

// stale reports whether the object must be saved before its first write in
// this epoch.
func (s *jstamp) stale() bool {
	return s.jr != nil && s.jepoch != s.jr.epoch
}

type tableSave struct {
	tb        *LTable
	metatable LValue
	array     []LValue
	dict      map[LValue]LValue
	strdict   map[string]LValue
	keys      []LValue
	k2i       map[LValue]int
	hkv       []tableKV // PATCH(speed)
}

type upvalSave struct {
	uv    *Upvalue
	value LValue
	open  bool // value is the register's, restored into the register
}

type funcSave struct {
	fn  *LFunction
	env *LTable
}

type udSave struct {
	ud        *LUserData
	env       *LTable
	metatable LValue
}

// touch saves tb before its first write in the current epoch.
func (tb *LTable) touch() {
	if tb.js.stale() {
		tb.js.jr.saveTable(tb)
	}
}

func (j *journal) saveTable(tb *LTable) {
	tb.js.jepoch = j.epoch
	if !j.active {
		return
	}
	s := tableSave{tb: tb, metatable: tb.Metatable}
	if tb.array != nil {
		s.array = make([]LValue, len(tb.array), cap(tb.array))
		copy(s.array, tb.array)
	}
	if tb.dict != nil {
		s.dict = maps.Clone(tb.dict)
	}
	if tb.strdict != nil {
		s.strdict = maps.Clone(tb.strdict)
	}
	if tb.keys != nil {
		s.keys = make([]LValue, len(tb.keys), cap(tb.keys))
		copy(s.keys, tb.keys)
	}
	if tb.k2i != nil {
		s.k2i = maps.Clone(tb.k2i)
	}
	if tb.hkv != nil {
		s.hkv = make([]tableKV, len(tb.hkv), cap(tb.hkv))
		copy(s.hkv, tb.hkv)
	}
	j.tables = append(j.tables, s)
}

// touch saves a closed upvalue before its first write in the current
// epoch; writing an open upvalue that existed at the checkpoint (a local of
// a suspended coroutine) makes the next rollback unsafe.
func (uv *Upvalue) touch() {
	if !uv.js.stale() {
		return
	}
	j := uv.js.jr
	uv.js.jepoch = j.epoch
	if !j.active {
		return
	}
	if !uv.IsClosed() {
		if uv.reg != j.mainReg || uv.index >= j.mainTop {
			j.markUnsafe("a local of a coroutine that existed at the checkpoint was assigned")
			return
		}
		// A local of a main-thread frame below the checkpoint.
		j.upvals = append(j.upvals, upvalSave{uv: uv, value: uv.reg.array[uv.index], open: true})
		return
	}
	j.upvals = append(j.upvals, upvalSave{uv: uv, value: uv.value})
}

func (fn *LFunction) touch() {
	if !fn.js.stale() {
		return
	}
	j := fn.js.jr
	fn.js.jepoch = j.epoch
	if !j.active {
		return
	}
	j.funcs = append(j.funcs, funcSave{fn: fn, env: fn.Env})
}

func (ud *LUserData) touch() {
	if !ud.js.stale() {
		return
	}
	j := ud.js.jr
	ud.js.jepoch = j.epoch
	if !j.active {
		return
	}
	j.uds = append(j.uds, udSave{ud: ud, env: ud.Env, metatable: ud.Metatable})
}

// resumed is called before a coroutine runs: resuming one that existed at
// the checkpoint changes a stack the journal does not hold.
func (th *LState) resumed() {
	if th.js.stale() && th.js.jr.active {
		th.js.jr.markUnsafe("a coroutine that existed at the checkpoint was resumed")
	}
}

func (j *journal) markUnsafe(reason string) {
	if j.unsafe == "" {
		j.unsafe = reason
	}
}

// onMain reports whether ls is the main thread, running (not a coroutine
// resumed from it).
func (ls *LState) onMain() bool {
	return ls.G.MainThread == ls && ls.G.CurrentThread == ls
}

// Checkpoint records the state's Lua heap as it is now, for Rollback. It
// must be called on the main thread: from the host while no Lua code runs,
// or from a Go function called by Lua (then Rollback must be called from
// the same call depth, and the locals of the frames below are journaled
// too). A new Checkpoint replaces the previous one.
func (ls *LState) Checkpoint() error {
	if !ls.onMain() {
		return ErrCheckpointBusy
	}
	j := ls.G.jrn
	j.clear()
	j.active = true
	j.epoch++
	j.depth, j.mainReg, j.mainTop = ls.stack.Sp(), ls.reg, ls.reg.Top()
	j.global, j.registry, j.mainEnv = ls.G.Global, ls.G.Registry, ls.Env
	j.builtinMts = maps.Clone(ls.G.builtinMts)
	j.rng = ls.G.rng.pcg
	return nil
}

// HasCheckpoint reports whether Checkpoint was called (and DropCheckpoint
// was not called since).
func (ls *LState) HasCheckpoint() bool { return ls.G.jrn.active }

// Rollback returns every object that existed at the last Checkpoint to its
// content then, runs the hooks registered with OnRollback (last first) and
// starts a new epoch, so the state can be rolled back to the same
// checkpoint again. It must be called on the main thread while no Lua code
// runs. If something changed that the journal cannot restore (see
// ErrRollbackUnsafe), Rollback restores what it can and returns an error
// wrapping ErrRollbackUnsafe that says what: the state must be discarded.
func (ls *LState) Rollback() error {
	j := ls.G.jrn
	if !j.active {
		return fmt.Errorf("%w: no checkpoint", ErrRollbackUnsafe)
	}
	if !ls.onMain() || ls.stack.Sp() != j.depth {
		return ErrCheckpointBusy
	}
	for i := len(j.tables) - 1; i >= 0; i-- {
		s := &j.tables[i]
		tb := s.tb
		tb.Metatable, tb.array, tb.dict, tb.strdict, tb.keys, tb.k2i, tb.hkv = s.metatable, s.array, s.dict, s.strdict, s.keys, s.k2i, s.hkv
	}
	for i := len(j.upvals) - 1; i >= 0; i-- {
		s := &j.upvals[i]
		if s.open {
			s.uv.reg.array[s.uv.index] = s.value
		} else {
			s.uv.value = s.value
		}
	}
	for i := len(j.funcs) - 1; i >= 0; i-- {
		j.funcs[i].fn.Env = j.funcs[i].env
	}
	for i := len(j.uds) - 1; i >= 0; i-- {
		s := &j.uds[i]
		s.ud.Env, s.ud.Metatable = s.env, s.metatable
	}
	ls.G.Global, ls.G.Registry, ls.Env = j.global, j.registry, j.mainEnv
	clear(ls.G.builtinMts)
	maps.Copy(ls.G.builtinMts, j.builtinMts)
	ls.G.rng.pcg = j.rng
	for i := len(j.hooks) - 1; i >= 0; i-- {
		j.hooks[i]()
	}
	unsafe := j.unsafe
	j.clear()
	j.epoch++
	if unsafe != "" {
		return fmt.Errorf("%w: %s", ErrRollbackUnsafe, unsafe)
	}
	return nil
}

// DropCheckpoint stops journaling: writes no longer save anything (each
// object written afterwards is re-stamped once, then writes cost one
// comparison again). A later Checkpoint journals every object again.
func (ls *LState) DropCheckpoint() {
	j := ls.G.jrn
	j.clear()
	j.active = false
	j.epoch++
}

// TouchUserData reports whether ud existed at the last checkpoint and is
// touched for the first time since the checkpoint or the last Rollback.
// Hosts call it where a binding takes a userdata's Go value, to save that
// value's state (OnRollback) or to mark the rollback unsafe.
func (ls *LState) TouchUserData(ud *LUserData) bool {
	if !ud.js.stale() || !ud.js.jr.active {
		return false
	}
	ud.touch()
	return true
}

// OnRollback registers f to run at the next Rollback (after the Lua heap is
// restored, in reverse order of registration). Hooks are forgotten after
// that Rollback.
func (ls *LState) OnRollback(f func()) {
	ls.G.jrn.hooks = append(ls.G.jrn.hooks, f)
}

// MarkRollbackUnsafe makes the next Rollback fail with ErrRollbackUnsafe
// and reason (the first reason given wins).
func (ls *LState) MarkRollbackUnsafe(reason string) {
	ls.G.jrn.markUnsafe(reason)
}

func (j *journal) clear() {
	clear(j.tables)
	j.tables = j.tables[:0]
	clear(j.upvals)
	j.upvals = j.upvals[:0]
	clear(j.funcs)
	j.funcs = j.funcs[:0]
	clear(j.uds)
	j.uds = j.uds[:0]
	clear(j.hooks)
	j.hooks = j.hooks[:0]
	j.unsafe = ""
}

// envWritten is called before a thread's environment changes: the main
// thread's is saved at Checkpoint; a coroutine that existed at the
// checkpoint is not journaled.
func (th *LState) envWritten() {
	if th.G.MainThread != th {
		th.resumed()
	}
}
