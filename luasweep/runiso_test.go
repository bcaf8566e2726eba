package luasweep

import (
	"context"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/lua"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	glua "github.com/yuin/gopher-lua"
)

// randomWorkload's verdicts depend on the Lua state its workload starts
// from: it writes (and acknowledges) values drawn from math.random, and a
// check fails wherever a 2 landed. PRELUDE is extra top-level code.
const randomWorkload = `
%s
runs = 0
sweep.define("rnd", {
  device = function() return flash.nor{size = 8192, sector = 4096, write_block = 1} end,
  workload = function(dev, ack)
    runs = runs + 1
    for i = 0, 7 do
      local v = math.random(0, 3)
      assert(dev:write(i, string.char(v)))
      ack(v)
    end
  end,
  check = function(dev, acked)
    local b = dev:read(0, 8)
    for i = 1, 8 do
      if b:byte(i) == 2 then error("two at " .. i) end
    end
  end,
})
sweep.define("after", {
  device = function() return flash.nor{size = 8192, sector = 4096, write_block = 1} end,
  workload = function(dev, ack)
    -- reads what an earlier sweep's workload left in a global
    assert(dev:write(0, string.char(math.fmod(runs, 4))))
    ack(runs)
  end,
  check = function(dev, acked)
    if dev:read(0, 1):byte() == 2 then error("two") end
  end,
})
`

func failureIDs(r *faults.Result) []string {
	var ids []string
	for _, f := range r.Failures {
		ids = append(ids, f.ID+" "+f.Error)
	}
	return ids
}

// TestEveryRunStartsFromTheDefiningState: each run of a sweep's device
// factory, setup and workload (the recording run, every replay, every
// --verify replay, other sweeps run before it) starts from the Lua state
// the definition pass left, so a branch's verdict is a function of its ID.
// Before, math.random and globals carried over from run to run: --verify
// found 7 of 16 verdicts differing and --only passed branches the sweep
// failed.
func TestEveryRunStartsFromTheDefiningState(t *testing.T) {
	for _, tc := range []struct{ name, prelude string }{
		{"rollback", ""},
		// An FCB made at the top level holds Go state a checkpoint cannot
		// restore: each run gets a fresh definition state instead.
		{"fresh state per run", `TOPLOG = assert(fcb.new(flash.nor{size = 8192, sector = 4096}:area{offset = 0, size = 8192}, {magic = 1}))`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			prog, err := lua.CompileString("rnd.lua", strings.Replace(randomWorkload, "%s", tc.prelude, 1))
			require.NoError(t, err)
			ctx := context.Background()
			run := func(s *lua.State, name string) *faults.Result {
				b, err := Bind(ctx, s, Find(s, name), Config{})
				require.NoError(t, err)
				defer b.Close()
				want := runsRollback
				if tc.prelude != "" {
					want = runsFresh
				}
				require.Equal(t, want, b.mode)
				vr, err := faults.Verify(ctx, b.Sweep, faults.Options{Jobs: 2}, faults.VerifyOptions{})
				require.NoError(t, err)
				assert.True(t, vr.OK(), "%s: %d verdicts differ from their lone replays: %+v", name, len(vr.Disagreements), vr.Disagreements)
				return vr.Sweep
			}
			s, err := Load(ctx, prog, lua.Options{})
			require.NoError(t, err)
			defer s.Close()
			first := run(s, "rnd")
			require.NotEmpty(t, first.Failures, "the scenario must fail somewhere")
			again := run(s, "rnd")
			assert.Equal(t, failureIDs(first), failureIDs(again), "a second sweep of the same definition state")
			assert.Equal(t, glua.LNumber(0), s.Global("runs"), "the workloads' changes are undone")
			afterBoth := run(s, "after")

			alone, err := Load(ctx, prog, lua.Options{})
			require.NoError(t, err)
			defer alone.Close()
			afterAlone := run(alone, "after")
			assert.Equal(t, failureIDs(afterAlone), failureIDs(afterBoth), "a sweep's verdicts do not depend on the sweeps run before it")
		})
	}
}

// TestNestedSweepRunsAreRepeatable: sweep.run from a script (with a
// program, and without: the REPL) gives the same verdicts every time it is
// called, and --verify's replays agree, whatever the workload draws from
// math.random.
func TestNestedSweepRunsAreRepeatable(t *testing.T) {
	script := strings.Replace(randomWorkload, "%s", "", 1) + `
local prev
for round = 1, 3 do
  local r = sweep.run("rnd", {verify = true})
  assert(r.verify.ok, "round " .. round .. ": verify found differing verdicts")
  assert(r.isolated, "round " .. round .. ": not isolated")
  local ids = {}
  for _, f in ipairs(r.failures) do ids[#ids + 1] = f.id end
  local key = table.concat(ids, ",") .. "/" .. r.failed
  if prev then assert(key == prev, "round " .. round .. ": " .. key .. " after " .. prev) end
  prev = key
  local one = sweep.run("rnd", {only = r.failures[1].id})
  assert(not one.ok, r.failures[1].id .. " failed in the sweep but passes alone")
end
assert(runs == 0, "the workloads' changes leak out of sweep.run: runs = " .. runs)
print("ok")
`
	out, err := runLua(t, lua.Options{}, script)
	require.NoError(t, err)
	assert.Equal(t, "ok\n", out)

	s, err := lua.NewState(lua.Options{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.DoString(context.Background(), "repl", script)
	require.NoError(t, err, "without a program (the REPL)")
}

// TestSweepFindsUnflushedStreamWrites: stream_flash buffers writes. A
// workload that flushes every chunk before acknowledging it, except the
// last (written without flush, acknowledged, then the workload returns),
// loses that chunk if power dies after it returns. Only the "end" cut
// (after the workload returned, every value acknowledged) sees that last
// acknowledgement: the sweep used to pass it. Flushing the last chunk too
// passes.
func TestSweepFindsUnflushedStreamWrites(t *testing.T) {
	script := `
local function define(name, flush_last)
  sweep.define(name, {
    device = function() return flash.nor{size = 16384, sector = 4096, write_block = 4} end,
    workload = function(dev, ack)
      local sf = assert(streamflash.new(dev, {buf_len = 512}))
      for i = 0, 2 do
        assert(sf:write(string.rep(string.char(65 + i), 300), i < 2 or flush_last))
        ack(i)
      end
    end,
    check = function(dev, acked)
      for _, i in ipairs(acked) do
        if dev:read(300 * i, 300) ~= string.rep(string.char(65 + i), 300) then
          error("chunk " .. i .. " acknowledged but not on flash", 0)
        end
      end
    end,
  })
end
define("lastbuffered", false)
define("allflushed", true)
local a = sweep.run("lastbuffered", {verify = true})
print(a.ok, a.failed, a.failures[1] and a.failures[1].id, a.failures[1] and a.failures[1].error, a.verify.ok)
local b = sweep.run("allflushed", {verify = true})
print(b.ok, b.failed, b.verify.ok)
`
	out, err := runLua(t, lua.Options{}, script)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 2, out)
	assert.Equal(t, "false\t1\tlastbuffered:end:1\tchunk 2 acknowledged but not on flash\ttrue", lines[0])
	assert.Equal(t, "true\t0\ttrue", lines[1])
}
