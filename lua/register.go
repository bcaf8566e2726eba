package lua

import glua "github.com/yuin/gopher-lua"

// Module is a Lua module defined outside this package's own files (for
// example the sweep binding): its functions are bound in every new state,
// set as the global Name and preloaded for require.
type Module struct {
	Name string
	// Doc is the one-line description :help shows.
	Doc   string
	Funcs []Func
	// Setup, if set, adds fields to the module table of each new state.
	Setup func(s *State, mod *glua.LTable)
}

// Func is one function of a Module. Fn gets the State it runs in (for
// NewDevice, Call, Value, ...) and the gopher-lua state of the call
// (which differs from s.L inside coroutines). A Go panic in Fn becomes a
// Lua error at the caller's line.
type Func struct {
	Name string
	// Sig is the call shape :help shows, e.g. "sweep.define(name, spec)".
	Sig string
	Doc string
	Fn  func(s *State, L *glua.LState) int
}

// RegisterModule adds m to every state made afterwards. Call it from an
// init function; it is not safe to call concurrently with NewState.
func RegisterModule(m Module) {
	def := &moduleDef{name: m.Name, doc: m.Doc, setup: m.Setup}
	for _, f := range m.Funcs {
		def.funcs = append(def.funcs, fnDef{name: f.Name, sig: f.Sig, doc: f.Doc, fn: f.Fn})
	}
	registerModule(def)
}

// Value returns what SetValue stored under key in this state (nil if
// nothing): per-state data of bindings, such as the sweeps a script
// defines.
func (s *State) Value(key any) any { return s.values[key] }

// SetValue stores per-state binding data under key (use an unexported key
// type to avoid collisions).
func (s *State) SetValue(key, v any) {
	if s.values == nil {
		s.values = map[any]any{}
	}
	s.values[key] = v
}
