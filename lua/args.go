package lua

import (
	"fmt"
	"math"
	"strings"

	glua "github.com/yuin/gopher-lua"
)

// maxExactInt is the largest integer a Lua number (float64) holds exactly.
const maxExactInt = 1 << 53

// args checks the arguments of one call to a Go binding and raises Lua's
// standard messages ("bad argument #2 to 'write' (string expected, got
// number)") at the caller's file:line. For methods (method=true) argument
// numbers do not count self, as in Lua's luaL_argerror.
//
// It is a small value type: making one does not allocate.
type args struct {
	L      *glua.LState
	fn     string
	method bool
}

func argsOf(L *glua.LState, fn string) args   { return args{L: L, fn: fn} }
func methodOf(L *glua.LState, fn string) args { return args{L: L, fn: fn, method: true} }

// num converts a stack index to the argument number users see.
func (a args) num(n int) int {
	if a.method {
		return n - 1
	}
	return n
}

// raise raises a Lua error at the caller's position.
func (a args) raise(format string, v ...any) {
	a.L.RaiseError(format, v...)
}

// argError raises "bad argument #n to 'fn' (msg)".
func (a args) argError(n int, msg string) {
	if a.method && n == 1 {
		a.L.RaiseError("calling '%s' on bad self (%s)", a.fn, msg)
		return
	}
	a.L.RaiseError("bad argument #%d to '%s' (%s)", a.num(n), a.fn, msg)
}

// typeName names the type of argument n, "no value" when it is missing.
func (a args) typeName(n int) string {
	if n > a.L.GetTop() {
		return "no value"
	}
	return typeNameOf(a.L.Get(n))
}

// typeNameOf names a value's type; our userdata report their type name.
func typeNameOf(v glua.LValue) string {
	if ud, ok := v.(*glua.LUserData); ok {
		if t, ok := ud.Value.(interface{ luaType() string }); ok {
			return t.luaType()
		}
	}
	return v.Type().String()
}

// typeError raises "bad argument #n to 'fn' (want expected, got T)".
func (a args) typeError(n int, want string) {
	a.argError(n, want+" expected, got "+a.typeName(n))
}

func (a args) present(n int) bool {
	return n <= a.L.GetTop() && a.L.Get(n) != glua.LNil
}

// toInt converts a number to an integer, rejecting fractions, NaN and
// values beyond 2^53.
func toInt(v glua.LNumber) (int64, string) {
	f := float64(v)
	if f != math.Trunc(f) || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, "number has no integer representation"
	}
	if f > maxExactInt || f < -maxExactInt {
		return 0, "integer out of range"
	}
	return int64(f), ""
}

// int checks that argument n is a whole number.
func (a args) int(n int) int64 {
	v, ok := a.L.Get(n).(glua.LNumber)
	if !ok || n > a.L.GetTop() {
		a.typeError(n, "integer")
		return 0
	}
	i, msg := toInt(v)
	if msg != "" {
		a.argError(n, msg)
	}
	return i
}

// optInt is int with a default for a missing or nil argument.
func (a args) optInt(n int, def int64) int64 {
	if !a.present(n) {
		return def
	}
	return a.int(n)
}

// intRange checks that argument n is an integer in [lo, hi].
func (a args) intRange(n int, lo, hi int64) int64 {
	i := a.int(n)
	if i < lo || i > hi {
		a.argError(n, fmt.Sprintf("%d out of range [%d, %d]", i, lo, hi))
	}
	return i
}

// nonNeg checks for an integer >= 0 (offsets, lengths).
func (a args) nonNeg(n int) int64 {
	i := a.int(n)
	if i < 0 {
		a.argError(n, fmt.Sprintf("%d is negative", i))
	}
	return i
}

// str checks for a string (a byte buffer). Numbers are not converted.
func (a args) str(n int) string {
	v, ok := a.L.Get(n).(glua.LString)
	if !ok || n > a.L.GetTop() {
		a.typeError(n, "string")
	}
	return string(v)
}

// optStr is str with a default.
func (a args) optStr(n int, def string) string {
	if !a.present(n) {
		return def
	}
	return a.str(n)
}

// table checks for a table.
func (a args) table(n int) *glua.LTable {
	v, ok := a.L.Get(n).(*glua.LTable)
	if !ok || n > a.L.GetTop() {
		a.typeError(n, "table")
	}
	return v
}

// optTable is table, nil when absent.
func (a args) optTable(n int) *glua.LTable {
	if !a.present(n) {
		return nil
	}
	return a.table(n)
}

// function checks for a function.
func (a args) function(n int) *glua.LFunction {
	v, ok := a.L.Get(n).(*glua.LFunction)
	if !ok || n > a.L.GetTop() {
		a.typeError(n, "function")
	}
	return v
}

// optFunction is function, nil when absent.
func (a args) optFunction(n int) *glua.LFunction {
	if !a.present(n) {
		return nil
	}
	return a.function(n)
}

// boolean checks for a boolean.
func (a args) boolean(n int) bool {
	v, ok := a.L.Get(n).(glua.LBool)
	if !ok || n > a.L.GetTop() {
		a.typeError(n, "boolean")
	}
	return bool(v)
}

// optBool is boolean with a default.
func (a args) optBool(n int, def bool) bool {
	if !a.present(n) {
		return def
	}
	return a.boolean(n)
}

// any checks that argument n exists (it may be nil only if explicitly given).
func (a args) any(n int) glua.LValue {
	if n > a.L.GetTop() {
		a.argError(n, "value expected")
	}
	return a.L.Get(n)
}

// fields reads an options table such as flash.nor{size=..., sector=...}:
// typed getters with defaults, and done() rejects unknown keys so that
// typos ("sise") are errors instead of silently ignored.
type fields struct {
	a    args
	n    int
	t    *glua.LTable
	seen map[string]bool
}

// opts checks that argument n is a table (or absent: all defaults).
func (a args) opts(n int) *fields {
	return &fields{a: a, n: n, t: a.optTable(n), seen: map[string]bool{}}
}

func (f *fields) get(name string) glua.LValue {
	f.seen[name] = true
	if f.t == nil {
		return glua.LNil
	}
	return f.t.RawGetString(name)
}

func (f *fields) fail(name, msg string) {
	f.a.argError(f.n, fmt.Sprintf("field '%s': %s", name, msg))
}

// has reports whether the field is set.
func (f *fields) has(name string) bool { return f.get(name) != glua.LNil }

func (f *fields) int(name string, def int64) int64 {
	v := f.get(name)
	if v == glua.LNil {
		return def
	}
	num, ok := v.(glua.LNumber)
	if !ok {
		f.fail(name, "integer expected, got "+typeNameOf(v))
	}
	i, msg := toInt(num)
	if msg != "" {
		f.fail(name, msg)
	}
	return i
}

// size is int that also accepts strings with K/M/G suffixes ("64K").
func (f *fields) size(name string, def int64) int64 {
	v := f.get(name)
	if s, ok := v.(glua.LString); ok {
		n, err := ParseNumber(string(s))
		if err != nil {
			f.fail(name, err.Error())
		}
		if n > maxExactInt {
			f.fail(name, "integer out of range")
		}
		return int64(n)
	}
	return f.int(name, def)
}

func (f *fields) number(name string, def float64) float64 {
	v := f.get(name)
	if v == glua.LNil {
		return def
	}
	num, ok := v.(glua.LNumber)
	if !ok {
		f.fail(name, "number expected, got "+typeNameOf(v))
	}
	return float64(num)
}

func (f *fields) str(name, def string) string {
	v := f.get(name)
	if v == glua.LNil {
		return def
	}
	s, ok := v.(glua.LString)
	if !ok {
		f.fail(name, "string expected, got "+typeNameOf(v))
	}
	return string(s)
}

func (f *fields) boolean(name string, def bool) bool {
	v := f.get(name)
	if v == glua.LNil {
		return def
	}
	b, ok := v.(glua.LBool)
	if !ok {
		f.fail(name, "boolean expected, got "+typeNameOf(v))
	}
	return bool(b)
}

func (f *fields) table(name string) *glua.LTable {
	v := f.get(name)
	if v == glua.LNil {
		return nil
	}
	t, ok := v.(*glua.LTable)
	if !ok {
		f.fail(name, "table expected, got "+typeNameOf(v))
	}
	return t
}

func (f *fields) function(name string) *glua.LFunction {
	v := f.get(name)
	if v == glua.LNil {
		return nil
	}
	fn, ok := v.(*glua.LFunction)
	if !ok {
		f.fail(name, "function expected, got "+typeNameOf(v))
	}
	return fn
}

// done raises an error naming the first unknown field.
func (f *fields) done() {
	if f.t == nil {
		return
	}
	var unknown []string
	f.t.ForEach(func(k, _ glua.LValue) {
		ks, ok := k.(glua.LString)
		if !ok || !f.seen[string(ks)] {
			unknown = append(unknown, k.String())
		}
	})
	if len(unknown) > 0 {
		known := make([]string, 0, len(f.seen))
		for k := range f.seen {
			known = append(known, k)
		}
		sortStrings(known)
		sortStrings(unknown)
		f.a.argError(f.n, fmt.Sprintf("unknown field '%s' (known: %s)", unknown[0], strings.Join(known, ", ")))
	}
}
