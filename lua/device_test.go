package lua

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// luaOut runs src and returns its output, failing the test on error.
func luaOut(t *testing.T, opts Options, src string) string {
	t.Helper()
	out, err := runLua(t, opts, src)
	require.NoError(t, err)
	return out
}

func TestDeviceReadWriteErase(t *testing.T) {
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 65536, sector = 4096, write_block = 4}
print(dev:write(0, "abcd"), dev:read(0, 6) == "abcd\255\255")
print(dev:write(2, "abcd"))                -- misaligned
print(dev:write(0, "\255\255\255\255"))    -- 0 -> 1 refused, nothing changes
print(dev:read(0, 4))
print(dev:write(0, "\0bcd"), dev:read(0, 1) == "\0")  -- clearing more bits is fine
print(dev:erase(0, 100))                   -- not a whole unit
print(dev:erase(0, 4096), dev:read(0, 4) == hex("ffffffff"))
print(dev:read(65535, 2))                  -- past the end
print(dev:read(0, 1e9))                    -- absurd length, no allocation
print(#dev:read(0, 0), dev:read(65536, 0))`)
	want := []string{
		`^true\ttrue$`,
		`^nil\temu: misaligned: .*\t-22$`,
		`^nil\temu: program would return a bit to the erased state .*\t-5$`,
		`^abcd$`,
		`^true\ttrue$`,
		`^nil\temu: misaligned: .*\t-22$`,
		`^true\ttrue$`,
		`^nil\temu: out of range: .*\t-22$`,
		`^nil\temu: out of range: read of 1000000000 bytes on a 65536-byte device\t-22$`,
		`^0\t$`,
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	require.Len(t, lines, len(want), out)
	for i, w := range want {
		assert.Regexp(t, w, lines[i])
	}
}

func TestDeviceInfoStatsWearClock(t *testing.T) {
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 16384, sector = 4096, write_block = 4, max_programs = 2, violations = "count", seed = 7}
local i = dev:info()
print(i.type, i.size, i.erase_unit, i.write_block, i.erase_value, i.units, #i.regions, i.regions[1].count, i.regions[1].size, i.max_programs, i.violations, i.seed)
dev:write(0, "abcd") dev:read(0, 8) dev:erase(4096, 8192)
local s = dev:stats()
print(s.reads, s.writes, s.erases, s.bytes_read, s.bytes_written, s.bytes_erased, s.violations)
local w = dev:wear()
print(#w, w[1], w[2], w[3], w[4])
print(dev:clock() > 0, dev:cycles() > 0, dev:clock() == s.read_ns + s.write_ns + s.erase_ns)
local tm = dev:timing()
print(tm.clock_hz, tm.program_page, #tm.erase_ns, tm.erase_ns[1].size)
print(dev:unit_at(5000))
print(tostring(dev))`)
	assert.Equal(t, strings.Join([]string{
		"nor\t16384\t4096\t4\t255\t4\t1\t4\t4096\t2\tcount\t7",
		"1\t1\t1\t8\t4\t8192\t0",
		"4\t0\t1\t1\t0",
		"true\ttrue\ttrue",
		"133000000\t256\t1\t4096",
		"1\t4096\t4096",
		"nor 16K (4K sectors, wb 4)",
	}, "\n")+"\n", out)
}

func TestDeviceTimingFalseIsFree(t *testing.T) {
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 8192, timing = false}
dev:write(0, "x") dev:erase(0, 4096)
print(dev:clock(), dev:timing().clock_hz)`)
	assert.Equal(t, "0\t0\n", out)
}

func TestNonUniformAndChipPresets(t *testing.T) {
	out := luaOut(t, Options{}, `
local dev = flash.nor{sectors = {{count = 2, size = 4096}, {count = 1, size = 8192}}}
local i = dev:info()
print(i.size, i.units, i.erase_unit, #i.regions)
print(dev:erase(0, 4096), dev:erase(8192, 4096))
local c = flash.chip("stm32f4", {protect_boot = false})
print(c:info().units, c:info().protect_boot, c:write(0, "x"))
local p = flash.chip("stm32f4")
print(p:write(0, "x"))
local chips = flash.chips()
local names = {}
for _, ch in ipairs(chips) do names[#names + 1] = ch.name .. ":" .. ch.type end
print(table.concat(names, " "))`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5)
	assert.Equal(t, "16384\t3\tnil\t2", lines[0])
	assert.Regexp(t, `^true\tnil\temu: misaligned: .*\t-22$`, lines[1])
	assert.Equal(t, "12\tfalse\ttrue", lines[2])
	assert.Regexp(t, `^nil\temu: protected.*\t-13$`, lines[3])
	var want []string
	for _, c := range emu.Chips() {
		want = append(want, c.Name+":"+c.Kind.String())
	}
	assert.Equal(t, strings.Join(want, " "), lines[4])
}

func TestNANDBinding(t *testing.T) {
	out := luaOut(t, Options{}, `
local dev = flash.nand{page = 512, oob = 16, pages_per_block = 4, blocks = 8, nop = 2, ecc_bits = 0, bad_blocks = {3}}
local i = dev:info()
print(i.type, i.size, i.page, i.oob, i.pages_per_block, i.blocks, i.erase_unit, i.bad_blocks[1])
print(dev:write(0, ("a"):rep(512)), dev:read(0, 3))
print(dev:write_oob(0, "\255\1"), tohex(dev:read_oob(0, 4)), #dev:read_oob(0))
print(dev:write(1024, ("b"):rep(512)), dev:write(512, ("c"):rep(512)))
local nor = flash.nor{}
print(nor:read_oob(0))`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5)
	assert.Equal(t, "nand\t16384\t512\t16\t4\t8\t2048\t3", lines[0])
	assert.Equal(t, "true\taaa", lines[1])
	assert.Equal(t, "true\tff01ffff\t16", lines[2])
	assert.Regexp(t, `^true\tnil\temu: NAND page programmed out of order.*\t-5$`, lines[3])
	assert.Regexp(t, `^nil\temu: not supported on this device.*\t-134$`, lines[4])
}

func TestSnapshotsRestoreAndDump(t *testing.T) {
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 8192, sector = 4096}
dev:write(0, "before")
local snap = dev:snapshot()
dev:erase(0, 4096) dev:write(0, "after!")
print(dev:read(0, 6), snap.ops, #snap.hash)
dev:restore(snap)
print(dev:read(0, 6))
local copy = flash.from_snapshot(snap)
copy:erase(0, 4096)
print(dev:read(0, 6), copy:read(0, 1) == "\255", copy == dev, dev == dev)
local d = dev:dump()
print(#d, d:sub(1, 6), dev:peek(0, 6))
dev:poke(0, "POKED!")
print(dev:read(0, 6))
print(pcall(dev.restore, dev, flash.nor{size = 4096}:snapshot()))`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 6)
	assert.Equal(t, "after!\t1\t16", lines[0])
	assert.Equal(t, "before", lines[1])
	assert.Equal(t, "before\ttrue\tfalse\ttrue", lines[2])
	assert.Equal(t, "8192\tbefore\tbefore", lines[3])
	assert.Equal(t, "POKED!", lines[4])
	assert.Regexp(t, `^false\tt.lua:16: bad argument #1 to 'restore' \(emu: invalid argument: snapshot of a different geometry\)$`, lines[5])
}

func TestSaveAndLoadImages(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	luaOut(t, Options{}, `
local dev = flash.nor{size = 8192, sector = 4096}
dev:write(0, "image!")
assert(dev:save("img.bin"))`)
	data, err := os.ReadFile(filepath.Join(dir, "img.bin"))
	require.NoError(t, err)
	require.Len(t, data, 8192)
	assert.Equal(t, "image!", string(data[:6]))

	require.NoError(t, os.WriteFile("app.hex", []byte(":020000040800F2\n:0400000001020304F2\n:00000001FF\n"), 0o644))
	out := luaOut(t, Options{}, `
local d = flash.load("img.bin")
print(d:info().size, d:read(0, 6), d:stats().writes)
local h = flash.load("app.hex", {size = 4096})
print(tohex(h:read(0, 5)))
local n = flash.load("img.bin", {type = "nand", page = 2048, oob = 64, pages_per_block = 2, blocks = 4})
print(n:info().type, n:read(0, 6))
print(flash.load("missing.bin"))
print(flash.load("img.bin", {size = 4096}))`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5)
	assert.Equal(t, "8192\timage!\t0", lines[0])
	assert.Equal(t, "01020304ff", lines[1])
	assert.Equal(t, "nand\timage!", lines[2])
	assert.Regexp(t, `^nil\tlua: no such file: openat missing.bin: no such file or directory\t-2$`, lines[3])
	assert.Regexp(t, `^nil\temu: corrupt image: img.bin holds 8192 bytes, the device 4096\t-22$`, lines[4])

	// The sandbox keeps paths inside the working directory.
	_, err = runLua(t, Options{}, "flash.nor{}:save('/tmp/x.bin')")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "path outside the sandbox")
	_, err = runLua(t, Options{}, "flash.load('../x.bin')")
	assert.Contains(t, err.Error(), "path outside the sandbox")
}

func TestAreaBinding(t *testing.T) {
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 65536, sector = 4096, write_block = 4}
local a = dev:area{label = "storage", offset = 0x2000, size = 0x3000}
print(a.label, a.offset, a.size, a:align(), a:erased_val(), a.nosuch)
print(a:write(0, "data"), dev:read(0x2000, 4), a:read(0, 4))
print(a:write(0x3000, "data"))
local secs = a:sectors()
print(#secs, secs[1].off, secs[1].size, secs[3].off)
print(a:erase(0, 4096), a:flatten(4096, 4096))
print(a:device() == dev, tostring(a))
print(dev:area{offset = 65536, size = 1})`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 7)
	assert.Equal(t, "storage\t8192\t12288\t4\t255\tnil", lines[0])
	assert.Equal(t, "true\tdata\tdata", lines[1])
	assert.Regexp(t, `^nil\tapi: outside the flash area.*\t-22$`, lines[2])
	assert.Equal(t, "3\t0\t4096\t8192", lines[3])
	assert.Equal(t, "true\ttrue", lines[4])
	assert.Equal(t, "true\tarea storage@0x2000+0x3000", lines[5])
	assert.Regexp(t, `^nil\t.*\t-22$`, lines[6])
}

func TestFCBBinding(t *testing.T) {
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 16384, sector = 4096, write_block = 4}
local area = dev:area{offset = 0, size = 16384}
local log = assert(fcb.new(area, {magic = 0x12345678, version = 1}))
print(log:is_empty(), log:free_sectors(), fcb.MAX_LEN)
local loc = log:append(5)
print(loc.sector, loc.elem_off, loc.data_off, loc.area_off, loc.len)
area:write(loc.area_off, "hello\255\255\255")
print(log:finish(loc))
log:push("world")
local seen = {}
for e in log:entries() do seen[#seen + 1] = e.data .. "@" .. e.elem_off end
print(table.concat(seen, " "))
local n = 0
print(log:walk(function(e) n = n + 1 return true end), n)
print(log:read(log:last_n(1)), log:getnext().len, log:getnext(log:getnext()).len)
print(log:getnext(log:last_n(1)))
print(log:append(fcb.MAX_LEN + 1))
local st = log:state()
print(st.oldest_sector, st.active_sector, st.active_elem_off, st.align)
print(pcall(log.walk, log, function(e) error("in walk") end))
print(log:rotate(), log:is_empty())
-- Remount finds the same entries; a foreign magic is ENOMSG.
local again = assert(fcb.new(area, {magic = 0x12345678}))
print(again:last_n(1))
print(fcb.new(area, {magic = 0x1}))
-- A power cut inside an fcb call raises the power-loss object.
dev:power_off()
local ok, e = pcall(log.push, log, "x")
print(ok, faults.is_power_loss(e))`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 14, out)
	assert.Equal(t, "true\t3\t16383", lines[0])
	assert.Equal(t, "0\t8\t12\t12\t5", lines[1])
	assert.Equal(t, "true", lines[2])
	assert.Equal(t, "hello@8 world@24", lines[3])
	assert.Equal(t, "true\t1", lines[4])
	assert.Equal(t, "world\t5\t5", lines[5])
	assert.Regexp(t, `^nil\tfcb: no more entries\t-134$`, lines[6])
	assert.Regexp(t, `^nil\tfcb: invalid argument.*\t-22$`, lines[7])
	assert.Equal(t, "0\t0\t40\t4", lines[8])
	assert.Equal(t, "false\tt.lua:21: in walk", lines[9])
	assert.Equal(t, "true\ttrue", lines[10])
	assert.Equal(t, "nil\tfcb: no entries\t-2", lines[11])
	assert.Regexp(t, `^nil\tfcb: sector header is not erased and has a foreign magic.*\t-35$`, lines[12])
	assert.Equal(t, "false\ttrue", lines[13])
}

func TestStreamflashAndSettingsBindings(t *testing.T) {
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 65536, sector = 4096, write_block = 4}
local calls = {}
local sf = assert(streamflash.new(dev, {buf_len = 16, offset = 0x1000, size = 0x2000,
  callback = function(buf, len, off) calls[#calls + 1] = len .. "@" .. off return 0 end}))
print(sf:write(("x"):rep(40)), sf:bytes_written(), sf:bytes_buffered())
print(sf:flush(), sf:bytes_written(), table.concat(calls, " "))
print(sf:write(("y"):rep(0x2000)))
print(sf:erase_page(-1))
local store = assert(settings.fcb(dev:area{offset = 0x8000, size = 0x4000}))
print(store:save("k", "v1"), store:save("k", "v2"), store:load("k"), store:load("none"))
print(store:delete("k"), store:load("k"), store:save("a", "1"), store:all().a)
print(sf:save_progress(store, "dl"), #store:load("dl"))
local mem = {}
print(sf:save_progress(mem, "p"), tohex(mem.p))
local sf2 = streamflash.new(dev, {buf_len = 16, offset = 0x1000, erase = false})
print(sf2:load_progress(mem, "p"), sf2:bytes_written(), sf2:clear_progress(mem, "p"), mem.p)
print(store:save("", "x"))
local bad = streamflash.new(dev, {buf_len = 16, callback = function() return -77 end})
print(bad:write(("z"):rep(16)))
print(streamflash.new(dev, {buf_len = 0}))
local area = dev:area{offset = 0x4000, size = 0x2000}
local sa = assert(streamflash.new(area, {buf_len = 8}))
print(sa:write("abcdefgh"), area:read(0, 8))`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 13, out)
	assert.Equal(t, "true\t32\t8", lines[0])
	assert.Equal(t, "true\t40\t16@4096 16@4112 8@4128", lines[1])
	assert.Equal(t, "nil\tstreamflash: write exceeds the available size: 40 written + 0 buffered + 8192 > 8192\t-12", lines[2])
	assert.Equal(t, "nil\tstreamflash: offset outside the device: erase page at -1, device size 65536\t-22", lines[3])
	assert.Equal(t, "true\ttrue\tv2\tnil", lines[4])
	assert.Equal(t, "true\tnil\ttrue\t1", lines[5])
	assert.Equal(t, "true\t8", lines[6])
	assert.Equal(t, "true\t2800000000000000", lines[7])
	assert.Equal(t, "true\t40\ttrue\tnil", lines[8])
	assert.Regexp(t, `^nil\tsettings: invalid key.*\t-22$`, lines[9])
	assert.Equal(t, "nil\tstreamflash: callback returned -77\t-77", lines[10])
	assert.Regexp(t, `^nil\tstreamflash: buffer length 0\t-14$`, lines[11])
	assert.Equal(t, "true\tabcdefgh", lines[12])
}

func TestExpectMethods(t *testing.T) {
	pass := `
expect(1):eq(1) expect("a"):ne("b") expect({1, {x = 2}}):same({1, {x = 2}})
expect(hex("00ff")):bytes(hex("00ff")) expect(true):truthy() expect(nil):falsy()
expect("hello world"):matches("wor") expect(nil, "msg", -22):err(-22)
expect(nil, "msg", -22):err("EINVAL") expect(nil, "boom msg", -5):err("boom")
expect(function() error("oops") end):err("oops") expect(nil, "x", -5):err()
local d = flash.nor{} d:power_off()
expect(function() d:read(0, 1) end):power_loss()
expect(function() d:read(0, 1) end):err(-5)
expect(1):eq(1):ne(2)
print("all passed")`
	assert.Equal(t, "all passed\n", luaOut(t, Options{}, pass))

	fails := []struct{ src, want string }{
		{"expect(1):eq(2)", "expected 2, got 1"},
		{"expect('a'):eq('b')", `expected "b", got "a"`},
		{"expect(1):ne(1)", "expected a value other than 1"},
		{"expect({1, {x = 2}}):same({1, {x = 3}})", "values differ at [2].x: expected {1, {x = 3}}, got {1, {x = 2}}"},
		{"expect({a = 1}):same({a = 1, b = 2})", "values differ at .b: expected {a = 1, b = 2}, got {a = 1}"},
		{"expect(hex('0001ff03')):bytes(hex('00010203'))", "bytes differ at offset 2 (0x2): got 4 bytes, want 4\n  want 00000000: 00 01 02 03\n  got  00000000: 00 01 ff 03\n                       ^^"},
		{"expect('ab'):bytes('abc')", "bytes differ at offset 2 (0x2): got 2 bytes, want 3\n  want 00000000: 61 62 63\n  got  00000000: 61 62 --\n                       ^^"},
		{"expect(hex('ff')):eq(hex('00'))", "bytes differ at offset 0 (0x0): got 1 bytes, want 1\n  want 00000000: 00\n  got  00000000: ff\n                 ^^"},
		{"expect(5):bytes('x')", "expected a byte string, got 5"},
		{"expect(nil, 'why'):truthy()", "expected a true value, got nil (why)"},
		{"expect(0):falsy()", "expected nil or false, got 0"},
		{"expect('abc'):matches('^b')", `expected a string matching "^b", got "abc"`},
		{"expect(true):err()", "expected a failure (nil, msg, errno), got true"},
		{"expect(nil, 'm', -5):err(-22)", "expected errno -22, got -5 (m)"},
		{"expect(nil, 'm', -5):err('EINVAL')", "expected errno EINVAL (-22), got -5 (m)"},
		{"expect(nil, 'm', -5):err('other')", `expected an error containing "other", got "m"`},
		{"expect(function() end):err()", "expected an error, got none"},
		{"expect(function() error('x') end):err('y')", `expected an error containing "y", got "t.lua:2: x"`},
		{"expect(function() error('x') end):power_loss()", "expected a power loss, got error t.lua:2: x"},
	}
	for _, tt := range fails {
		t.Run(tt.src, func(t *testing.T) {
			_, err := runLua(t, Options{}, "\n"+tt.src)
			require.Error(t, err)
			assert.Equal(t, "t.lua:2: "+tt.want, err.Error())
		})
	}
}

func TestPartitionControlAndFlashMap(t *testing.T) {
	out := luaOut(t, Options{}, `
local dev = flash.chip("w25q128jv")
print((dev:ctlinfo():gsub("\n", "|")))
print(dev:write(0, "x"))                         -- ctlinfo changed nothing
print(dev:ctl("add boot 0 0x10000"))
print(dev:write(0, "y"))                         -- the first ctl protects unit 0
local boot = dev:part("boot")
print(boot.label, boot.offset, boot.size, (boot:ctlinfo():gsub("\n", "|")))
print(boot:ctl("add inner 0x1000 0x2000"), dev:part("inner").offset)
print(dev:ctl("protectboot off"), dev:write(0, "\0"))
print(dev:part("nope"))
print(dev:ctl("frobnicate"))
local m = flash.map(dev, [[
/ { partitions {
  compatible = "fixed-partitions";
  #address-cells = <1>; #size-cells = <1>;
  boot_partition: partition@0 { label = "mcuboot"; reg = <0x0 DT_SIZE_K(64)>; };
  storage_partition: partition@f0000 { label = "storage"; reg = <0xf0000 0x10000>; };
}; };]])
print(m.mcuboot.offset, m.mcuboot.size, m.storage.offset, m.storage:write(0, "s"), dev:read(0xf0000, 1))
print(flash.map(dev, "partitions { compatible = \"fixed-partitions\";\n p@0 { reg = <0 0x10000000>; }; };"))
print(dev:area{}:ctl("sync"))`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 12, out)
	assert.Equal(t, "0xef 0x4018 1 nor|0x00000000 0x01000000 0x00001000|", lines[0])
	assert.Equal(t, "true", lines[1])
	assert.Equal(t, "true", lines[2])
	assert.Regexp(t, `^nil\temu: protected.*\t-13$`, lines[3])
	assert.Equal(t, "boot\t0\t65536\t0xef 0x4018 1 nor|0x00000000 0x00010000 0x00001000|", lines[4])
	assert.Equal(t, "true\t4096", lines[5])
	assert.Equal(t, "true\ttrue", lines[6])
	assert.Regexp(t, `^nil\tapi: no such partition.*\t-2$`, lines[7])
	assert.Regexp(t, `^nil\tapi: bad control command.*\t-22$`, lines[8])
	assert.Equal(t, "0\t65536\t983040\ttrue\ts", lines[9])
	assert.Regexp(t, `^nil\tapi: devicetree: line 2: .*\t-22$`, lines[10])
	assert.Regexp(t, `^nil\tapi: no such partition: .* is not a partition \(use dev:part\)\t-2$`, lines[11])
}
