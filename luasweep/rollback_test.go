package luasweep

import (
	"context"
	"fmt"
	"testing"

	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/lua"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	glua "github.com/yuin/gopher-lua"
)

// rollbackScript's check fails unless it starts from the pristine top-level
// state, and it changes everything a check can reach: globals, top-level
// tables (array, hash, metatable), a top-level local, math.random's
// generator, the string metatable and a device made at the top level.
// EXTRA is replaced by each case's additional top-level code and check code.
const rollbackScript = `
calls = 0
local seen = 0
local list = {1, 2, 3}
local cfg = {mode = "a"}
local golden = flash.nor{size = 4096, sector = 4096, write_block = 1}
math.randomseed(7)
local first = math.random(1e6)
math.randomseed(7)
%s
sweep.define("rb", {device = function() return flash.nor{size = 8192, sector = 4096, write_block = 1} end,
  workload = function(dev, ack)
    for i = 0, 3 do assert(dev:write(i, "\0")); ack(i) end
  end,
  check = function(dev, acked)
    calls = calls + 1; seen = seen + 1
    assert(calls == 1 and seen == 1, "leaked: calls " .. calls .. ", seen " .. seen)
    assert(#list == 3 and list[4] == nil and getmetatable(list) == nil, "list leaked")
    assert(cfg.mode == "a" and cfg.extra == nil, "cfg leaked")
    assert(string.leak == nil, "string metatable leaked")
    assert(math.random(1e6) == first, "math.random leaked")
    assert(golden:read(0, 1) == "\255", "top-level device leaked")
    list[4] = 4; table.remove(list, 1); setmetatable(list, {}); cfg.mode = "b"; cfg.extra = 1
    string.leak = true
    assert(golden:write(0, "\0"))
    %s
  end})
`

// TestSweepCheckRollback: checks run in one state per worker, rolled back
// to the pristine top level after each check; what cannot be rolled back
// (an FCB made at the top level, a top-level coroutine resumed by a check)
// falls back to a new state per check, equally pristine.
func TestSweepCheckRollback(t *testing.T) {
	for _, tc := range []struct {
		name, top, check string
		reuse            bool
	}{
		{name: "plain", reuse: true},
		{name: "top-level fcb", top: `local log = assert(fcb.new(flash.nor{size = 8192, sector = 4096, write_block = 1}:area{label = "s", offset = 0, size = 8192}, {magic = 1}))`,
			check: `assert(log:push("x"))`},
		{name: "top-level coroutine", top: `local gen = coroutine.wrap(function() local n = 0 while true do n = n + 1 coroutine.yield(n) end end)`,
			check: `assert(gen() == 1, "coroutine leaked")`},
		{name: "coroutine made in the check", check: `local co = coroutine.wrap(function() coroutine.yield(1) end) co()`, reuse: true},
	} {
		for _, jobs := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/jobs=%d", tc.name, jobs), func(t *testing.T) {
				prog, err := lua.CompileString("rb.lua", fmt.Sprintf(rollbackScript, tc.top, tc.check))
				require.NoError(t, err)
				s, err := Load(context.Background(), prog, lua.Options{})
				require.NoError(t, err)
				defer s.Close()
				b, err := Bind(context.Background(), s, Find(s, "rb"), Config{})
				require.NoError(t, err)
				defer b.Close()
				r, err := faults.Run(context.Background(), b.Sweep, faults.Options{Jobs: jobs, NoDedup: true})
				require.NoError(t, err)
				assert.True(t, r.OK(), "%v", r.Failures)
				require.Greater(t, r.Checked, 4)
				made := b.checkStates.Load()
				if tc.reuse {
					assert.LessOrEqual(t, made, int64(jobs), "checked %d branches with %d states: rollback not used", r.Checked, made)
				} else {
					assert.GreaterOrEqual(t, made, int64(r.Checked), "checked %d branches with %d states: a state that cannot be rolled back was reused", r.Checked, made)
				}
			})
		}
	}
}

// TestSweepReplIsolation: in a state without a compiled program (the
// REPL), sweep.run runs the checks in the state itself, each rolled back
// to the state sweep.run was called in, and leaves that state as it found
// it; where it cannot checkpoint, the result says isolated = false.
func TestSweepReplIsolation(t *testing.T) {
	s, err := lua.NewState(lua.Options{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.DoString(context.Background(), "repl", isolationScript+`
local golden = flash.nor{size = 4096, sector = 4096, write_block = 1}
local before = calls
R = sweep.run("iso", {})
assert(calls == before and seen == 0, "sweep.run changed the caller's state")
assert(package.loaded.marker == nil, "package.loaded changed")
R1 = sweep.run("iso", {only = "iso:2a:1"})
`)
	require.NoError(t, err)
	r := s.Global("R").(*glua.LTable)
	assert.Equal(t, glua.LTrue, r.RawGetString("ok"), "failures: %v", s.ToString(r.RawGetString("failures")))
	assert.Equal(t, glua.LTrue, r.RawGetString("isolated"))
	assert.Greater(t, int(r.RawGetString("checked").(glua.LNumber)), 1)
	assert.Equal(t, glua.LTrue, s.Global("R1").(*glua.LTable).RawGetString("ok"), "%v", s.Global("R1").(*glua.LTable).RawGetString("error"))

	// An FCB object made before sweep.run cannot be rolled back: the checks
	// run unisolated, and the result says so.
	_, err = s.DoString(context.Background(), "repl2", `
local keep = assert(fcb.new(flash.nor{size = 8192, sector = 4096, write_block = 1}:area{label = "x", offset = 0, size = 8192}, {magic = 1}))
R2 = sweep.run("iso", {})`)
	require.NoError(t, err)
	r2 := s.Global("R2").(*glua.LTable)
	assert.Equal(t, glua.LFalse, r2.RawGetString("isolated"))
	assert.Equal(t, glua.LFalse, r2.RawGetString("ok"), "unisolated checks leak: the isolation script must fail")
}

// TestSweepWorkloadTimeout: sweep.run's timeout bounds the workload too, in
// the defining state (a nested call with no deadline of its own); the
// error names where the workload was stopped, and the state goes on.
func TestSweepWorkloadTimeout(t *testing.T) {
	out, err := runLua(t, lua.Options{}, `
sweep.define("w", {device = function() return flash.nor{size = 4096, sector = 4096} end,
  workload = function(dev, ack)
    while true do end
  end,
  check = function() end})
print(pcall(sweep.run, "w", {timeout = "200ms"}))
print("still here")`)
	require.NoError(t, err)
	assert.Regexp(t, `^false\t.*workload timed out after 200ms \(stopped at t.lua:4: timeout\)\nstill here\n$`, out)
}

// TestSweepVerifyReusesCheckStates: a --verify run asks the engine for a
// check once per replayed branch; the states stay pooled, so the number
// made is bounded by the checks running at once, not by the branches
// (a state per replay grew the heap past the 1 GiB limit on a full verify).
func TestSweepVerifyReusesCheckStates(t *testing.T) {
	prog, err := lua.CompileString("rb.lua", fmt.Sprintf(rollbackScript, "", ""))
	require.NoError(t, err)
	s, err := Load(context.Background(), prog, lua.Options{})
	require.NoError(t, err)
	defer s.Close()
	b, err := Bind(context.Background(), s, Find(s, "rb"), Config{})
	require.NoError(t, err)
	defer b.Close()
	vr, err := faults.Verify(context.Background(), b.Sweep, faults.Options{Jobs: 2, NoDedup: true}, faults.VerifyOptions{Jobs: 2})
	require.NoError(t, err)
	require.True(t, vr.OK(), "%v", vr.Disagreements)
	require.Greater(t, vr.Replayed, 4)
	assert.LessOrEqual(t, b.checkStates.Load(), int64(4), "states made for %d replays", vr.Replayed)
}
