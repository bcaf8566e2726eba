package lua

import (
	"os"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSaveLoadSidecarKeepsWearAndClock(t *testing.T) {
	t.Chdir(t.TempDir())
	out := luaOut(t, Options{}, `
local dev = flash.chip("nrf52840", {size = 16 * 1024})
for i = 1, 5 do assert(dev:erase(4096, 4096)) end
assert(dev:write(4096, "wear"))
assert(dev:save("w.bin", {sidecar = true}))
local back = assert(flash.load("w.bin"))           -- geometry, wear, clock from w.bin.json
print(back:info().name, back:info().write_block, back:info().max_programs)
print(table.concat(back:wear(), ","), back:clock() == dev:clock(), back:read(4096, 4))
print(back:stats().erases, dev:stats().erases)
-- sidecar = false ignores it: a NOR sized to the image, 4K sectors, no wear.
local raw = assert(flash.load("w.bin", {sidecar = false}))
print(raw:info().write_block, table.concat(raw:wear(), ","), raw:clock())
-- Geometry given and a sidecar present: they must match.
print(flash.load("w.bin", {size = 8192}))
print(pcall(flash.load, "w.bin", {oob_layout = "sideways"}))`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 6, out)
	assert.Equal(t, "nrf52840\t4\t2", lines[0])
	assert.Equal(t, "0,5,0,0\ttrue\twear", lines[1])
	assert.Equal(t, "5\t5", lines[2])
	assert.Equal(t, "1\t0,0,0,0\t0", lines[3])
	assert.Regexp(t, `^nil\temu: corrupt image: .*\t-22$`, lines[4])
	assert.Regexp(t, `^false\t.*field 'oob_layout': "sideways" is not`, lines[5])
	sc, err := emu.ReadSidecar("w.bin.json")
	require.NoError(t, err)
	assert.Equal(t, []uint32{0, 5, 0, 0}, sc.Wear)
}

func TestSaveLoadNANDSpareAreas(t *testing.T) {
	t.Chdir(t.TempDir())
	const nand = `flash.nand{page = 512, oob = 16, pages_per_block = 4, blocks = 4, ecc_bits = 0}`
	out := luaOut(t, Options{}, `
local dev = `+nand+`
assert(dev:write(0, ("A"):rep(512)))
assert(dev:write_oob(1, "spare"))
assert(dev:save("sep.bin"))                           -- spare areas in sep.bin.oob
assert(dev:save("int.bin", {oob = "interleaved"}))
assert(dev:save("none.bin", {oob = "none", sidecar = true}))
print(pcall(dev.save, dev, "x.bin", {oob = 3}))
local a = assert(flash.load("sep.bin", {type = "nand", page = 512, oob = 16, pages_per_block = 4, blocks = 4}))
print(a:read_oob(1, 5), a:read(0, 3))
local b = assert(flash.load("int.bin", {type = "nand", page = 512, oob = 16, pages_per_block = 4, blocks = 4, oob_layout = "interleaved"}))
print(b:read_oob(1, 5), b:read(0, 3))
local c = assert(flash.load("none.bin"))
print(tohex(c:read_oob(1, 2)), c:read(0, 3))
print(dev:save("n.hex"))`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5, out)
	assert.Regexp(t, `field 'oob': string expected, got number`, lines[0])
	assert.Equal(t, "spare\tAAA", lines[1])
	assert.Equal(t, "spare\tAAA", lines[2])
	assert.Equal(t, "ffff\tAAA", lines[3])
	assert.Regexp(t, `^nil\temu: invalid argument: Intel HEX holds the data area of a NOR device only.*\t-22$`, lines[4])
	st, err := os.Stat("int.bin")
	require.NoError(t, err)
	assert.Equal(t, int64(16*(512+16)), st.Size())
	st, err = os.Stat("sep.bin.oob")
	require.NoError(t, err)
	assert.Equal(t, int64(16*16), st.Size())
}

func TestSaveIntelHex(t *testing.T) {
	t.Chdir(t.TempDir())
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 4096, sector = 4096}
assert(dev:write(16, "hex!"))
assert(dev:save("a.hex", {base = 0x08000000}))
assert(dev:save("b.img", {format = "hex"}))
local back = assert(flash.load("a.hex", {size = 4096}))
print(back:read(16, 4))
print(pcall(dev.save, dev, "c.hex", {base = 3}))
print(pcall(dev.save, dev, "c.hex", {format = "srec"}))`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	assert.Equal(t, "hex!", lines[0], "HEX keeps its base: data stays at its offset (issue 13 item 1)")
	assert.Contains(t, lines[1], "field 'base': 3 is not a 16-aligned 32-bit address")
	assert.Contains(t, lines[2], `field 'format': "srec" is not "raw" or "hex"`)
	b, err := os.ReadFile("a.hex")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), ":020000040800F2\n"), string(b))
	b, err = os.ReadFile("b.img")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(string(b), ":"), "format=hex whatever the name")
}

func TestSaveLoadFileErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	require.NoError(t, os.Mkdir("dir.bin", 0o755))
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 4096, sector = 4096}
print(dev:save("dir.bin"))
print(dev:save("new/dir/x.bin"))                 -- parent directories are made
print(flash.load("dir.bin"))
print(dev:trace("dir.bin/t.jsonl"), dev:trace())
print(dev:save("new/dir/x.bin/y.bin"))          -- a parent is a file`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5, out)
	assert.Regexp(t, `^nil\t.*dir.bin: is a directory\t-5$`, lines[0])
	assert.Equal(t, "true", lines[1])
	assert.Regexp(t, `^nil\tlua: file error: dir.bin is a directory\t-5$`, lines[2])
	assert.Equal(t, "true\ttrue", lines[3])
	assert.Regexp(t, `^nil\t.*\t-5$`, lines[4])
	assert.FileExists(t, "new/dir/x.bin")
	assert.FileExists(t, "dir.bin/t.jsonl")
}
