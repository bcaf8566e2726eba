package lua

import (
	"context"
	"errors"
	"math/rand"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// runWithDeadline runs src under a context with the given deadline and
// returns DoString's error. It fails the test if the script has not returned
// after a generous 10 s (the limit must act within ~100 ms; the bound only
// keeps a broken build from hanging the suite).
func runWithDeadline(t *testing.T, L *LState, src string, d time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	L.SetContext(ctx)
	done := make(chan error, 1)
	go func() { done <- L.DoString(src) }()
	select {
	case err := <-done:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("script still running 10 s after a %v deadline", d)
		return nil
	}
}

func requireFatalDeadline(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("script finished without error (the deadline was caught or never checked)")
	}
	if !IsFatal(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want a fatal context.DeadlineExceeded, got %v", err)
	}
}

// PATCH(limits): long builtins stop at the context's deadline, and pcall,
// xpcall and coroutine.resume cannot catch the cancellation.
func TestPatchLimitsContextStopsBuiltins(t *testing.T) {
	cases := map[string]string{
		"find lazy":       `("a"):rep(40000):find(".-b")`,
		"find backtrack":  `("a"):rep(30):find(("a*"):rep(30) .. "b")`,
		"match":           `("a"):rep(40000):match(".-b")`,
		"gmatch":          `for m in ("a"):rep(40000):gmatch(".-b") do end`,
		"gsub":            `("a"):rep(40000):gsub(".-b", "")`,
		"infinite loop":   `while true do end`,
		"tail call":       `local function f(n) return f(n + 1) end f(1)`,
		"xpcall":          `xpcall(function() while true do end end, function(m) return "handled" end)`,
		"nested pcall":    `pcall(pcall, function() ("a"):rep(40000):find(".-b") end)`,
		"coroutine":       `local co = coroutine.create(function() pcall(string.find, ("a"):rep(40000), ".-b") end) print(coroutine.resume(co))`,
		"coroutine.wrap":  `pcall(coroutine.wrap(function() while true do end end))`,
		"sort comparator": `local t = {} for i = 1, 1000 do t[i] = i end table.sort(t, function(a, b) while true do end end)`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			L := NewState()
			defer L.Close()
			src := `local ok, e = pcall(function() ` + body + ` end) return "caught: " .. tostring(e)`
			requireFatalDeadline(t, runWithDeadline(t, L, src, 100*time.Millisecond))
		})
	}
}

// table.sort without a comparator runs entirely in Go; it polls the context.
func TestPatchLimitsSortPollsContext(t *testing.T) {
	L := NewState()
	defer L.Close()
	rng := rand.New(rand.NewSource(1))
	tb := L.NewTable()
	for i := 1; i <= 200000; i++ {
		tb.RawSetInt(i, LNumber(rng.Float64()))
	}
	// Called straight from Go with a context that is already done: no VM
	// instruction runs, so only the sort's own polling can stop it.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	L.SetContext(ctx)
	sortFn := L.GetField(L.GetGlobal("table"), "sort")
	err := L.CallByParam(P{Fn: sortFn, NRet: 0, Protect: true}, tb)
	if !IsFatal(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("want a fatal context.Canceled from table.sort, got %v", err)
	}
}

var errTestExit = errors.New("exit 3")

// A host function can raise its own uncatchable error (os.exit).
func TestPatchLimitsRaiseFatal(t *testing.T) {
	L := NewState()
	defer L.Close()
	L.SetGlobal("exit", L.NewFunction(func(L *LState) int {
		L.RaiseFatal(errTestExit)
		return 0
	}))
	err := L.DoString(`
		local ok = pcall(exit, 3)
		xpcall(exit, print)
		local co = coroutine.create(exit)
		coroutine.resume(co)
		error("pcall caught the fatal error")`)
	if !errors.Is(err, errTestExit) || !IsFatal(err) {
		t.Fatalf("want the fatal exit error, got %v", err)
	}
}

// The allocation check is asked before big allocations; a refusal is raised
// without allocating (fatal when the host says so, catchable otherwise).
func TestPatchLimitsAllocCheck(t *testing.T) {
	errBudget := errors.New("memory limit exceeded")
	cases := map[string]string{
		"string.rep":   `string.rep("x", 1e9)`,
		"concat op":    `local s = ("x"):rep(600000) local u = s .. s .. s .. s`,
		"table.concat": `local s = ("x"):rep(600000) local t = {} for i = 1, 2000 do t[i] = s end table.concat(t)`,
		"gsub":         `local s = ("x"):rep(600000) s:gsub("x", "yyyyyyyy")`,
		"format":       `local s = ("x"):rep(600000) string.format("%s%s", s, s)`,
		"coroutines":   `local t = {} for i = 1, 1e6 do t[i] = coroutine.create(print) end`,
	}
	for name, body := range cases {
		t.Run(name, func(t *testing.T) {
			for _, fatal := range []bool{true, false} {
				L := NewState()
				var asked int64
				L.SetAllocCheck(func(n int64) error {
					asked += n
					if n > 1<<20 || asked > 64<<20 {
						if fatal {
							return &FatalError{Err: errBudget}
						}
						return errBudget
					}
					return nil
				})
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				err := L.DoString(`local ok, e = pcall(function() ` + body + ` end) assert(not ok) error(e, 0)`)
				runtime.ReadMemStats(&after)
				L.Close()
				if err == nil || !strings.Contains(err.Error(), "memory limit exceeded") {
					t.Fatalf("fatal=%v: want the budget error, got %v", fatal, err)
				}
				if IsFatal(err) != fatal {
					t.Errorf("fatal=%v: IsFatal(err)=%v (%v)", fatal, IsFatal(err), err)
				}
				if got := after.TotalAlloc - before.TotalAlloc; got > 256<<20 {
					t.Errorf("fatal=%v: allocated %d MiB despite the refusal", fatal, got>>20)
				}
			}
		})
	}
}

func TestPatchLimitsFormatWidth(t *testing.T) {
	for _, f := range []string{"%99999999d", "%.999f", "%100s", "%------d"} {
		L := NewState()
		err := L.DoString(`local ok, e = pcall(string.format, "` + f + `", 1) assert(not ok) error(e, 0)`)
		L.Close()
		if err == nil || !strings.Contains(err.Error(), "invalid format") {
			t.Errorf("%s: want an invalid format error, got %v", f, err)
		}
	}
	if got := runLuaString(t, `return string.format("%5.2f|%-3d|%02x|%s|%%", 3.14159, 7, 255, "ok")`); got != " 3.14|7  |ff|ok|%" {
		t.Errorf("valid format: got %q", got)
	}
}

func TestPatchLimitsRepAndGsubResults(t *testing.T) {
	got := runLuaString(t, `
		local s = ("abc"):rep(3000000)
		for i = 1, #s, 99991 do
			local j = (i - 1) % 3 + 1
			assert(s:sub(i, i) == ("abc"):sub(j, j), i)
		end
		assert(not pcall(string.rep, ("x"):rep(1000), 2^60))
		local r, n = ("a"):rep(100000):gsub("a", "aa")
		local g = ("hello world from lua"):gsub("(%w+)", "<%1>")
		return #r .. "," .. n .. "," .. g`)
	if got != "200000,100000,<hello> <world> <from> <lua>" {
		t.Errorf("got %q", got)
	}
}

// BenchmarkGsubDoubling: ("a"):rep(n):gsub("a","aa") must scale linearly
// (v1.1.2 copied the whole buffer per replacement).
func BenchmarkGsubDoubling(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			L := NewState()
			defer L.Close()
			fn, err := L.LoadString(`local n = ... return (("a"):rep(n):gsub("a", "aa"))`)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				L.Push(fn)
				L.Push(LNumber(n))
				L.Call(1, 1)
				L.Pop(1)
			}
		})
	}
}

// An endless tail call stopped by the deadline gets a short traceback (v1.1.2
// wrote one line per tail call: ~1 GB and ~10 s after a 1 s deadline).
func TestPatchLimitsTailCallTraceback(t *testing.T) {
	L := NewState()
	defer L.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := runWithDeadline(t, L, `local function f(n) return f(n + 1) end f(1)`, 300*time.Millisecond)
	runtime.ReadMemStats(&after)
	requireFatalDeadline(t, err)
	if n := len(err.Error()); n > 64<<10 {
		t.Errorf("traceback is %d bytes", n)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 128<<20 {
		t.Errorf("allocated %d MiB", got>>20)
	}
	if !strings.Contains(err.Error(), "tail calls...)") {
		t.Errorf("traceback does not summarise the tail calls: %v", err)
	}
}

// A coroutine made during one call can be resumed in a later call, and
// runs under the later call's context (its deadline stops it).
func TestPatchLimitsCoroutineFollowsResumerContext(t *testing.T) {
	L := NewState()
	defer L.Close()
	ctx1, cancel1 := context.WithCancel(context.Background())
	L.SetContext(ctx1)
	if err := L.DoString(`gen = coroutine.wrap(function() local n = 0 while true do n = n + 1 coroutine.yield(n) end end); assert(gen() == 1)
		spin = coroutine.wrap(function() coroutine.yield() while true do end end); spin()`); err != nil {
		t.Fatal(err)
	}
	cancel1()
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	L.SetContext(ctx2)
	if err := L.DoString(`assert(gen() == 2)`); err != nil {
		t.Fatalf("resuming a coroutine made in an earlier call: %v", err)
	}
	start := time.Now()
	err := L.DoString(`spin()`)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the resumer's deadline, got %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("stopped after %v", d)
	}
}
