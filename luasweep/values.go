package luasweep

import (
	"fmt"
	"math"
	"sort"

	"github.com/flashemu/flashemu/lua"
	glua "github.com/yuin/gopher-lua"
)

// Values a sweep workload acknowledges with ack(v) cross from the workload's
// Lua state to the checks' states (other interpreters, other goroutines), so
// they travel as plain Go data: nil, bool, int64 (whole numbers up to 2^53),
// float64, string, []any (a table that is a sequence 1..n) and
// map[string]any (a table with string keys). Functions, userdata, threads,
// tables with other keys and nesting deeper than maxAckDepth are refused.

// maxAckDepth bounds the nesting of acknowledged tables (and catches cycles).
const maxAckDepth = 32

// ackToGo converts an acknowledged Lua value to plain Go data.
func ackToGo(v glua.LValue) (any, error) { return ackToGoDepth(v, 0) }

func ackToGoDepth(v glua.LValue, depth int) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case *glua.LNilType:
		return nil, nil
	case glua.LBool:
		return bool(x), nil
	case glua.LNumber:
		f := float64(x)
		if f == math.Trunc(f) && math.Abs(f) <= lua.MaxExactInt {
			return int64(f), nil
		}
		return f, nil
	case glua.LString:
		return string(x), nil
	case *glua.LTable:
		if depth >= maxAckDepth {
			return nil, fmt.Errorf("table nested deeper than %d levels (a cycle?)", maxAckDepth)
		}
		return tableToGo(x, depth+1)
	}
	return nil, fmt.Errorf("cannot acknowledge a %s (only nil, booleans, numbers, strings and tables of them)", lua.TypeName(v))
}

// tableToGo converts a sequence to []any and a string-keyed table to
// map[string]any; the empty table is an empty sequence.
func tableToGo(t *glua.LTable, depth int) (any, error) {
	n := t.Len()
	count := 0
	seq := true
	t.ForEach(func(k, _ glua.LValue) {
		count++
		num, ok := k.(glua.LNumber)
		if !ok || float64(num) != math.Trunc(float64(num)) || num < 1 || int(num) > n {
			seq = false
		}
	})
	if seq && count == n {
		out := make([]any, n)
		for i := 1; i <= n; i++ {
			v, err := ackToGoDepth(t.RawGetInt(i), depth)
			if err != nil {
				return nil, err
			}
			out[i-1] = v
		}
		return out, nil
	}
	out := make(map[string]any, count)
	var err error
	t.ForEach(func(k, v glua.LValue) {
		if err != nil {
			return
		}
		ks, ok := k.(glua.LString)
		if !ok {
			err = fmt.Errorf("table key %s: a table must be a sequence 1..n or have string keys only", lua.ValueString(k))
			return
		}
		out[string(ks)], err = ackToGoDepth(v, depth)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// goToLua converts acknowledged Go data back to a Lua value of L's state.
func goToLua(L *glua.LState, v any) glua.LValue {
	switch x := v.(type) {
	case nil:
		return glua.LNil
	case bool:
		return glua.LBool(x)
	case int64:
		return glua.LNumber(x)
	case int:
		return glua.LNumber(x)
	case float64:
		return glua.LNumber(x)
	case string:
		return glua.LString(x)
	case []any:
		t := L.CreateTable(len(x), 0)
		for i, e := range x {
			t.RawSetInt(i+1, goToLua(L, e))
		}
		return t
	case map[string]any:
		t := L.CreateTable(0, len(x))
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic table construction
		for _, k := range keys {
			t.RawSetString(k, goToLua(L, x[k]))
		}
		return t
	}
	return glua.LString(fmt.Sprint(v))
}

// isScalar reports whether a converted value is immutable in Lua (so one
// converted copy can be shared by many checks).
func isScalar(v any) bool {
	switch v.(type) {
	case []any, map[string]any:
		return false
	}
	return true
}
