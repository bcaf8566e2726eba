package luasweep

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/lua"
	"github.com/stretchr/testify/require"
)

// benchFCBScript is the Lua twin of faults' BenchmarkSweepFCBOp scenario:
// an FCB on a 32 KiB nRF52840-like flash (8 sectors), ENTRIES pushes of
// "entry-NNNNN" + CRC32 (about 3 operations each), each acknowledged; the
// check mounts (fcb_init), walks every entry, verifies its CRC32 and that
// every acknowledged entry is there.
const benchFCBScript = `
local ENTRIES = tonumber(arg[1]) or 330
local WALK = arg[2] or "entries" -- how the check walks: entries, walk or scan
local function u32le(n)
  return string.char(n % 256, math.floor(n / 256) % 256, math.floor(n / 65536) % 256, math.floor(n / 16777216) % 256)
end
local OPTS = {magic = 0x12345678, version = 1}
local function area(dev) return dev:area{label = "storage", offset = 0, size = 32 * 1024} end
sweep.define("fcb1000", {
  device = function() return flash.chip("nrf52840", {size = 32 * 1024, seed = 1}) end,
  workload = function(dev, ack)
    local log = assert(fcb.new(area(dev), OPTS))
    for i = 0, ENTRIES - 1 do
      local body = ("entry-%05d"):format(i)
      assert(log:push(body .. u32le(check.crc32(body))))
      ack(i)
    end
  end,
  check = function(dev, acked)
    local log, msg = fcb.new(area(dev), OPTS)
    if not log then error("fcb_init: " .. msg) end
    local seen = {}
    local function entry(data, area_off)
      local body = data:sub(1, -5)
      if u32le(check.crc32(body)) ~= data:sub(-4) then
        error(("entry at %d: CRC32 mismatch"):format(area_off))
      end
      local i = tonumber(body:sub(7))
      if i then seen[i] = true end
    end
    if WALK == "scan" then
      assert(log:scan(function(data, sector, elem_off, area_off) entry(data, area_off) end))
    elseif WALK == "walk" then
      assert(log:walk(function(e) entry(e.data, e.area_off) end))
    else
      for e in log:entries() do entry(e.data, e.area_off) end
    end
    for _, i in ipairs(acked) do
      if not seen[i] then error(("acked entry %d missing (%d acked)"):format(i, #acked)) end
    end
  end,
  seed = 1,
})
`

// benchSweep compiles the FCB scenario and binds it.
func benchSweep(tb testing.TB, entries string, walk ...string) (*Binding, func()) {
	prog, err := lua.CompileString("bench_fcb.lua", benchFCBScript)
	require.NoError(tb, err)
	s, err := Load(context.Background(), prog, lua.Options{Args: append([]string{entries}, walk...)})
	require.NoError(tb, err)
	b, err := Bind(context.Background(), s, Find(s, "fcb1000"), Config{})
	require.NoError(tb, err)
	return b, func() { b.Close(); s.Close() }
}

// BenchmarkSweepLuaFCBOp is the Lua-level single-cut op sweep of the FCB
// scenario (~1,000 operations; fcb_init + full walk + CRC32 checks per
// branch) with 1 and 2 jobs. Metrics: branches/s, cpu-ns/branch (process
// CPU time per checked branch), overhead = sweep wall ÷ (recording workload
// + sum of checks), and the operation count. The check walks with
// log:entries() (jobs=N), log:walk(fn) (walk/jobs=N) or the allocation-light
// log:scan(fn) (scan/jobs=N).
func BenchmarkSweepLuaFCBOp(b *testing.B) {
	for _, walk := range []string{"entries", "walk", "scan"} {
		for _, jobs := range []int{1, 2} {
			name := fmt.Sprintf("jobs=%d", jobs)
			if walk != "entries" {
				name = walk + "/" + name
			}
			b.Run(name, func(b *testing.B) { benchSweepOp(b, walk, jobs) })
		}
	}
}

func benchSweepOp(b *testing.B, walk string, jobs int) {
	bd, done := benchSweep(b, "330", walk)
	defer done()
	b.ReportAllocs()
	var wall, work, checked, cpu int64
	var r *faults.Result
	for b.Loop() {
		var err error
		c0 := processCPUNs()
		r, err = faults.Run(context.Background(), bd.Sweep, faults.Options{Jobs: jobs})
		cpu += processCPUNs() - c0
		require.NoError(b, err)
		require.True(b, r.OK(), "%v", r.Failures)
		wall += r.WallNs
		work += r.RecordNs + r.CheckNs
		checked += int64(r.Checked)
	}
	b.ReportMetric(float64(checked)/(float64(wall)/1e9), "branches/s")
	// CPU per branch (whole process: checks, recording, GC) does
	// not depend on what else the machine runs.
	b.ReportMetric(float64(cpu)/float64(checked), "cpu-ns/branch")
	b.ReportMetric(float64(wall)/float64(work), "overhead")
	b.ReportMetric(float64(r.WorkloadOps), "ops")
	b.ReportMetric(float64(r.Checked), "checked")
}

// BenchmarkSweepLuaFCBSpeedup runs the sweep with 1 and 2 jobs alternately
// and reports the 2-job speed-up of the wall time.
func BenchmarkSweepLuaFCBSpeedup(b *testing.B) {
	bd, done := benchSweep(b, "330")
	defer done()
	var one, two time.Duration
	for b.Loop() {
		for _, jobs := range []int{1, 2} {
			r, err := faults.Run(context.Background(), bd.Sweep, faults.Options{Jobs: jobs})
			require.NoError(b, err)
			if jobs == 1 {
				one += time.Duration(r.WallNs)
			} else {
				two += time.Duration(r.WallNs)
			}
		}
	}
	b.ReportMetric(float64(one)/float64(two), "speedup")
}

// BenchmarkSweepLuaEmptyCheck is the same FCB sweep with a check that does
// nothing: the per-branch cost of the binding itself (a device value, the
// acked list, one Lua call) and of the engine (branch device, power-on).
func BenchmarkSweepLuaEmptyCheck(b *testing.B) {
	prog, err := lua.CompileString("bench_empty.lua", strings.Replace(benchFCBScript, "  check = function(dev, acked)\n", "  check = function(dev, acked) do return end\n", 1))
	require.NoError(b, err)
	s, err := Load(context.Background(), prog, lua.Options{Args: []string{"330"}})
	require.NoError(b, err)
	defer s.Close()
	bd, err := Bind(context.Background(), s, Find(s, "fcb1000"), Config{})
	require.NoError(b, err)
	defer bd.Close()
	b.ReportAllocs()
	var wall, checked, cpu int64
	for b.Loop() {
		c0 := processCPUNs()
		r, err := faults.Run(context.Background(), bd.Sweep, faults.Options{Jobs: 1})
		cpu += processCPUNs() - c0
		require.NoError(b, err)
		wall += r.WallNs
		checked += int64(r.Checked)
	}
	b.ReportMetric(float64(checked)/(float64(wall)/1e9), "branches/s")
	b.ReportMetric(float64(cpu)/float64(checked), "cpu-ns/branch")
}

// BenchmarkCheckLuaWork is the Lua work of BenchmarkSweepLuaFCBOp's check
// without flash, FCB or sweep: the same per-entry code (CRC32 of the body,
// u32le, string.sub, tonumber, the seen table) over 330 entries held in a
// Lua table. It bounds from below what the sweep's check can cost in this
// interpreter: cpu-ns/op here is per check (330 entries).
func BenchmarkCheckLuaWork(b *testing.B) {
	s, err := lua.NewState(lua.Options{})
	require.NoError(b, err)
	defer s.Close()
	_, err = s.DoString(context.Background(), "work.lua", `
local function u32le(n)
  return string.char(n % 256, math.floor(n / 256) % 256, math.floor(n / 65536) % 256, math.floor(n / 16777216) % 256)
end
local entries = {}
for i = 0, 329 do
  local body = ("entry-%05d"):format(i)
  entries[#entries + 1] = body .. u32le(check.crc32(body))
end
function work()
  local seen = {}
  for _, data in ipairs(entries) do
    local body = data:sub(1, -5)
    if u32le(check.crc32(body)) ~= data:sub(-4) then error("CRC32 mismatch") end
    local i = tonumber(body:sub(7))
    if i then seen[i] = true end
  end
  for i = 0, 329 do if not seen[i] then error("missing " .. i) end end
end`)
	require.NoError(b, err)
	fn := s.Global("work")
	b.ReportAllocs()
	c0 := processCPUNs()
	for b.Loop() {
		_, err := s.Call(context.Background(), fn)
		require.NoError(b, err)
	}
	b.ReportMetric(float64(processCPUNs()-c0)/float64(b.N), "cpu-ns/op")
}
