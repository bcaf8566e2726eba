package lua

import (
	"context"
	"testing"
	"time"

	"github.com/flashemu/flashemu/devspec"
	"github.com/flashemu/flashemu/emu"
	glua "github.com/yuin/gopher-lua"
)

// The binding's cost: a Lua loop of dev:write(off, 16 bytes) + dev:read(off,
// 16) against the same loop calling empty Go methods with the same shape.
// Each op in ns/op is one loop iteration (one write and one read).

const bindingLoop = `
local dev, n = ...
local data = ("0123456789abcdef")
for i = 1, n do
  local off = (i % 1024) * 16
  dev:write(off, data)
  dev:read(off, 16)
end`

// emptyMethods is userdata whose write and read do nothing.
var emptyType = &udType{name: "flashemu.bench_empty", short: "bench_empty"}

func init() {
	emptyType.methods = []fnDef{
		{"write", "", "", func(s *State, L *glua.LState) int { return 0 }},
		{"read", "", "", func(s *State, L *glua.LState) int { return 0 }},
	}
	registerType(emptyType)
}

// loopTime runs the loop n times over obj(s) in a fresh state.
func loopTime(b *testing.B, n int, target func(s *State) glua.LValue) time.Duration {
	return loopTimeOpts(b, n, target, Options{})
}

func loopTimeOpts(b *testing.B, n int, target func(s *State) glua.LValue, opts Options) time.Duration {
	b.Helper()
	prog, err := CompileString("bench.lua", bindingLoop)
	if err != nil {
		b.Fatal(err)
	}
	s, err := prog.NewState(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	fn := s.L.NewFunctionFromProto(prog.proto)
	obj := target(s)
	start := time.Now()
	if _, err := s.Call(context.Background(), fn, obj, glua.LNumber(n)); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func benchDevice(s *State) glua.LValue {
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 64 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff, Timing: devspec.DefaultTiming(emu.NOR)})
	if err != nil {
		panic(err)
	}
	return s.NewDevice(d)
}

func benchEmpty(s *State) glua.LValue { return s.newUserData(emptyType, struct{}{}) }

// BenchmarkBindingWriteRead measures dev:write + dev:read per iteration.
func BenchmarkBindingWriteRead(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(32)
	b.ResetTimer()
	loopTime(b, b.N, benchDevice)
}

// BenchmarkBindingEmpty is the same loop over empty Go methods.
func BenchmarkBindingEmpty(b *testing.B) {
	b.ReportAllocs()
	b.ResetTimer()
	loopTime(b, b.N, benchEmpty)
}

// BenchmarkBindingNoContext is BenchmarkBindingWriteRead without a
// context (no memory limit, no deadline): gopher-lua then skips its
// per-instruction cancellation check.
func BenchmarkBindingNoContext(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(32)
	b.ResetTimer()
	loopTimeOpts(b, b.N, benchDevice, Options{MemoryLimit: -1})
}

// BenchmarkBindingRatio runs 1,000,000 iterations of both loops in one run
// and reports device/empty (target: at most 3).
func BenchmarkBindingRatio(b *testing.B) {
	const n = 1_000_000
	var dev, empty time.Duration
	for i := 0; i < b.N; i++ {
		dev += loopTime(b, n, benchDevice)
		empty += loopTime(b, n, benchEmpty)
	}
	b.ReportMetric(float64(dev.Nanoseconds())/float64(b.N)/n, "dev-ns/iter")
	b.ReportMetric(float64(empty.Nanoseconds())/float64(b.N)/n, "empty-ns/iter")
	b.ReportMetric(float64(dev)/float64(empty), "ratio")
}

// BenchmarkNewState is the cost of a fresh sandboxed state with every
// module (what the test runner and the sweep engine pay per run).
func BenchmarkNewState(b *testing.B) {
	prog, err := CompileString("empty.lua", "")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s, err := prog.NewState(Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := prog.Run(context.Background(), s); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
