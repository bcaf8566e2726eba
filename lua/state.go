package lua

import (
	"context"
	"fmt"
	"io"
	"sort"
	"weak"

	"github.com/flashemu/flashemu/internal/fsroot"
	glua "github.com/yuin/gopher-lua"
)

// Defaults for Options fields left zero.
const (
	// DefaultCallStackSize bounds Lua call depth (frames).
	DefaultCallStackSize = 1000
	// DefaultRegistrySize is the initial size of the value stack (slots).
	DefaultRegistrySize = 1024 * 4
	// DefaultRegistryMaxSize bounds the value stack; it grows on demand up
	// to this many slots (gopher-lua's fixed 5120 overflows on ordinary
	// table.concat / unpack of a few thousand values).
	DefaultRegistryMaxSize = 1024 * 1024
	// DefaultMemoryLimit is the Go heap ceiling while a script runs.
	DefaultMemoryLimit = 1 << 30
)

// Options configure a Lua state. The zero value is a sandboxed state whose
// print output is discarded.
type Options struct {
	// Stdout receives print() output. nil discards it.
	Stdout io.Writer
	// AllowIO opens io, the whole of os, debug, dofile/loadfile and the
	// default package.path (flashemu --allow-io). Without it the state is a
	// sandbox: base (minus dofile/loadfile), table, string, math, coroutine,
	// a harmless os subset (clock, time, date, difftime, exit) and require
	// of flashemu modules and of scripts in Dir.
	AllowIO bool
	// Script is arg[0]; Args are arg[1..n] and the main chunk's "...".
	Script string
	Args   []string
	// Dir is where require looks for Lua modules ("" = flashemu modules
	// only). Program.NewState sets it to the script's directory.
	Dir string
	// MemoryLimit caps the Go heap (bytes) while the state runs: past it the
	// run stops with ErrMemoryLimit and the host carries on. 0 means
	// DefaultMemoryLimit, a negative value no limit. It also bounds single
	// allocations such as string.rep.
	MemoryLimit int64
	// CallStackSize and RegistryMaxSize bound Lua recursion depth and the
	// value stack; 0 means the defaults above.
	CallStackSize   int
	RegistryMaxSize int
	// TestMode makes describe/it collect tests for the test runner instead
	// of running them at once.
	TestMode bool
	// Trace, when set, records every operation of the first device the
	// state makes (NewDevice: the REPL's or run's dev, else the script's
	// first flash.nor/nand/chip/load/from_snapshot) into the sink, as
	// dev:trace does. TraceTag, when set, is added to every record as
	// "test" (flashemu test --trace: the test's full name).
	Trace    *TraceSink
	TraceTag string
}

func (o Options) memoryLimit() int64 {
	switch {
	case o.MemoryLimit == 0:
		return DefaultMemoryLimit
	case o.MemoryLimit < 0:
		return 0
	}
	return o.MemoryLimit
}

// State is one Lua interpreter with flashemu's modules loaded. It is not
// safe for concurrent use; make one State per goroutine (states are cheap,
// and a Program compiles once for any number of them).
type State struct {
	// L is the underlying gopher-lua state, for bindings written elsewhere.
	L    *glua.LState
	opts Options
	prog *Program
	// metas caches the metatable of each userdata type in this state.
	metas map[*udType]*glua.LTable
	// tests collects describe/it declarations in test mode.
	tests *testSet
	// stdout is where print writes.
	stdout io.Writer
	// values is per-state binding data (Value, SetValue).
	values map[any]any
	// traces are the running operation traces (trace.go); autoTraced is
	// set once Options.Trace has its device.
	traces     []*deviceTrace
	autoTraced bool
	closed     bool
	// made holds weak references to the userdata this state made (the live
	// ones are what a Checkpoint must save or refuse); cp is the host's half
	// of the checkpoint (checkpoint.go).
	made []weak.Pointer[glua.LUserData]
	// root and scriptRoot are the sandbox's directory handles (files.go).
	root, scriptRoot *fsroot.Root
	madePrune        int
	cp               *checkpoint
}

// NewState makes a fresh state with every flashemu module preloaded and set
// as a global. Close it when done.
func NewState(opts Options) (*State, error) {
	return newState(opts, nil)
}

func newState(opts Options, prog *Program) (s *State, err error) {
	cs := opts.CallStackSize
	if cs <= 0 {
		cs = DefaultCallStackSize
	}
	rmax := opts.RegistryMaxSize
	if rmax <= 0 {
		rmax = DefaultRegistryMaxSize
	}
	rsize := DefaultRegistrySize
	if rsize > rmax {
		rsize = rmax
	}
	L := glua.NewState(glua.Options{
		SkipOpenLibs:     true,
		CallStackSize:    cs,
		RegistrySize:     rsize,
		RegistryMaxSize:  rmax,
		RegistryGrowStep: 1024,
		// A fixed call stack: gopher-lua v1.1.2's growing one (MinimizeStackMemory)
		// panics with a Go error on overflow instead of raising "stack overflow".
		MinimizeStackMemory: false,
	})
	s = &State{L: L, opts: opts, prog: prog, metas: map[*udType]*glua.LTable{}, stdout: opts.Stdout}
	if s.stdout == nil {
		s.stdout = io.Discard
	}
	if opts.TestMode {
		s.tests = &testSet{}
	}
	defer func() {
		if r := recover(); r != nil {
			L.Close()
			s, err = nil, fmt.Errorf("%w: opening libraries: %v", ErrInternal, r)
		}
	}()
	s.openLibs()
	s.openModules()
	s.setArgs()
	return s, nil
}

// Close releases the state. Using it afterwards is an error.
// Running traces are finished first (see FinishTraces).
func (s *State) Close() {
	if !s.closed {
		_ = s.finishTraces()
		s.closeFS()
		s.closed = true
		s.L.Close()
	}
}

// FinishTraces stops every running operation trace of the state (dev:trace
// files are committed, Options.Trace records flushed) and returns the first
// write error. Close does it too, without reporting errors.
func (s *State) FinishTraces() error { return s.finishTraces() }

// Options returns the options the state was made with.
func (s *State) Options() Options { return s.opts }

// setArgs fills the global arg table: arg[0] = script, arg[1..] = args.
func (s *State) setArgs() {
	t := s.L.CreateTable(len(s.opts.Args), 1)
	t.RawSetInt(0, glua.LString(s.opts.Script))
	for i, a := range s.opts.Args {
		t.RawSetInt(i+1, glua.LString(a))
	}
	s.L.SetGlobal("arg", t)
}

// Call calls fn with args under ctx (cancellation, deadline and the memory
// ceiling stop it) and returns its results. Errors are *Error.
func (s *State) Call(ctx context.Context, fn glua.LValue, args ...glua.LValue) ([]glua.LValue, error) {
	if s.closed {
		return nil, &Error{Msg: "state is closed", Kind: ErrInternal}
	}
	L := s.L
	ctx, stop := s.enter(ctx)
	defer stop()
	base := L.GetTop()
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := s.pcall(ctx, len(args))
	if err != nil {
		L.SetTop(base)
		return nil, err
	}
	n := L.GetTop() - base
	rets := make([]glua.LValue, n)
	for i := range rets {
		rets[i] = L.Get(base + 1 + i)
	}
	L.SetTop(base)
	return rets, nil
}

// pcall runs the function below nargs arguments, converting errors (and
// Go panics that escape gopher-lua) into *Error.
func (s *State) pcall(ctx context.Context, nargs int) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = &Error{Msg: fmt.Sprintf("internal error: %v", r), Kind: ErrInternal}
		}
	}()
	if e := convertError(ctx, s.L.PCall(nargs, glua.MultRet, nil)); e != nil {
		return e
	}
	return nil
}

// enter attaches ctx (and the memory watchdog) to the state for one call.
// The returned stop detaches them.
func (s *State) enter(ctx context.Context) (context.Context, func()) {
	if ctx == nil {
		ctx = context.Background()
	}
	limit := s.opts.memoryLimit()
	if ctx.Done() == nil && limit == 0 {
		return ctx, func() {}
	}
	cctx, cancel := context.WithCancelCause(ctx)
	unwatch := watchMemory(limit, cancel)
	s.L.SetContext(cctx)
	if limit > 0 {
		s.L.SetAllocCheck(func(n int64) error { return checkAlloc(uint64(limit), n, cancel) })
	}
	return cctx, func() {
		unwatch()
		s.L.SetAllocCheck(nil)
		s.L.RemoveContext()
		cancel(nil)
	}
}

// DoString compiles and runs a chunk named name in this state.
func (s *State) DoString(ctx context.Context, name, src string) ([]glua.LValue, error) {
	fn, err := s.LoadString(name, src)
	if err != nil {
		return nil, err
	}
	return s.Call(ctx, fn)
}

// LoadString compiles a chunk into a function of this state.
func (s *State) LoadString(name, src string) (*glua.LFunction, error) {
	proto, err := compileSource(name, src)
	if err != nil {
		return nil, err
	}
	return s.L.NewFunctionFromProto(proto), nil
}

// Global returns the global variable name.
func (s *State) Global(name string) glua.LValue { return s.L.GetGlobal(name) }

// SetGlobal sets a global variable.
func (s *State) SetGlobal(name string, v glua.LValue) { s.L.SetGlobal(name, v) }

// ToString converts a value like Lua's tostring (honouring __tostring).
func (s *State) ToString(v glua.LValue) string {
	return luaToString(s.L, v)
}

// luaToString calls the tostring global's logic on v.
func luaToString(L *glua.LState, v glua.LValue) string {
	if mt, ok := L.GetMetaField(v, "__tostring").(*glua.LFunction); ok {
		L.Push(mt)
		L.Push(v)
		if err := L.PCall(1, 1, nil); err == nil {
			r := L.Get(-1)
			L.Pop(1)
			if s, ok := r.(glua.LString); ok {
				return string(s)
			}
			return r.String()
		}
	}
	switch x := v.(type) {
	case glua.LNumber:
		return formatNumber(float64(x))
	case nil:
		return "nil"
	}
	return v.String()
}

// formatNumber prints integers without exponent, like Lua's %.14g.
func formatNumber(f float64) string {
	return glua.LNumber(f).String()
}

// ----- bindings registry -----

// fnDef is one Go function bound into Lua.
type fnDef struct {
	name string
	// sig is the call shape shown by :help, e.g. "dev:write(off, data) --> true | nil, msg, errno".
	sig string
	doc string
	fn  func(s *State, L *glua.LState) int
}

// moduleDef is a Lua module: a table of functions, set as a global and
// preloaded for require.
type moduleDef struct {
	name  string
	doc   string
	funcs []fnDef
	// setup adds non-function fields after the functions are bound.
	setup func(s *State, mod *glua.LTable)
	// allowIOOnly modules exist only with Options.AllowIO.
	allowIOOnly bool
}

// udType is a userdata type with a namespaced metatable ("flashemu.device")
// whose __index holds the methods.
type udType struct {
	name    string // metatable name, e.g. "flashemu.device"
	short   string // for help and error messages, e.g. "device"
	doc     string
	methods []fnDef
	// field, if set, serves non-method keys (area.offset, loc.len).
	field func(s *State, L *glua.LState, v any, key string) glua.LValue
	// meta adds metamethods (__eq, __len, __gc, ...).
	meta func(s *State, mt *glua.LTable)
}

var (
	modules []*moduleDef
	types   []*udType
	globals []fnDef
)

// registerModule adds a module to every new state. Called from init().
func registerModule(m *moduleDef) { modules = append(modules, m) }

// registerType adds a userdata type to every new state.
func registerType(t *udType) *udType { types = append(types, t); return t }

// registerGlobals adds global functions (hex, tohex, describe, ...).
func registerGlobals(fs ...fnDef) { globals = append(globals, fs...) }

// bind makes a Lua function of f. A Go panic inside f becomes a Lua error
// at the caller's file:line instead of a crash.
func (s *State) bind(name string, f func(s *State, L *glua.LState) int) *glua.LFunction {
	return s.L.NewFunction(func(L *glua.LState) int {
		defer guard(L, name)
		return f(s, L)
	})
}

// guard converts a Go panic in a binding into a Lua error; Lua errors
// (which gopher-lua raises as panics of *ApiError) pass through.
func guard(L *glua.LState, name string) {
	r := recover()
	if r == nil {
		return
	}
	if _, ok := r.(*glua.ApiError); ok {
		panic(r)
	}
	L.RaiseError("internal error in '%s': %v", name, r)
}

func (s *State) openModules() {
	L := s.L
	for _, t := range types {
		mt := L.NewTypeMetatable(t.name)
		methods := L.NewTable()
		for _, f := range t.methods {
			methods.RawSetString(f.name, s.bind(f.name, f.fn))
		}
		mt.RawSetString("__name", glua.LString(t.name))
		mt.RawSetString("__methods", methods)
		if t.field != nil {
			t := t
			mt.RawSetString("__index", L.NewFunction(func(L *glua.LState) int {
				ud := L.CheckUserData(1)
				key, ok := L.Get(2).(glua.LString)
				if !ok {
					L.Push(glua.LNil)
					return 1
				}
				if m := methods.RawGetString(string(key)); m != glua.LNil {
					L.Push(m)
					return 1
				}
				L.Push(t.field(s, L, ud.Value, string(key)))
				return 1
			}))
		} else {
			mt.RawSetString("__index", methods)
		}
		mt.RawSetString("__tostring", L.NewFunction(func(L *glua.LState) int {
			ud := L.CheckUserData(1)
			if st, ok := ud.Value.(fmt.Stringer); ok {
				L.Push(glua.LString(st.String()))
			} else {
				L.Push(glua.LString(fmt.Sprintf("%s: %p", t.name, ud)))
			}
			return 1
		}))
		if t.meta != nil {
			t.meta(s, mt)
		}
		s.metas[t] = mt
	}
	for _, f := range globals {
		L.SetGlobal(f.name, s.bind(f.name, f.fn))
	}
	loaded := L.GetField(L.GetField(L.Get(glua.EnvironIndex), "package"), "loaded")
	for _, m := range modules {
		if m.allowIOOnly && !s.opts.AllowIO {
			continue
		}
		mod := L.NewTable()
		for _, f := range m.funcs {
			mod.RawSetString(f.name, s.bind(m.name+"."+f.name, f.fn))
		}
		if m.setup != nil {
			m.setup(s, mod)
		}
		L.SetGlobal(m.name, mod)
		if lt, ok := loaded.(*glua.LTable); ok {
			lt.RawSetString(m.name, mod)
		}
		L.PreloadModule(m.name, func(L *glua.LState) int {
			L.Push(mod)
			return 1
		})
	}
}

// newUserData wraps a Go value in userdata of type t.
func (s *State) newUserData(t *udType, v any) *glua.LUserData {
	ud := s.L.NewUserData()
	ud.Value = v
	ud.Metatable = s.metas[t]
	s.trackMade(ud)
	return ud
}

// pushUserData pushes a new userdata of type t on L's stack.
func (s *State) pushUserData(L *glua.LState, t *udType, v any) {
	L.Push(s.newUserData(t, v))
}

// checkUD returns argument n as a *T or raises a type error naming t.
func checkUD[T any](a args, n int, t *udType) *T {
	if ud, ok := a.L.Get(n).(*glua.LUserData); ok {
		if v, ok := ud.Value.(*T); ok {
			return v
		}
	}
	a.typeError(n, t.name)
	return nil
}

// ModuleDoc is one module's help: its name, a one-line description and
// its functions with signatures.
type ModuleDoc struct {
	Name string
	Doc  string
	// Methods marks a userdata type (Name is its short name, "device"):
	// Funcs are its methods. Otherwise Name is a module ("_G" for the
	// global helpers) and Funcs its functions.
	Methods bool
	Funcs   []FuncDoc
}

// FuncDoc is one function's help.
type FuncDoc struct {
	Name string
	Sig  string
	Doc  string
}

// Docs lists every module, userdata type and global function with its
// one-line documentation, sorted by name (the REPL's :help).
func Docs() []ModuleDoc {
	var out []ModuleDoc
	conv := func(fs []fnDef) []FuncDoc {
		var r []FuncDoc
		for _, f := range fs {
			r = append(r, FuncDoc{Name: f.name, Sig: f.sig, Doc: f.doc})
		}
		sort.Slice(r, func(i, j int) bool { return r[i].Name < r[j].Name })
		return r
	}
	for _, m := range modules {
		out = append(out, ModuleDoc{Name: m.name, Doc: m.doc, Funcs: conv(m.funcs)})
	}
	for _, t := range types {
		if t.doc == "" {
			continue
		}
		out = append(out, ModuleDoc{Name: t.short, Doc: t.doc, Methods: true, Funcs: conv(t.methods)})
	}
	if len(globals) > 0 {
		out = append(out, ModuleDoc{Name: "_G", Doc: "global helpers", Funcs: conv(globals)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
