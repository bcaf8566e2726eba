package lua

import (
	"context"

	glua "github.com/yuin/gopher-lua"
)

// The API for modules bound outside this package (RegisterModule): the
// same argument checks, messages and error conversion lua's own bindings
// use, so a module in its own package (the sweep binding, luasweep) raises
// "bad argument #2 to 'define' (field 'depth': ...)" exactly as flash.nor
// does. Each is a thin view of the checker lua's bindings use; there is one
// implementation of every rule.

// MaxExactInt is the largest integer a Lua number (float64) holds exactly
// (2^53); integer arguments beyond it are refused.
const MaxExactInt = maxExactInt

// Args checks the arguments of one call to a module function and raises
// Lua's standard messages at the caller's file:line. It is a small value:
// making one does not allocate.
type Args struct{ a args }

// ArgsOf returns the argument checker of a call to the function named fn
// (the name the messages show).
func ArgsOf(L *glua.LState, fn string) Args { return Args{argsOf(L, fn)} }

// Raise raises a Lua error with the formatted message at the caller's
// position.
func (a Args) Raise(format string, v ...any) { a.a.raise(format, v...) }

// ArgError raises "bad argument #n to 'fn' (msg)".
func (a Args) ArgError(n int, msg string) { a.a.argError(n, msg) }

// TypeError raises "bad argument #n to 'fn' (want expected, got T)".
func (a Args) TypeError(n int, want string) { a.a.typeError(n, want) }

// Present reports whether argument n is given and not nil.
func (a Args) Present(n int) bool { return a.a.present(n) }

// Str checks that argument n is a string and returns it.
func (a Args) Str(n int) string { return a.a.str(n) }

// Opts reads argument n as an options table (absent or nil: every field
// takes its default).
func (a Args) Opts(n int) *Fields { return &Fields{a.a.opts(n)} }

// Table reads t, a table found inside argument n (a nested option such as
// cuts = {every_ns = N}), as an options table whose errors name argument n.
func (a Args) Table(n int, t *glua.LTable) *Fields {
	return &Fields{&fields{a: a.a, n: n, t: t, seen: map[string]bool{}}}
}

// Fields reads an options table: typed getters with defaults, each
// raising "bad argument #n to 'fn' (field 'name': ...)" on a bad value, and
// Done, which rejects unknown keys so a typo is an error.
type Fields struct{ f *fields }

// Get returns field name (LNil when absent) and marks it known.
func (f *Fields) Get(name string) glua.LValue { return f.f.get(name) }

// Has reports whether field name is set (and marks it known).
func (f *Fields) Has(name string) bool { return f.f.has(name) }

// Fail raises "bad argument #n to 'fn' (field 'name': msg)".
func (f *Fields) Fail(name, msg string) { f.f.fail(name, msg) }

// Int reads an integer field (def when absent).
func (f *Fields) Int(name string, def int64) int64 { return f.f.int(name, def) }

// Str reads a string field (def when absent).
func (f *Fields) Str(name, def string) string { return f.f.str(name, def) }

// Bool reads a boolean field (def when absent).
func (f *Fields) Bool(name string, def bool) bool { return f.f.boolean(name, def) }

// Function reads a function field (nil when absent).
func (f *Fields) Function(name string) *glua.LFunction { return f.f.function(name) }

// Done raises an error naming the first field no getter asked for.
func (f *Fields) Done() { f.f.done() }

// TypeName names a value's type as messages show it: flashemu's userdata
// report their own type name ("device", "fcb"), other values Lua's.
func TypeName(v glua.LValue) string { return typeNameOf(v) }

// ValueString converts a value to text like Lua's tostring without a state
// (no __tostring metamethods except flashemu's own userdata).
func ValueString(v glua.LValue) string { return tostring(v) }

// ErrorOf turns an error from a protected Lua call (LState.PCall, or a
// call through the state) into an *Error, telling a timeout, cancellation
// or the memory ceiling (from ctx and the state's limits) from a script
// error.
func ErrorOf(ctx context.Context, err error) *Error { return convertError(ctx, err) }

// CallerWhere is "file:line" of the innermost Lua function on L's call
// stack (skipping Go functions), "" when there is none.
func CallerWhere(L *glua.LState) string { return callerWhere(L) }

// Program returns the compiled program the state was made from (by
// Program.NewState), nil for a state made by NewState.
func (s *State) Program() *Program { return s.prog }
