package lua

import (
	"errors"
	"flag"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"
)

// PATCH(checkpoint) tests.

// dumpLua serialises everything reachable from _G (and the string
// metatable) in a canonical, deterministic form, including the iteration
// order next() gives, metatables and what closures over top-level locals
// return. Two states with equal dumps are equal to every script below.
const dumpLua = `
local sorted
local function dump(v, seen, out)
  local t = type(v)
  if t == "table" then
    if seen[v] then out[#out+1] = sorted and "<ref>" or ("<" .. seen[v] .. ">"); return end
    seen.n = seen.n + 1; seen[v] = seen.n
    out[#out+1] = "{"
    local entries = {}
    local k, x = next(v)
    while k ~= nil do
      if sorted then
        local e = {}
        dump(k, seen, e); e[#e+1] = "="; dump(x, seen, e)
        entries[#entries+1] = table.concat(e)
      else
        dump(k, seen, out); out[#out+1] = "="; dump(x, seen, out); out[#out+1] = ","
      end
      k, x = next(v, k)
    end
    if sorted then
      table.sort(entries)
      out[#out+1] = table.concat(entries, ",")
    end
    out[#out+1] = "#" .. #v
    local mt = getmetatable(v)
    if mt ~= nil then out[#out+1] = " mt="; dump(mt, seen, out) end
    out[#out+1] = "}"
  elseif t == "function" then
    if seen[v] then out[#out+1] = sorted and "<fref>" or ("<f" .. seen[v] .. ">"); return end
    seen.n = seen.n + 1; seen[v] = seen.n
    out[#out+1] = "f"
    if getfenv(v) ~= _G then out[#out+1] = "[env]" end
  elseif t == "string" then
    out[#out+1] = string.format("%q", v)
  else
    out[#out+1] = tostring(v)
  end
end
-- __dump(false): exact, including next() order (one state against itself);
-- __dump(true): order-insensitive (two states: the standard libraries are
-- registered in Go map order, so their tables iterate differently).
function __dump(s)
  sorted = s
  local out = {}
  local seen = {n = 0}
  seen[__dump] = -1
  dump(_G, seen, out)
  out[#out+1] = " observe="
  dump(observe(), seen, out)
  out[#out+1] = " strmt="
  dump(getmetatable("").__index, seen, out)
  return table.concat(out)
end
`

// pristineLua is the "definition pass": top-level locals, closures over
// them, tables of every shape, metatables, package.loaded.
const pristineLua = `
local counter = 0
local log = {}
local cfg = setmetatable({mode = "fast"}, {__index = {level = 3}})
seq = {10, 20, 30, 40, 50}
sparse = {[1e6] = "m", [3] = "three", x = "y"}
nested = {a = {b = {c = 1}}, list = {"p", "q"}}
flag = true
unsorted = {3, 1, 2, 5, 4}
big = {}
for i = 1, 100 do big[i] = i * i end
for i = 1, 50 do big["k" .. i] = i end
for i = 1, 10 do big[i * 1000] = i end
function bump() counter = counter + 1; log[#log + 1] = counter; return counter end
function observe() return {counter = counter, log = log, cfg = cfg, mode = cfg.mode, level = cfg.level} end
package.loaded.mymod = {v = 1}
`

// mutateLua is a "check" that changes everything it can reach.
const mutateLua = `
bump(); bump()
seq[2] = nil; seq[6] = 60; table.insert(seq, 1, 5); table.remove(seq); table.sort(seq, function(a, b) return (a or 0) > (b or 0) end)
sparse[1e6] = nil; sparse[2] = "two"; sparse[1] = "one"; sparse.x = nil; sparse.z = "zz"
nested.a.b.c = 2; nested.list[3] = "r"; nested.a = nil
flag = nil
newglobal = {1, 2, 3}
for i = 1, 100 do big[i] = nil end
for i = 1, 50 do big["k" .. i] = nil end
big[5000] = "x"
for i = 101, 400 do big[i] = i end
setmetatable(sparse, {__index = function() return 7 end})
local o = observe(); o.cfg.mode = "slow"; getmetatable(o.cfg).__index.level = 9
package.loaded.mymod.v = 2; package.loaded.other = true
setfenv(bump, {})
string.shout = function(s) return s:upper() end
_G.seq = {}
rawset(_G, "raw", 1)
`

func newCheckpointState(t testing.TB) *LState {
	L := NewState()
	t.Cleanup(L.Close)
	if err := L.DoString(pristineLua); err != nil {
		t.Fatal(err)
	}
	if err := L.DoString(dumpLua); err != nil {
		t.Fatal(err)
	}
	return L
}

func dumpState(t testing.TB, L *LState) string { return dumpStateAs(t, L, false) }

func dumpStateAs(t testing.TB, L *LState, sorted bool) string {
	t.Helper()
	if err := L.CallByParam(P{Fn: L.GetGlobal("__dump"), NRet: 1, Protect: true}, LBool(sorted)); err != nil {
		t.Fatal(err)
	}
	s := L.Get(-1).String()
	L.Pop(1)
	return s
}

func TestPatchCheckpointRollbackRestoresEverything(t *testing.T) {
	L := newCheckpointState(t)
	pristine := dumpState(t, L)
	if err := L.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 5; round++ {
		if err := L.DoString(mutateLua); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if got := dumpState(t, L); got == pristine {
			t.Fatalf("round %d: the mutation changed nothing the dump sees; the test proves nothing", round)
		}
		if err := L.Rollback(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if got := dumpState(t, L); got != pristine {
			t.Fatalf("round %d: state after rollback differs from the checkpoint:\n got %s\nwant %s", round, got, pristine)
		}
	}
	// The same script in a fresh state sees what a rolled-back state sees.
	if err := L.DoString(`bump(); assert(observe().counter == 1, observe().counter); assert(getfenv(bump) == _G)`); err != nil {
		t.Fatal(err)
	}
}

// A fresh state and a rolled-back state produce equal dumps after the same
// mutation: rollback is the same as starting over.
func TestPatchCheckpointMatchesFreshState(t *testing.T) {
	fresh := newCheckpointState(t)
	if err := fresh.DoString(mutateLua); err != nil {
		t.Fatal(err)
	}
	want := dumpStateAs(t, fresh, true)

	L := newCheckpointState(t)
	if err := L.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := L.DoString(mutateLua); err != nil {
			t.Fatal(err)
		}
		if got := dumpStateAs(t, L, true); got != want {
			t.Fatalf("run %d after rollback differs from a fresh state:\n got %s\nwant %s", i, got, want)
		}
		if err := L.Rollback(); err != nil {
			t.Fatal(err)
		}
	}
}

// Each mutator alone, as the first write to its table in an epoch (a
// mutator that forgets to journal is hidden when an earlier write in the
// same epoch already saved the table).
func TestPatchCheckpointEachMutatorFirst(t *testing.T) {
	for _, src := range []string{
		`table.sort(unsorted)`,
		`table.sort(unsorted, function(a, b) return a > b end)`,
		`table.insert(unsorted, 1, 9)`,
		`table.insert(unsorted, 9)`,
		`table.remove(unsorted, 1)`,
		`table.remove(unsorted)`,
		`unsorted[2] = nil`,
		`unsorted[6] = 6`,
		`unsorted[100] = 1`,
		`unsorted.x = 1`,
		`unsorted[true] = 1`,
		`rawset(unsorted, 1, 0)`,
		`setmetatable(unsorted, {})`,
		`sparse[1e6] = nil`,
		`bump()`,
		`setfenv(bump, {})`,
		`x = 1`,
		`string.x = 1`,
		`package.loaded.x = 1`,
		`setfenv(0, {})`,
		`setfenv(1, {print = print})`,
	} {
		t.Run(src, func(t *testing.T) {
			L := newCheckpointState(t)
			pristine := dumpState(t, L)
			if err := L.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			if err := L.DoString(src); err != nil {
				t.Fatal(err)
			}
			if err := L.Rollback(); err != nil {
				t.Fatal(err)
			}
			if L.Env != L.G.Global {
				t.Fatal("the main thread's environment was not restored")
			}
			if got := dumpState(t, L); got != pristine {
				t.Fatalf("after %s and rollback:\n got %s\nwant %s", src, got, pristine)
			}
		})
	}
}

// Errors inside the check (caught and uncaught) do not defeat the journal.
func TestPatchCheckpointAfterErrors(t *testing.T) {
	L := newCheckpointState(t)
	pristine := dumpState(t, L)
	if err := L.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	err := L.DoString(`bump(); seq[1] = "changed"; pcall(function() bump(); error("inner") end); flag = false; error("outer")`)
	if err == nil || !strings.Contains(err.Error(), "outer") {
		t.Fatalf("want the outer error, got %v", err)
	}
	if err := L.Rollback(); err != nil {
		t.Fatal(err)
	}
	if got := dumpState(t, L); got != pristine {
		t.Fatalf("after an error and rollback:\n got %s\nwant %s", got, pristine)
	}
}

func TestPatchCheckpointCoroutines(t *testing.T) {
	t.Run("made in the check: safe", func(t *testing.T) {
		L := newCheckpointState(t)
		pristine := dumpState(t, L)
		if err := L.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		if err := L.DoString(`local co = coroutine.wrap(function() bump(); coroutine.yield(); seq[1] = 0 end); co(); co()`); err != nil {
			t.Fatal(err)
		}
		if err := L.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := dumpState(t, L); got != pristine {
			t.Fatalf("got %s\nwant %s", got, pristine)
		}
	})
	t.Run("made before the checkpoint: unsafe", func(t *testing.T) {
		L := newCheckpointState(t)
		if err := L.DoString(`gen = coroutine.create(function() local n = 0; while true do n = n + 1; coroutine.yield(n) end end); coroutine.resume(gen)`); err != nil {
			t.Fatal(err)
		}
		if err := L.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		if err := L.DoString(`coroutine.resume(gen)`); err != nil {
			t.Fatal(err)
		}
		err := L.Rollback()
		if !errors.Is(err, ErrRollbackUnsafe) || !strings.Contains(err.Error(), "coroutine") {
			t.Fatalf("want ErrRollbackUnsafe naming the coroutine, got %v", err)
		}
		// The next epoch starts clean: not resuming it is safe again.
		if err := L.DoString(`seq[1] = 1`); err != nil {
			t.Fatal(err)
		}
		if err := L.Rollback(); err != nil {
			t.Fatalf("second rollback: %v", err)
		}
	})
	t.Run("a status query is not a resume", func(t *testing.T) {
		L := newCheckpointState(t)
		if err := L.DoString(`gen = coroutine.create(function() end)`); err != nil {
			t.Fatal(err)
		}
		if err := L.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		if err := L.DoString(`assert(coroutine.status(gen) == "suspended")`); err != nil {
			t.Fatal(err)
		}
		if err := L.Rollback(); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPatchCheckpointUserData(t *testing.T) {
	L := newCheckpointState(t)
	type box struct{ n int }
	b := &box{n: 1}
	ud := L.NewUserData()
	ud.Value = b
	L.SetGlobal("ud", ud)
	L.SetGlobal("incr", L.NewFunction(func(L *LState) int {
		u := L.CheckUserData(1)
		if L.TouchUserData(u) {
			saved := *u.Value.(*box)
			L.OnRollback(func() { *u.Value.(*box) = saved })
		}
		u.Value.(*box).n++
		return 0
	}))
	if err := L.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := L.DoString(`incr(ud); incr(ud); setmetatable(ud, {})`); err != nil {
			t.Fatal(err)
		}
		if b.n != 3 {
			t.Fatalf("round %d: n = %d before rollback, want 3", i, b.n)
		}
		if err := L.Rollback(); err != nil {
			t.Fatal(err)
		}
		if b.n != 1 || ud.Metatable != LNil {
			t.Fatalf("round %d: n = %d, metatable %v after rollback; want 1 and nil", i, b.n, ud.Metatable)
		}
	}
	// A userdata made after the checkpoint is not "touched".
	if err := L.DoString(`x = 1`); err != nil {
		t.Fatal(err)
	}
	if L.TouchUserData(L.NewUserData()) {
		t.Fatal("a new userdata reported as pre-checkpoint")
	}
	L.MarkRollbackUnsafe("host state changed")
	if err := L.Rollback(); !errors.Is(err, ErrRollbackUnsafe) || !strings.Contains(err.Error(), "host state changed") {
		t.Fatalf("want the host's reason, got %v", err)
	}
}

func TestPatchCheckpointBusyAndNone(t *testing.T) {
	L := NewState()
	defer L.Close()
	if err := L.Rollback(); !errors.Is(err, ErrRollbackUnsafe) {
		t.Fatalf("rollback without a checkpoint: %v", err)
	}
	co, _ := L.NewThread()
	if err := co.Checkpoint(); !errors.Is(err, ErrCheckpointBusy) {
		t.Fatalf("checkpoint on a coroutine: %v", err)
	}
	var inside error
	L.SetGlobal("cp", L.NewFunction(func(L *LState) int { inside = L.Checkpoint(); return 0 }))
	if err := L.DoString(`cp()`); err != nil {
		t.Fatal(err)
	}
	if inside != nil {
		t.Fatalf("checkpoint inside a call: %v", inside)
	}
	// Rollback at another call depth than the checkpoint's.
	if err := L.Rollback(); !errors.Is(err, ErrCheckpointBusy) {
		t.Fatalf("rollback at another depth: %v", err)
	}
	if err := L.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if !L.HasCheckpoint() {
		t.Fatal("HasCheckpoint false after Checkpoint")
	}
	L.DropCheckpoint()
	if L.HasCheckpoint() {
		t.Fatal("HasCheckpoint true after DropCheckpoint")
	}
	if err := L.DoString(`x = 1`); err != nil {
		t.Fatal(err)
	}
	if got := L.GetGlobal("x"); got != LNumber(1) {
		t.Fatalf("x = %v", got)
	}
}

// A Go function called from Lua checkpoints, runs checks that change the
// caller's locals (open upvalues), globals and tables, and rolls back
// after each: the caller goes on with its values (the REPL's sweep.run).
func TestPatchCheckpointInsideACall(t *testing.T) {
	L := NewState()
	defer L.Close()
	L.SetGlobal("isolated", L.NewFunction(func(L *LState) int {
		check := L.CheckFunction(1)
		n := L.CheckInt(2)
		if err := L.Checkpoint(); err != nil {
			L.RaiseError("checkpoint: %v", err)
		}
		for i := 0; i < n; i++ {
			L.Push(check)
			if err := L.PCall(0, 0, nil); err != nil {
				L.RaiseError("check %d: %v", i, err)
			}
			if err := L.Rollback(); err != nil {
				L.RaiseError("rollback %d: %v", i, err)
			}
		}
		return 0
	}))
	err := L.DoString(`
		local count, t = 0, {1, 2, 3}
		g = "pristine"
		isolated(function()
			count = count + 1
			assert(count == 1, "count leaked: " .. count)
			assert(#t == 3 and g == "pristine", "table or global leaked")
			t[4] = 4; g = "changed"
		end, 5)
		assert(count == 0 and #t == 3 and g == "pristine", "the caller sees a check's changes")
		count = 10
		assert(count == 10)
	`)
	if err != nil {
		t.Fatal(err)
	}
}

var checkpointSeed = flag.Int64("checkpoint.seed", 0, "seed for TestPatchCheckpointRandomMutations (0: time)")

// Random mutation programs over pre-existing tables of every shape: after
// each rollback the dump equals the pristine one. Prints its seed.
func TestPatchCheckpointRandomMutations(t *testing.T) {
	seed := *checkpointSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed %d (rerun with -checkpoint.seed=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	L := newCheckpointState(t)
	pristine := dumpState(t, L)
	if err := L.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	targets := []string{"seq", "sparse", "nested", "nested.a", "nested.list", "big", "_G", "package.loaded", "observe().log", "observe().cfg"}
	key := func() string {
		switch rng.Intn(5) {
		case 0:
			return fmt.Sprint(rng.Intn(12) + 1)
		case 1:
			return fmt.Sprint(rng.Intn(1 << 20))
		case 2:
			return fmt.Sprintf("%q", fmt.Sprintf("k%d", rng.Intn(60)))
		case 3:
			return fmt.Sprint(-rng.Intn(5))
		default:
			return fmt.Sprintf("%d.5", rng.Intn(9))
		}
	}
	val := func() string {
		switch rng.Intn(4) {
		case 0:
			return "nil"
		case 1:
			return fmt.Sprint(rng.Intn(100))
		case 2:
			return "{}"
		default:
			return `"v"`
		}
	}
	for round := 0; round < 200; round++ {
		var b strings.Builder
		for i, n := 0, rng.Intn(40)+1; i < n; i++ {
			tgt := targets[rng.Intn(len(targets))]
			switch rng.Intn(8) {
			case 0:
				fmt.Fprintf(&b, "table.insert(%s, %s)\n", tgt, val())
			case 1:
				fmt.Fprintf(&b, "table.remove(%s, 1)\n", tgt)
			case 2:
				fmt.Fprintf(&b, "pcall(table.sort, %s)\n", tgt)
			case 3:
				fmt.Fprintf(&b, "setmetatable(%s, nil)\n", tgt)
			case 4:
				b.WriteString("bump()\n")
			case 5:
				fmt.Fprintf(&b, "for k in pairs(%s) do if type(k) == 'number' then %s[k] = nil break end end\n", tgt, tgt)
			default:
				fmt.Fprintf(&b, "rawset(%s, %s, %s)\n", tgt, key(), val())
			}
		}
		src := b.String()
		if err := L.DoString(src); err != nil {
			t.Fatalf("round %d: %v\n%s", round, err, src)
		}
		if err := L.Rollback(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if got := dumpState(t, L); got != pristine {
			t.Fatalf("seed %d round %d: state after rollback differs:\n%s\n got %s\nwant %s", seed, round, src, got, pristine)
		}
	}
}

// BenchmarkCheckpointRollback is the cost of returning to a pristine state
// after a check that writes globals, a top-level table and an upvalue,
// against making a new state and re-running the definition.
func BenchmarkCheckpointRollback(b *testing.B) {
	const check = `bump(); seq[1] = 1; flag = false; local t = {} for i = 1, 20 do t[i] = i end`
	b.Run("rollback", func(b *testing.B) {
		L := newCheckpointState(b)
		if err := L.Checkpoint(); err != nil {
			b.Fatal(err)
		}
		fn, err := L.LoadString(check)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			L.Push(fn)
			if err := L.PCall(0, 0, nil); err != nil {
				b.Fatal(err)
			}
			if err := L.Rollback(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fresh-state", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			L := NewState()
			if err := L.DoString(pristineLua); err != nil {
				b.Fatal(err)
			}
			if err := L.DoString(check); err != nil {
				b.Fatal(err)
			}
			L.Close()
		}
	})
}

// A checkpoint taken after an earlier one was dropped journals the objects
// made before the drop too (a REPL runs several isolated sweeps).
func TestPatchCheckpointAfterDrop(t *testing.T) {
	L := newCheckpointState(t)
	pristine := dumpState(t, L)
	for round := 0; round < 3; round++ {
		if err := L.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		if err := L.DoString(mutateLua); err != nil {
			t.Fatal(err)
		}
		if err := L.Rollback(); err != nil {
			t.Fatal(err)
		}
		if got := dumpState(t, L); got != pristine {
			t.Fatalf("round %d: after checkpoint, drop, checkpoint and rollback:\n got %s\nwant %s", round, got, pristine)
		}
		L.DropCheckpoint()
		// Writes between checkpoints are not journaled and stay.
		if err := L.DoString(`seq[1] = 10`); err != nil {
			t.Fatal(err)
		}
	}
}
