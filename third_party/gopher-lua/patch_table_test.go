package lua

import (
	"runtime"
	"strconv"
	"syscall"
	"testing"
)

// cpuTime returns the process's user+system CPU time in ns.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// allocBytes returns the bytes allocated while running src in a fresh state.
func allocBytes(t *testing.T, src string) uint64 {
	t.Helper()
	L := NewState()
	defer L.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	if err := L.DoString(src); err != nil {
		t.Fatalf("DoString: %v", err)
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// PATCH(tables): a large integer key costs O(1) memory, not a padded array
// (v1.1.2: t[5e6] allocated ~300 MB, t[6e7] ~3.4 GB).
func TestPatchTableSparseKeysAreCheap(t *testing.T) {
	for _, key := range []string{"5e6", "6e7", "67108863", "3e9"} {
		src := "local t = {}; t[" + key + "] = true; local n = 0; for k in pairs(t) do n = n + 1 end; assert(n == 1); assert(t[" + key + "]); assert(#t == 0)"
		if got := allocBytes(t, src); got > 4<<20 {
			t.Errorf("t[%s]=true allocated %d bytes, want < 4 MiB", key, got)
		}
	}
}

func TestPatchTableSemantics(t *testing.T) {
	cases := []struct{ name, src, want string }{
		{"pairs over sparse", `
			local t = {}
			for i = 1, 100 do t[i * 1000003] = i end
			local n, sum = 0, 0
			for k, v in pairs(t) do n = n + 1; sum = sum + v; assert(t[k] == v) end
			return n .. "," .. sum .. "," .. #t`, "100,5050,0"},
		{"mixed", `
			local t = {10, 20, 30, x = "a", [2.5] = "f", [-1] = "neg", [0] = "zero", [1e6] = "big"}
			local n = 0
			for k, v in pairs(t) do n = n + 1; assert(t[k] == v) end
			local s = 0
			for i, v in ipairs(t) do s = s + v end
			return n .. "," .. #t .. "," .. s .. "," .. table.maxn(t)`, "8,3,60,1000000"},
		{"delete during next", `
			local t = {}
			for i = 1, 50 do t[i] = i end
			for i = 1, 50 do t[i * 7919] = i; t["k" .. i] = i end
			local n = 0
			for k, v in pairs(t) do t[k] = nil; n = n + 1 end
			return n .. "," .. tostring(next(t))`, "150,nil"},
		{"migration when the table fills in", `
			local t = {}
			for i = 10, 1, -1 do t[i] = i end
			local s = 0
			for i, v in ipairs(t) do s = s + v end
			table.insert(t, 11)
			return #t .. "," .. s .. "," .. table.concat(t, " ") .. "," .. select("#", unpack(t))`,
			"11,55,1 2 3 4 5 6 7 8 9 10 11,11"},
		{"insert fills a gap", `
			local t = {1, 2}
			t[4] = 4
			table.insert(t, 3)
			table.insert(t, 5)
			return #t .. "," .. table.concat(t, ",")`, "5,1,2,3,4,5"},
		{"sort remove on sequence", `
			local t = {}
			for i = 1, 20 do t[i] = (i * 7) % 20 end
			table.sort(t)
			local r = table.remove(t, 1)
			return r .. "," .. #t .. "," .. t[1] .. "," .. t[19]`, "0,19,1,19"},
		{"nil at end of sequence", `
			local t = {1, 2, 3}
			t[3] = nil
			t[3] = nil
			t[4] = nil
			return #t .. "," .. tostring(next(t, 2))`, "2,nil"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := runLuaString(t, c.src); got != c.want {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}

// A sequence filled out of order ends up in the array part.
func TestPatchTableMigratesIntoArray(t *testing.T) {
	tb := newLTable(0, 0)
	for i := 100; i >= 1; i-- {
		tb.RawSetInt(i, LNumber(i))
	}
	if len(tb.array) != 100 || len(tb.dict) != 0 {
		t.Fatalf("array %d dict %d, want 100 and 0", len(tb.array), len(tb.dict))
	}
}

// BenchmarkTableSeqFillRead is the sequential t[i]=i fill then sum; run it on
// pristine v1.1.2 and on this patch set in one session to compare.
func BenchmarkTableSeqFillRead(b *testing.B) {
	for _, n := range []int{1000, 100000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			L := NewState()
			defer L.Close()
			fn, err := L.LoadString(`local n = ... local t = {} for i = 1, n do t[i] = i end local s = 0 for i = 1, n do s = s + t[i] end return s`)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				L.Push(fn)
				L.Push(LNumber(n))
				L.Call(1, 1)
				L.Pop(1)
			}
			// process CPU time per op: less sensitive to a loaded machine than ns/op
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// A queue (push at the end, pop at the front) keeps O(live) memory: the
// array part is cut when at most half of it is used, and deleted keys leave
// the iteration order (v1.1.2 kept both forever).
func TestPatchTableQueueStaysSmall(t *testing.T) {
	L := NewState()
	defer L.Close()
	if err := L.DoString(`
		q = {first = 1, last = 0}
		local sum = 0
		for i = 1, 200000 do
			q.last = q.last + 1; q[q.last] = i
			if q.last - q.first >= 10 then sum = sum + q[q.first]; q[q.first] = nil; q.first = q.first + 1 end
		end
		local n = 0
		for k, v in pairs(q) do n = n + 1 end
		assert(n == 2 + 10, n)
		for i = q.first, q.last do assert(q[i] == i) end
		seen = {}
		for i = 1, 100000 do seen["k" .. i] = true; seen["k" .. (i - 5)] = nil end
		n = 0
		for k in pairs(seen) do n = n + 1 end
		assert(n == 5, n)`); err != nil {
		t.Fatal(err)
	}
	q := L.GetGlobal("q").(*LTable)
	seen := L.GetGlobal("seen").(*LTable)
	if size := cap(q.array) + len(q.keys); size > 1000 {
		t.Errorf("queue table holds %d slots for 12 keys", size)
	}
	if size := len(seen.keys); size > 1000 {
		t.Errorf("set table keeps %d keys in its order for 5 live keys", size)
	}
}
