package lua

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFCBScanMatchesWalkAndEntries(t *testing.T) {
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 16384, sector = 4096, write_block = 4, timing = false}
local log = assert(fcb.new(dev:area{}, {magic = 0x12345678}))
for i = 1, 300 do assert(log:push(("entry %03d"):format(i))) end
assert(log:rotate())
local a, b, c = {}, {}, {}
for e in log:entries() do a[#a + 1] = table.concat({e.data, e.sector, e.elem_off, e.area_off}, "|") end
assert(log:walk(function(e) b[#b + 1] = table.concat({e.data, e.sector, e.elem_off, e.area_off}, "|") end))
assert(log:scan(function(data, sector, elem_off, area_off) c[#c + 1] = table.concat({data, sector, elem_off, area_off}, "|") end))
print(#a, table.concat(a, ",") == table.concat(b, ","), table.concat(a, ",") == table.concat(c, ","))
print(a[1])
-- one sector, stopping early, errors raised inside fn
local n = 0
assert(log:scan(function() n = n + 1 end, 2))
local m = 0
assert(log:scan(function() m = m + 1 return m == 3 end))
print(n, m)
print(pcall(log.scan, log, function(d) error("stop at " .. d) end))
print(pcall(log.scan, log, function() end, 9))
print(pcall(log.scan, log, 5))
-- walk entries are fresh tables the caller may keep
local kept = {}
log:walk(function(e) kept[#kept + 1] = e end)
print(kept[1].data, kept[2].data, kept[1] ~= kept[2])`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 7, out)
	assert.Regexp(t, `^\d+\ttrue\ttrue$`, lines[0])
	assert.Regexp(t, `^entry \d{3}\|1\|8\|4108$`, lines[1], "the oldest entry after the rotation is in sector 1")
	assert.Regexp(t, `^\d+\t3$`, lines[2])
	assert.Regexp(t, `^false\tt.lua:\d+: stop at entry \d{3}$`, lines[3])
	assert.Contains(t, lines[4], "bad argument #2 to 'scan' (sector 9 out of range [0, 4))")
	assert.Contains(t, lines[5], "bad argument #1 to 'scan' (function expected, got number)")
	assert.Regexp(t, `^entry \d{3}\tentry \d{3}\ttrue$`, lines[6])
}

func TestFCBAndSettingsDropped(t *testing.T) {
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 16384, sector = 4096, write_block = 4, timing = false}
local area = dev:area{}
local log = assert(fcb.new(area, {magic = 0x12345678}))
log:push("abc")
dev:write(4096, hex("deadbeef01ff0000"))              -- a foreign (torn) header in sector 1
print(fcb.new(area, {magic = 0x12345678}))            -- Zephyr: ENOMSG
local r = assert(fcb.new(area, {magic = 0x12345678, repair = true}))
local d = r:dropped()
print(#d, d[1].index, d[1].offset, d[1].skipped, d[1].non_erased_bytes > 0, d[1].reason ~= "")
print(#log:dropped())                                 -- no repair: nothing dropped
-- settings: the store mounts with repair by default
local dev2 = flash.nor{size = 16384, sector = 4096, write_block = 4, timing = false}
local st = assert(settings.fcb(dev2:area{}))
assert(st:save("k", "v"))
print(#st:dropped())
dev2:write(8192, hex("deadbeef01ff0000"))             -- a torn header in an unused sector
local st2 = assert(settings.fcb(dev2:area{}))
print(st2:load("k"), #st2:dropped(), st2:dropped()[1].index)`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5, out)
	assert.Regexp(t, `^nil\tfcb: sector header is not erased and has a foreign magic.*\t-35$`, lines[0])
	assert.Equal(t, "1\t1\t0\t4096\ttrue\ttrue", lines[1])
	assert.Equal(t, "0", lines[2])
	assert.Equal(t, "0", lines[3])
	assert.Equal(t, "v\t1\t2", lines[4])
}
