package lua

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"
)

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
	// A 7-field record with pre-boxed keys: the table and its small hash
	// part (one slice of 7 key/value pairs), no map.
	n := testing.AllocsPerRun(100, func() {
		r := L.CreateTable(0, len(keys))
		for _, k := range keys {
			r.RawSetH(k, v)
		}
	})
	if n > 2 {
		t.Errorf("a 7-field record with pre-boxed keys: %v allocs, want <= 2", n)
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

// luaModulo's integer path agrees with Lua's definition a - floor(a/b)*b
// (and with the float path) on integers of both signs; floats, NaN, inf
// and a zero divisor still take the float path.
func TestPatchSpeedModulo(t *testing.T) {
	// v1.1.2's float path (math.Mod is exact), floored as Lua defines it.
	ref := func(a, b float64) float64 {
		v := math.Mod(a, b)
		if b > 0 && v < 0 || b < 0 && v > 0 {
			v += b
		}
		return v
	}
	ints := []float64{0, 1, 2, 3, 7, 255, 256, 65536, 1 << 31, 1<<53 - 1, -1, -2, -7, -255, -256, -(1 << 40)}
	for _, a := range ints {
		for _, b := range ints {
			if b == 0 {
				continue
			}
			got, want := float64(luaModulo(LNumber(a), LNumber(b))), ref(a, b)
			if got != want {
				t.Errorf("%v %% %v = %v, want %v", a, b, got, want)
			}
		}
	}
	for _, c := range [][3]float64{{5.5, 2, 1.5}, {-5.5, 2, 0.5}, {5, 2.5, 0}, {1, math.Inf(1), 1}} {
		if got := float64(luaModulo(LNumber(c[0]), LNumber(c[1]))); got != c[2] {
			t.Errorf("%v %% %v = %v, want %v", c[0], c[1], got, c[2])
		}
	}
	if got := float64(luaModulo(1, 0)); !math.IsNaN(got) {
		t.Errorf("1 %% 0 = %v, want nan", got)
	}
}

// Library functions box their number results through the state's bulk
// allocator.
func TestPatchSpeedLibraryNumbersDoNotAllocateEach(t *testing.T) {
	L := NewState()
	defer L.Close()
	fn, err := L.LoadString(`local s, x = "abcdefgh", 0 for i = 1, 1000 do x = x + math.floor(i / 3) + s:byte(i % 8 + 1) + #s end return x`)
	if err != nil {
		t.Fatal(err)
	}
	n := testing.AllocsPerRun(5, func() {
		L.Push(fn)
		L.Call(0, 1)
		L.Pop(1)
	})
	if n > 500 { // v1.1.2: one allocation per library result, ~2,000
		t.Errorf("1000 iterations of math.floor and string.byte: %v allocs", n)
	}
}

// TestPatchSpeedSmallTablesMatchTheModel: a table's hash part lives in a
// slice up to smallHash keys and in maps beyond; whichever it is in, every
// operation reads what a plain model (a map plus insertion order) says, and
// next() visits exactly the live keys, each once, in insertion order. Random
// programs of sets, deletes and re-sets over string, number, boolean and
// table keys, with a printed seed (PATCH_SPEED_SEED replays one).
func TestPatchSpeedSmallTablesMatchTheModel(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("PATCH_SPEED_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("seed=%d (replay with PATCH_SPEED_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	L := NewState()
	defer L.Close()
	tabKeys := []LValue{L.NewTable(), L.NewTable()}
	key := func() LValue {
		switch rng.IntN(5) {
		case 0, 1:
			return LString(fmt.Sprintf("k%d", rng.IntN(10)))
		case 2:
			return LNumber(rng.IntN(10) - 1) // 0 and -1: hash; 1.. may join the array
		case 3:
			return LNumber(float64(rng.IntN(3)) + 0.5)
		}
		if rng.IntN(2) == 0 {
			return LTrue
		}
		return tabKeys[rng.IntN(len(tabKeys))]
	}
	for prog := 0; prog < 2000; prog++ {
		tb := L.NewTable()
		if !tb.small() {
			t.Fatal("a new table's hash part is not the small slice")
		}
		model := map[LValue]LValue{}
		for op := 0; op < 1+rng.IntN(60); op++ {
			k := key()
			var v LValue = LNumber(rng.IntN(1000))
			if rng.IntN(4) == 0 {
				v = LNil
			}
			if s, ok := k.(LString); ok && rng.IntN(2) == 0 {
				tb.RawSetString(string(s), v)
			} else {
				tb.RawSet(k, v)
			}
			if v == LNil {
				delete(model, k)
			} else {
				model[k] = v
			}
			for mk, mv := range model {
				if got := tb.RawGet(mk); got != mv {
					t.Fatalf("seed %d program %d op %d: RawGet(%v) = %v, want %v (small=%v)", seed, prog, op, mk, got, mv, tb.small())
				}
				if s, ok := mk.(LString); ok && tb.RawGetString(string(s)) != mv {
					t.Fatalf("seed %d program %d: RawGetString(%v) differs", seed, prog, mk)
				}
			}
			if got := tb.RawGet(LString("absent")); got != LNil {
				t.Fatalf("seed %d program %d: absent key reads %v", seed, prog, got)
			}
			seen := map[LValue]bool{}
			for k, v := tb.Next(LNil); k != LNil; k, v = tb.Next(k) {
				if seen[k] {
					t.Fatalf("seed %d program %d op %d: next() visits %v twice", seed, prog, op, k)
				}
				seen[k] = true
				if model[k] != v {
					t.Fatalf("seed %d program %d op %d: next() gives %v = %v, model %v", seed, prog, op, k, v, model[k])
				}
			}
			if len(seen) != len(model) {
				t.Fatalf("seed %d program %d op %d: next() visits %d keys, model has %d", seed, prog, op, len(seen), len(model))
			}
			n := 0
			tb.ForEach(func(LValue, LValue) { n++ })
			if n != len(model) {
				t.Fatalf("seed %d program %d: ForEach visits %d keys, model has %d", seed, prog, n, len(model))
			}
		}
	}
}

// TestPatchSpeedSmallTableOrder: string keys keep insertion order across
// the move from the slice to the maps, and clearing fields during a
// traversal goes on, in both forms.
func TestPatchSpeedSmallTableOrder(t *testing.T) {
	L := NewState()
	defer L.Close()
	for _, n := range []int{smallHash - 1, smallHash, smallHash + 1, 3 * smallHash} {
		tb := L.NewTable()
		for i := 0; i < n; i++ {
			tb.RawSetString(fmt.Sprintf("f%02d", i), LNumber(i))
		}
		i := 0
		for k, v := tb.Next(LNil); k != LNil; k, v = tb.Next(k) {
			if want := fmt.Sprintf("f%02d", i); k.String() != want || v != LNumber(i) {
				t.Fatalf("%d keys: position %d is %v = %v, want %s", n, i, k, v, want)
			}
			tb.RawSet(k, LNil) // clearing during the traversal
			i++
		}
		if i != n {
			t.Fatalf("%d keys: traversal visited %d", n, i)
		}
		if k, _ := tb.Next(LNil); k != LNil {
			t.Fatalf("%d keys: %v left after clearing", n, k)
		}
	}
}
