package lua

import "testing"

// PATCH(speed) tests: allocations of string-keyed table writes.

func TestPatchSpeedStringKeyAllocs(t *testing.T) {
	L := NewState()
	defer L.Close()
	tb := L.NewTable()
	tb.RawSetString("counter", LNumber(1))
	v := LValue(LNumber(2))
	if n := testing.AllocsPerRun(100, func() { tb.RawSetString("counter", v) }); n != 0 {
		t.Errorf("updating an existing string key: %v allocs, want 0", n)
	}
	keys := []LValue{LString("sector"), LString("sector_off"), LString("elem_off"), LString("data_off"), LString("area_off"), LString("len"), LString("data")}
	// A 7-field record with pre-boxed keys: the table, its hash map (with
	// its group) and the key order (slice, map with its group).
	n := testing.AllocsPerRun(100, func() {
		r := L.CreateTable(0, len(keys))
		for _, k := range keys {
			r.RawSetH(k, v)
		}
	})
	if n > 6 {
		t.Errorf("a 7-field record with pre-boxed keys: %v allocs, want <= 6", n)
	}
	// Order and deletion semantics are those of v1.1.2: a key deleted and
	// set again keeps its place in the traversal order.
	r := L.NewTable()
	for _, k := range []string{"a", "b", "c"} {
		r.RawSetString(k, LTrue)
	}
	r.RawSetString("a", LNil)
	r.RawSetString("a", LFalse)
	var order []string
	for k, _ := r.Next(LNil); k != LNil; k, _ = r.Next(k) {
		order = append(order, k.String())
	}
	if got := len(order); got != 3 || order[0] != "a" || order[1] != "b" || order[2] != "c" {
		t.Errorf("order %v, want [a b c]", order)
	}
}

// BenchmarkTableRecordFill fills 7-field records as a host binding does
// (string keys, number values).
func BenchmarkTableRecordFill(b *testing.B) {
	L := NewState()
	defer L.Close()
	names := []string{"sector", "sector_off", "elem_off", "data_off", "area_off", "len", "data"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := L.CreateTable(0, len(names))
		for j, k := range names {
			r.RawSetString(k, LNumber(j))
		}
	}
}

func TestPatchSpeedNumberValue(t *testing.T) {
	L := NewState()
	defer L.Close()
	for _, v := range []LNumber{0, 1, 127, 128, 4096, -1, 0.5, 1e300} {
		if got := L.NumberValue(v); got != LValue(v) {
			t.Errorf("NumberValue(%v) = %v", v, got)
		}
	}
	// Amortised: far less than one allocation per number.
	n := testing.AllocsPerRun(10, func() {
		for i := 0; i < 1000; i++ {
			_ = L.NumberValue(LNumber(1000 + i))
		}
	})
	if n > 100 {
		t.Errorf("1000 numbers: %v allocs", n)
	}
}
