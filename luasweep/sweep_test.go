package luasweep

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/lua"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	glua "github.com/yuin/gopher-lua"
)

// A sweep definition the tests reuse: a byte-per-operation "log" on a
// 1-byte-write NOR. WORKLOAD and CHECK are filled in per test.
const sweepDevice = `function() return flash.nor{size = 8192, sector = 4096, write_block = 1} end`

func TestSweepDefineErrors(t *testing.T) {
	good := func(extra string) string {
		return "sweep.define('s', {device = " + sweepDevice + ", workload = function(dev, ack) end, check = function(dev, acked) end" + extra + "})"
	}
	tests := []struct {
		name, src, want string
	}{
		{"name not a string", "sweep.define(1, {})", `t.lua:1: bad argument #1 to 'define' (string expected, got number)`},
		{"name with a space", "sweep.define('a b', {})", `t.lua:1: bad argument #1 to 'define' (sweep name "a b": use letters, digits, '_', '-' and '.')`},
		{"no spec", "sweep.define('s')", `t.lua:1: bad argument #2 to 'define' (table expected, got no value)`},
		{"missing device", "\nsweep.define('s', {workload = function() end, check = function() end})", `t.lua:2: bad argument #2 to 'define' (field 'device': missing: a function that returns a fresh device)`},
		{"missing workload", "sweep.define('s', {device = " + sweepDevice + ", check = function() end})", `t.lua:1: bad argument #2 to 'define' (field 'workload': missing: a function(dev, ack))`},
		{"missing check", "sweep.define('s', {device = " + sweepDevice + ", workload = function() end})", `t.lua:1: bad argument #2 to 'define' (field 'check': missing: a function(dev, acked))`},
		{"device not a function", "sweep.define('s', {device = 1})", `t.lua:1: bad argument #2 to 'define' (field 'device': function expected, got number)`},
		{"bad cuts", good(", cuts = 'page'"), `t.lua:1: bad argument #2 to 'define' (field 'cuts': "page" is not "op", "unit", "bit" or {every_ns = N})`},
		{"cuts wrong type", good(", cuts = 3"), `t.lua:1: bad argument #2 to 'define' (field 'cuts': "op", "unit", "bit" or {every_ns = N} expected, got number)`},
		{"every_ns zero", good(", cuts = {every_ns = 0}"), `t.lua:1: bad argument #2 to 'define' (field 'cuts': every_ns must be a positive integer (simulated ns between cuts))`},
		{"every_ns unknown key", good(", cuts = {every_ns = 5, ns = 1}"), `t.lua:1: bad argument #2 to 'define' (unknown field 'ns' (known: every_ns))`},
		{"depth zero", good(", depth = 0"), `t.lua:1: bad argument #2 to 'define' (field 'depth': 0 out of range [1, 8])`},
		{"depth fraction", good(", depth = 1.5"), `t.lua:1: bad argument #2 to 'define' (field 'depth': number has no integer representation)`},
		{"negative seed", good(", seed = -1"), `t.lua:1: bad argument #2 to 'define' (field 'seed': -1 is negative)`},
		{"bad model", good(", program_model = 'melt'"), `t.lua:1: bad argument #2 to 'define' (field 'program_model': unknown model "melt" (prefix, scatter, metastable, preprogram, partial))`},
		{"unknown field", good(", cut = 'op'"), `t.lua:1: bad argument #2 to 'define' (unknown field 'cut' (known: check, cuts, depth, device, erase_model, program_model, seed, setup, workload))`},
		{"duplicate", good("") + "\n" + good(""), `t.lua:2: bad argument #1 to 'define' (sweep "s" is already defined at t.lua:1)`},
		{"define after run", good("") + "\nsweep.run('s')\nsweep.define('t', {})", `t.lua:3: sweep.define("t") after sweep.run: define every sweep before the first sweep.run (check states run the script's top level up to its first sweep.run)`},
		{"run unknown", good("") + "\nsweep.run('x')", `t.lua:2: bad argument #1 to 'run' (no sweep named "x" (defined: s))`},
		{"run bad option", good("") + "\nsweep.run('s', {job = 1})", `t.lua:2: bad argument #2 to 'run' (unknown field 'job' (known: dedup, depth, jobs, list, only, seed, shard, shrink, timeout, verify, verify_seed))`},
		{"run bad shard", good("") + "\nsweep.run('s', {shard = '3/2'})", `t.lua:2: bad argument #2 to 'run' (field 'shard': bad shard "3/2": want I/N with 0 <= I < N)`},
		{"run bad id", good("") + "\nsweep.run('s', {only = 'x'})", `t.lua:2: sweep.run("s"): faults: bad branch ID: "x": want NAME:SCHEDULE:SEED`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, luaErr(t, tc.src))
		})
	}
}

func TestSweepDefinitionErrorFromLoad(t *testing.T) {
	prog, err := lua.CompileString("defs.lua", "sweep.define('ok', {device = "+sweepDevice+", workload = function() end, check = function() end})\nsweep.define('bad', {device = 1})\n")
	require.NoError(t, err)
	_, err = Load(context.Background(), prog, lua.Options{})
	var de *DefinitionError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "defs.lua:2: bad argument #2 to 'define' (field 'device': function expected, got number)", de.Error())

	// An ordinary script error is not a definition error.
	prog, err = lua.CompileString("defs.lua", "error('boom')")
	require.NoError(t, err)
	_, err = Load(context.Background(), prog, lua.Options{})
	require.Error(t, err)
	assert.False(t, errors.As(err, &de))
	assert.Equal(t, "defs.lua:1: boom", err.Error())
}

func TestLoadStopsAtFirstRun(t *testing.T) {
	var out bytes.Buffer
	prog, err := lua.CompileString("defs.lua", `
print("top")
sweep.define("a", {device = `+sweepDevice+`, workload = function() end, check = function() end})
sweep.define("b", {device = `+sweepDevice+`, workload = function() end, check = function() end, cuts = "unit", depth = 2, seed = 9})
local ok, r = pcall(sweep.run, "a")  -- the stop is fatal: pcall does not catch it
print("after run", ok)
error("not reached in the definition pass")
`)
	require.NoError(t, err)
	s, err := Load(context.Background(), prog, lua.Options{Stdout: &out})
	require.NoError(t, err)
	defer s.Close()
	defs := Defined(s)
	require.Len(t, defs, 2)
	assert.Equal(t, "a", defs[0].Name)
	assert.Equal(t, "defs.lua:3", defs[0].Where)
	assert.Equal(t, faults.Cuts{Mode: faults.CutOp}, defs[0].Cuts)
	assert.Equal(t, 1, defs[0].Depth)
	assert.Equal(t, uint64(1), defs[0].Seed)
	assert.Equal(t, faults.Cuts{Mode: faults.CutUnit}, defs[1].Cuts)
	assert.Equal(t, 2, defs[1].Depth)
	assert.Equal(t, uint64(9), defs[1].Seed)
	assert.Equal(t, "top\n", out.String(), "pcall caught the definition-pass stop")
	assert.Nil(t, Find(s, "c"))
}

// contractScript: op k programs byte k (0x00 at offset k) and then acks k.
// The check fails on purpose with what it saw, so that every branch
// reports (#acked, acked values, programmed bytes).
const contractScript = `
local N = 6
sweep.define("contract", {
  device = ` + sweepDevice + `,
  setup = function(dev) assert(dev:write(100, "\85")) end,  -- not swept
  workload = function(dev, ack)
    for k = 0, N - 1 do
      assert(dev:write(k, "\0"))
      ack(k)
    end
  end,
  check = function(dev, acked)
    local b = dev:read(0, N)
    local written = 0
    for i = 1, N do if b:byte(i) == 0 then written = written + 1 end end
    local vals = {}
    for i, v in ipairs(acked) do vals[i] = tostring(v) end
    assert(dev:read(100, 1) == "\85", "setup lost")
    error(("acked=%d values=[%s] written=%d"):format(#acked, table.concat(vals, ","), written), 0)
  end,
})
`

func TestSweepAckedContractAtEveryCut(t *testing.T) {
	prog, err := lua.CompileString("contract.lua", contractScript)
	require.NoError(t, err)
	s, err := Load(context.Background(), prog, lua.Options{})
	require.NoError(t, err)
	defer s.Close()
	b, err := Bind(context.Background(), s, Find(s, "contract"), Config{})
	require.NoError(t, err)
	defer b.Close()
	res, err := faults.Run(context.Background(), b.Sweep, faults.Options{Jobs: 2, NoDedup: true})
	require.NoError(t, err)
	require.Equal(t, 6, res.WorkloadOps)
	require.Equal(t, 13, res.Failed, "every branch reports: before and after each op, and the end")
	end := res.Failures[len(res.Failures)-1]
	require.Equal(t, "contract:end:1", end.ID, "the cut after the workload returned")
	assert.Equal(t, "acked=6 values=[0,1,2,3,4,5] written=6", end.Error, "every value acknowledged, every op done")
	assert.Equal(t, 6, end.Acked)
	assert.Equal(t, 5, b.FirstOp(end.ID), "the end lands after the last operation")
	re := regexp.MustCompile(`^contract:(\d+)([ab]):1$`)
	for _, f := range res.Failures[:len(res.Failures)-1] {
		m := re.FindStringSubmatch(f.ID)
		require.NotNil(t, m, f.ID)
		k, _ := strconv.Atoi(m[1])
		var vals []string
		for i := 0; i < k; i++ {
			vals = append(vals, strconv.Itoa(i))
		}
		written := k // before op k: ops 0..k-1 happened
		if m[2] == "a" {
			written = k + 1 // after op k: it happened, but the ack did not
		}
		assert.Equal(t, fmt.Sprintf("acked=%d values=[%s] written=%d", k, strings.Join(vals, ","), written), f.Error, f.ID)
		assert.Equal(t, k, f.Acked, f.ID)
		assert.Equal(t, k, b.FirstOp(f.ID))
	}
}

func TestSweepAckValuesRoundTrip(t *testing.T) {
	src := `
local want = {
  42, -7, 1.5, "bytes\0\255", true, false,
  {1, 2, {3, "x"}},
  {name = "e", len = 3, tags = {"a", "b"}},
  {},
}
sweep.define("vals", {
  device = ` + sweepDevice + `,
  workload = function(dev, ack)
    for _, v in ipairs(want) do ack(v) end
    assert(dev:write(0, "\0"))
  end,
  check = function(dev, acked)
    local function same(a, b, path)
      if type(a) ~= type(b) then error(path .. ": " .. type(a) .. " vs " .. type(b), 0) end
      if type(a) ~= "table" then
        if a ~= b then error(path .. ": " .. tostring(a) .. " vs " .. tostring(b), 0) end
        return
      end
      for k, v in pairs(a) do same(v, b[k], path .. "." .. tostring(k)) end
      for k in pairs(b) do if a[k] == nil then error(path .. ": extra " .. tostring(k), 0) end end
    end
    if #acked ~= #want then error("got " .. #acked .. " values", 0) end
    same(acked, want, "acked")
    acked[7][1] = 99 -- tables are fresh per check: this must not leak
  end,
})
local r = sweep.run("vals", {jobs = 1})
assert(r.ok, r.failures[1] and r.failures[1].error)
assert(r.checked == 2 and r.acked == 9, r.checked)
`
	_, err := runLua(t, lua.Options{}, src)
	require.NoError(t, err)

	assert.Equal(t, `t.lua:4: bad argument #1 to 'ack' (cannot acknowledge a function (only nil, booleans, numbers, strings and tables of them))`,
		luaErr(t, `sweep.define("f", {device = `+sweepDevice+`,
  workload = function(dev, ack)
    assert(dev:write(0, "\0"))
    ack(print)
  end, check = function() end})
sweep.run("f")`)[len("t.lua:6: sweep.run(\"f\"): workload: "):])
}

func TestAckConversion(t *testing.T) {
	L := glua.NewState()
	defer L.Close()
	cyc := L.NewTable()
	cyc.RawSetString("self", cyc)
	mixed := L.NewTable()
	mixed.RawSetInt(1, glua.LNumber(1))
	mixed.RawSetInt(5, glua.LNumber(5))
	tests := []struct {
		name string
		in   glua.LValue
		want any
		err  string
	}{
		{"nil", glua.LNil, nil, ""},
		{"int", glua.LNumber(7), int64(7), ""},
		{"negative int", glua.LNumber(-3), int64(-3), ""},
		{"float", glua.LNumber(0.25), 0.25, ""},
		{"huge float", glua.LNumber(1e300), 1e300, ""},
		{"string", glua.LString("a\x00b"), "a\x00b", ""},
		{"bool", glua.LTrue, true, ""},
		{"sparse keys", mixed, nil, "a table must be a sequence 1..n or have string keys only"},
		{"cycle", cyc, nil, "table nested deeper than 32 levels (a cycle?)"},
		{"function", L.NewFunction(func(*glua.LState) int { return 0 }), nil, "cannot acknowledge a function"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ackToGo(tc.in)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
			back, err := ackToGo(goToLua(L, got))
			require.NoError(t, err)
			assert.Equal(t, got, back)
		})
	}
}

// brokenLogScript acknowledges a value before its commit byte: exactly the
// cut before each commit loses an acknowledged value.
const brokenLogScript = `
sweep.define("early", {
  device = ` + sweepDevice + `,
  workload = function(dev, ack)
    for i = 0, 2 do
      assert(dev:write(2 * i, string.char(i)))
      ack(i)                                -- BUG: before the commit
      assert(dev:write(2 * i + 1, "\0"))
    end
  end,
  check = function(dev, acked)
    local b = dev:read(0, 6)
    for _, i in ipairs(acked) do
      if b:byte(2 * i + 2) ~= 0 then error(("value %d acked but not committed"):format(i)) end
    end
  end,
  seed = 7,
})
`

func TestSweepRunFindsBrokenLogAndReplays(t *testing.T) {
	src := brokenLogScript + `
local r = sweep.run("early", {list = true})
assert(not r.ok and r.failed == 3 and r.workload_ops == 6 and r.branches == 13 and r.deduped == 3, r.failed .. " " .. r.branches .. " " .. r.deduped)
local ids = {}
for _, f in ipairs(r.failures) do ids[#ids + 1] = f.id .. "@" .. f.op .. "=" .. f.error end
print(table.concat(ids, "\n"))
local verdicts = {}
for _, b in ipairs(r.list) do verdicts[#verdicts + 1] = b.id .. ":" .. b.verdict end
print(#verdicts)
local rep = sweep.run("early", {only = r.failures[2].id})
print(rep.ok, rep.id, rep.acked, rep.op, rep.failed_depth, rep.error)
local pass = sweep.run("early", {only = "early:3a:7"})
print(pass.ok, pass.acked, pass.error)
print(sweep.parse_id("early:41a/3u0v2:9"))
print(table.concat(select(2, sweep.parse_id("early:41a/3u0v2:9")), " "))
print(sweep.parse_id("nope"))
print(table.concat(sweep.list(), ","))
`
	out, err := runLua(t, lua.Options{}, src)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 10, out)
	assert.Equal(t, []string{
		"early:1b:7@1=t.lua:14: value 0 acked but not committed",
		"early:3b:7@3=t.lua:14: value 1 acked but not committed",
		"early:5b:7@5=t.lua:14: value 2 acked but not committed",
		"13",
		"false\tearly:3b:7\t2\t3\t1\tt.lua:14: value 1 acked but not committed",
		"true\t2\tnil",
	}, lines[:6])
	assert.True(t, strings.HasPrefix(lines[6], "early\ttable: "), lines[6])
	assert.True(t, strings.HasSuffix(lines[6], "\t9"), lines[6])
	assert.Equal(t, "41a 3u0v2", lines[7])
	assert.Equal(t, `nil	faults: bad branch ID: "nope": want NAME:SCHEDULE:SEED`, lines[8])
	assert.Equal(t, "early", lines[9])
}

func TestSweepDeterministicAcrossJobsAndShards(t *testing.T) {
	prog, err := lua.CompileString("fcb.lua", benchFCBScript)
	require.NoError(t, err)
	s, err := Load(context.Background(), prog, lua.Options{Args: []string{"40"}})
	require.NoError(t, err)
	defer s.Close()
	run := func(o faults.Options, cuts faults.Cuts) *faults.Result {
		def := *Find(s, "fcb1000")
		def.Cuts = cuts
		b, err := Bind(context.Background(), s, &def, Config{})
		require.NoError(t, err)
		defer b.Close()
		o.ListBranches = true
		r, err := faults.Run(context.Background(), b.Sweep, o)
		require.NoError(t, err)
		return r
	}
	ids := func(r *faults.Result) []string {
		var out []string
		for _, b := range r.List {
			out = append(out, b.ID+" "+b.Verdict+" "+b.DupOf)
		}
		return out
	}
	for _, cuts := range []faults.Cuts{{Mode: faults.CutOp}, {Mode: faults.CutUnit}} {
		one := run(faults.Options{Jobs: 1}, cuts)
		two := run(faults.Options{Jobs: 2}, cuts)
		assert.Equal(t, ids(one), ids(two), "cuts %s", cuts)
		assert.Equal(t, one.Failures, two.Failures)
		var union []string
		checked := 0
		for i := 0; i < 3; i++ {
			r := run(faults.Options{Jobs: 2, Shard: faults.Shard{Index: i, Total: 3}}, cuts)
			checked += r.Checked
			for _, b := range r.List {
				if b.Verdict != "dup" {
					union = append(union, b.ID+" "+b.Verdict)
				}
			}
		}
		var whole []string
		for _, b := range one.List {
			if b.Verdict != "dup" {
				whole = append(whole, b.ID+" "+b.Verdict)
			}
		}
		assert.ElementsMatch(t, whole, union, "cuts %s: union of shards = whole", cuts)
		assert.Equal(t, one.Checked, checked)
	}
}

func TestSweepInTestFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "early_test.lua")
	require.NoError(t, os.WriteFile(file, []byte(brokenLogScript+`
describe("the early-ack log", function()
  it("fails exactly at the cuts before each commit", function()
    local r = sweep.run("early")
    expect(r.failed):eq(3)
    expect(r.failures[1].id):eq("early:1b:7")
  end)
  it("replays one branch", function()
    local r = sweep.run("early", {only = "early:5b:7"})
    expect(r.ok):eq(false)
    expect(r.acked):eq(3)
  end)
end)
`), 0o644))
	// Each test in a fresh test-mode state, as luatest runs them.
	prog, err := lua.Compile(file)
	require.NoError(t, err)
	for i, name := range []string{"the_early-ack_log/fails_exactly_at_the_cuts_before_each_commit", "the_early-ack_log/replays_one_branch"} {
		var out bytes.Buffer
		s, err := prog.NewState(lua.Options{TestMode: true, Stdout: &out})
		require.NoError(t, err)
		_, err = prog.Run(context.Background(), s)
		require.NoError(t, err)
		require.Equal(t, name, s.TestNames()[i])
		o := s.RunTest(context.Background(), i)
		assert.Nil(t, o.Err, "%s: %v %s", name, o.Err, out.String())
		assert.False(t, o.Skipped, name)
		s.Close()
	}
}

func TestSweepCheckMustBeAtTopLevel(t *testing.T) {
	src := `
-- it() runs its body at once in a plain run, but only collects in the
-- check states (test mode): the definition is not at the top level.
it("defines", function()
  sweep.define("hidden", {device = ` + sweepDevice + `,
    workload = function(dev) assert(dev:write(0, "\0")) end, check = function() end})
end)
sweep.run("hidden")
`
	prog, err := lua.CompileString("hidden.lua", src)
	require.NoError(t, err)
	err = prog.Exec(context.Background(), lua.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `hidden.lua:8: sweep.run("hidden"): check factory: check state: hidden.lua does not define sweep "hidden" at its top level`)
}

func TestSweepCheckReturningFalseFails(t *testing.T) {
	out, err := runLua(t, lua.Options{}, `
sweep.define("f", {device = `+sweepDevice+`,
  workload = function(dev) assert(dev:write(0, "\0")) end,
  check = function(dev, acked)
    return dev:read(0, 1) ~= "\0", "byte 0 written"
  end})
local r = sweep.run("f", {jobs = 1})
for _, f in ipairs(r.failures) do print(f.id, f.error) end
`)
	require.NoError(t, err)
	assert.Equal(t, "f:0a:1\tt.lua:4: check returned false: byte 0 written\n", out)
}

func TestSweepWorkloadErrors(t *testing.T) {
	tests := []struct{ name, spec, want string }{
		{"workload raises", `device = ` + sweepDevice + `, workload = function() error("no flash") end, check = function() end`,
			`t.lua:2: sweep.run("w"): workload: t.lua:1: no flash`},
		{"device returns nothing", `device = function() end, workload = function() end, check = function() end`,
			`t.lua:2: sweep.run("w"): device: t.lua:1: device() returned nil, want a device (flash.nor{...}, flash.chip(...))`},
		{"device reused", `device = (function() local d = flash.nor{size = 8192, sector = 4096}; return function() return d end end)(),
  workload = function(dev) assert(dev:write(0, "\0")) end, check = function() end`, ""},
		{"setup raises", `device = ` + sweepDevice + `, setup = function() error("setup broke") end, workload = function() end, check = function() end`,
			`t.lua:2: sweep.run("w"): setup: t.lua:1: setup broke`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := "sweep.define('w', {" + tc.spec + "})\nsweep.run('w')\nsweep.run('w', {only = 'w:0a:1'})"
			_, err := runLua(t, lua.Options{}, src)
			if tc.want == "" {
				// The engine makes a device per run: a reused one (here made at
				// the top level, which the rollback before each run does not
				// remake) is refused on the replay.
				require.Error(t, err)
				assert.Contains(t, err.Error(), "device() returned a device it returned before")
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.want, err.Error())
		})
	}
}

func TestSweepInStateWithoutProgram(t *testing.T) {
	// The REPL's state has no compiled program: checks run in the state
	// itself, one at a time.
	s, err := lua.NewState(lua.Options{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.DoString(context.Background(), "repl", brokenLogScript+`
R = sweep.run("early", {jobs = 2})`)
	require.NoError(t, err)
	r := s.Global("R").(*glua.LTable)
	assert.Equal(t, glua.LNumber(3), r.RawGetString("failed"))
	assert.Equal(t, glua.LNumber(1), r.RawGetString("jobs"))
}

func TestSweepTimeCutsMapToOperations(t *testing.T) {
	out, err := runLua(t, lua.Options{}, `
sweep.define("t", {device = `+sweepDevice+`,
  workload = function(dev, ack)
    for k = 0, 3 do assert(dev:write(k, "\0")) ack(k) end
  end,
  check = function(dev, acked) error(#acked .. "", 0) end,
  cuts = {every_ns = 1500}})
local r = sweep.run("t", {jobs = 1})
for _, f in ipairs(r.failures) do print(f.id, f.op, f.error) end
`)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.NotEmpty(t, lines)
	require.Equal(t, "t:end:1\t3\t4", lines[len(lines)-1], "the cut after the workload returned: after op 3, all 4 acked")
	lines = lines[:len(lines)-1]
	prevOp := -1
	for _, l := range lines {
		parts := strings.Split(l, "\t")
		require.Len(t, parts, 3, l)
		assert.Regexp(t, `^t:t\d+:1$`, parts[0])
		op, _ := strconv.Atoi(parts[1])
		acked, _ := strconv.Atoi(parts[2])
		assert.GreaterOrEqual(t, op, prevOp, "time cuts are in time order")
		assert.LessOrEqual(t, acked, op+1)
		prevOp = op
	}
	assert.LessOrEqual(t, prevOp, 3)
}

func TestBindNeedsProgram(t *testing.T) {
	s, err := lua.NewState(lua.Options{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.DoString(context.Background(), "x", "sweep.define('a', {device = "+sweepDevice+", workload = function() end, check = function() end})")
	require.NoError(t, err)
	_, err = Bind(context.Background(), s, Find(s, "a"), Config{})
	require.ErrorIs(t, err, faults.ErrBadSweep)
}

func TestSweepDepthTwoCutsTheRecovery(t *testing.T) {
	// The check's recovery writes a two-byte boot record non-atomically: a
	// cut between its two writes is only found at depth 2.
	out, err := runLua(t, lua.Options{}, `
sweep.define("boot", {
  device = `+sweepDevice+`,
  workload = function(dev, ack) assert(dev:write(0, "\0")) ack(1) end,
  check = function(dev, acked)
    local b = dev:read(10, 2)
    if b == "\0\255" then error("half-written boot record", 0) end
    if b == "\255\255" then
      assert(dev:write(10, "\0"))
      assert(dev:write(11, "\0"))
    end
  end,
})
local one = sweep.run("boot")
print(one.ok, one.depth, #one.levels)
local two = sweep.run("boot", {depth = 2, jobs = 2})
print(two.ok, two.depth, #two.levels, two.levels[2].failed, two.deduped > 0)
for _, f in ipairs(two.failures) do print(f.id, f.depth, f.error) end
local rep = sweep.run("boot", {only = two.failures[1].id})
print(rep.ok, rep.failed_depth, rep.error)
`)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.GreaterOrEqual(t, len(lines), 4, out)
	assert.Equal(t, "true\t1\t1", lines[0])
	assert.Equal(t, "false\t2\t2\t"+strconv.Itoa(len(lines)-3)+"\ttrue", lines[1])
	for _, l := range lines[2 : len(lines)-1] {
		assert.Regexp(t, `^boot:(0[ab]|end)/0a:1\t2\thalf-written boot record$`, l)
	}
	assert.Equal(t, "false\t2\thalf-written boot record", lines[len(lines)-1])
}

// isolationScript's checks each fail unless they run in the script's
// pristine top-level state: one mutates a global, one a top-level local
// the check closes over, one package.loaded; the workload mutates them too
// (a replay's check must not see that).
const isolationScript = `
calls = 0
local seen = 0
sweep.define("iso", {device = ` + sweepDevice + `,
  workload = function(dev, ack)
    calls, seen = 100, 100
    package.loaded.marker = true
    for i = 0, 3 do assert(dev:write(i, "\0")); ack(i) end
  end,
  check = function(dev, acked)
    calls = calls + 1
    seen = seen + 1
    assert(calls == 1, "global leaked between checks: calls = " .. calls)
    assert(seen == 1, "upvalue leaked between checks: seen = " .. seen)
    assert(package.loaded.marker == nil, "package.loaded leaked")
    package.loaded.marker = true
  end})
`

// TestSweepCheckIsolation: every check starts from the pristine top-level
// state, with one or two jobs, in shards, with and without dedup, and in a
// replay.
func TestSweepCheckIsolation(t *testing.T) {
	src := isolationScript + `
local total
for _, o in ipairs{{jobs = 1}, {jobs = 2}, {jobs = 1, dedup = false}, {jobs = 2, dedup = false},
                   {jobs = 2, shard = "0/2"}, {jobs = 2, shard = "1/2"}} do
  local r = sweep.run("iso", o)
  for _, f in ipairs(r.failures) do print(f.id, f.error) end
  assert(r.checked > 1, "only " .. r.checked .. " checks")
  print(r.ok)
end
local rep = sweep.run("iso", {only = "iso:2a:1"})
print(rep.ok, rep.error)
`
	prog, err := lua.CompileString("iso.lua", src)
	require.NoError(t, err)
	var out bytes.Buffer
	err = prog.Exec(context.Background(), lua.Options{Stdout: &out})
	require.NoError(t, err, out.String())
	assert.Equal(t, strings.Repeat("true\n", 6)+"true\tnil\n", out.String())
}

// TestSweepCheckNilMessageFails: a check returning nil, msg (the device
// bindings' failure convention) fails with that message.
func TestSweepCheckNilMessageFails(t *testing.T) {
	out, err := runLua(t, lua.Options{}, `
sweep.define("n", {device = `+sweepDevice+`,
  workload = function(dev) assert(dev:write(0, "\0")) end,
  check = function(dev, acked)
    if dev:read(0, 1) == "\0" then return nil, "byte 0 written", -5 end
    return nil
  end})
local r = sweep.run("n", {jobs = 1})
for _, f in ipairs(r.failures) do print(f.id, f.error) end
`)
	require.NoError(t, err)
	assert.Equal(t, "n:0a:1\tt.lua:4: check returned nil: byte 0 written\n", out)
}

// TestSweepCheckTimeout: sweep.run's timeout bounds each check; a check
// that hangs fails its branch and the sweep goes on.
func TestSweepCheckTimeout(t *testing.T) {
	prog, err := lua.CompileString("hang.lua", `
sweep.define("h", {device = `+sweepDevice+`,
  workload = function(dev, ack) assert(dev:write(0, "\0")); ack(0); assert(dev:write(1, "\0")) end,
  check = function(dev, acked)
    if #acked == 1 and dev:read(1, 1) ~= "\0" then while true do end end
  end})
local r = sweep.run("h", {jobs = 2, timeout = "200ms"})
for _, f in ipairs(r.failures) do print(f.id, f.error) end
print(r.checked, r.failed)
`)
	require.NoError(t, err)
	var out bytes.Buffer
	err = prog.Exec(context.Background(), lua.Options{Stdout: &out})
	require.NoError(t, err, out.String())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.NotEmpty(t, lines)
	assert.Equal(t, []string{"h:1b:1\tfaults: timed out: check timed out after 200ms (stopped at hang.lua:5: timeout)", "4\t1"}, lines)
}

// TestSweepRunVerify: verify = true replays every branch alone and finds
// no disagreement for a deterministic check; verify = N samples N.
func TestSweepRunVerify(t *testing.T) {
	out, err := runLua(t, lua.Options{}, brokenLogScript+`
local r = sweep.run("early", {jobs = 2, verify = true})
print(r.failed, r.verify.ok, r.verify.replayed, #r.verify.disagreements, r.ok)
local s = sweep.run("early", {jobs = 1, verify = 3, verify_seed = 5})
print(s.verify.replayed, s.verify.sample, s.verify.seed)
print(pcall(sweep.run, "early", {verify = "yes"}))
`)
	require.NoError(t, err)
	assert.Equal(t, "3\ttrue\t13\t0\tfalse\n3\t3\t5\n"+
		"false\tt.lua:24: bad argument #2 to 'run' (field 'verify': string, want true or a sample size)\n", out)
}

// TestSweepRunInsideCheck: a check calling sweep.run fails its branch
// with a message saying so (not the definition pass's internal stop).
func TestSweepRunInsideCheck(t *testing.T) {
	out, err := runLua(t, lua.Options{}, `
sweep.define("d", {device = `+sweepDevice+`,
  workload = function(dev) assert(dev:write(0, "\0")) end,
  check = function(dev, acked) sweep.run("d") end})
local r = sweep.run("d", {jobs = 1})
for _, f in ipairs(r.failures) do print(f.id, f.error) end
`)
	require.NoError(t, err)
	want := "t.lua:4: sweep.run(\"d\") inside a sweep's check: a check cannot run a sweep (call sweep.run at the script's top level or in a test)"
	assert.Equal(t, "d:0b:1\t"+want+"\nd:0a:1\t"+want+"\n", out)
}

// TestSweepCheckErrorNilHasLocation: error(nil) in a check is reported
// with a file:line, not a bare "nil".
func TestSweepCheckErrorNilHasLocation(t *testing.T) {
	out, err := runLua(t, lua.Options{}, `
sweep.define("d", {device = `+sweepDevice+`,
  workload = function(dev) assert(dev:write(0, "\0")) end,
  check = function(dev, acked)
    error(nil)
  end})
local r = sweep.run("d", {jobs = 1})
for _, f in ipairs(r.failures) do print(f.id, f.error) end
`)
	require.NoError(t, err)
	assert.Equal(t, "d:0b:1\tt.lua:5: error(nil) raised in the check\nd:0a:1\tt.lua:5: error(nil) raised in the check\n", out)
}
