package lua

import (
	"context"
	"fmt"
	"testing"

	"github.com/flashemu/flashemu/faults"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
				prog, err := CompileString("rb.lua", fmt.Sprintf(rollbackScript, tc.top, tc.check))
				require.NoError(t, err)
				s, err := LoadSweeps(context.Background(), prog, Options{})
				require.NoError(t, err)
				defer s.Close()
				b, err := s.BindSweep(context.Background(), s.Sweep("rb"), SweepConfig{})
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
