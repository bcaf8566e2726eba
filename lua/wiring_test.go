package lua

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Lua wiring of what emu provides (#13): bad-block kinds, per-read ECC,
// write-through devices, HEX bases, as-read images, zero overwrites and
// SPI NOR first-byte program times.

func TestLuaBadBlocksAndECC(t *testing.T) {
	out, err := runLua(t, Options{}, `
local d = flash.nand{page = 512, oob = 16, pages_per_block = 4, blocks = 8, bad_blocks = {3}, ecc_bits = 2, ecc_step = 512}
print(d:is_bad(3), d:is_bad(0))
print(#d:info().bad_blocks, d:info().bad_blocks[1], #d:info().grown_bad)
assert(d:write(0, ("A"):rep(512)))
faults.flip(d, 0, 0)
local data, rep = d:read_ecc(0, 512)
print(data == ("A"):rep(512), rep.corrected, rep.failed, rep.max_bitflips, rep.euclean, rep.errno)
faults.flip(d, 1, 0); faults.flip(d, 2, 0)
local raw, bad = d:read_ecc(0, 512)
print(raw ~= ("A"):rep(512), bad.failed, bad.errno)
print(flash.nor{}:read_ecc(0, 1))
print(pcall(d.is_bad, d, 99))`)
	require.NoError(t, err, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 6, out)
	assert.Equal(t, "factory\tfalse", lines[0])
	assert.Equal(t, "1\t3\t0", lines[1])
	assert.Equal(t, "true\t1\t0\t1\tfalse\tnil", lines[2])
	assert.Equal(t, "true\t1\t-77", lines[3], "EBADMSG (Zephyr 77)")
	assert.Regexp(t, `^nil\t.*no ECC.*\t-22$`, lines[4])
	assert.Contains(t, lines[5], "not a block of this device")
}

func TestLuaWriteThroughOpen(t *testing.T) {
	t.Chdir(t.TempDir())
	out, err := runLua(t, Options{}, `
local d = assert(flash.open("flash.bin", {size = 8192, sector = 4096}))
assert(d:write(0, "persist"))
assert(d:close())
local again = assert(flash.open("flash.bin", {sector = 4096}))
print(again:read(0, 7), again:info().size)`)
	require.NoError(t, err)
	assert.Equal(t, "persist\t8192\n", out)
	b, err := os.ReadFile("flash.bin")
	require.NoError(t, err)
	assert.Equal(t, "persist", string(b[:7]))
	// The sandbox applies: a path out of the working directory is refused.
	_, err = runLua(t, Options{}, `flash.open("../x.bin", {size = 4096})`)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "outside the sandbox")
}

func TestLuaHexBaseAndAsRead(t *testing.T) {
	t.Chdir(t.TempDir())
	out, err := runLua(t, Options{}, `
local d = flash.nor{size = "16K", sector = 4096}
assert(d:write(0x1000, "DATA"))
assert(d:save("g.hex", {base = 0x08000000}))
local h = assert(flash.load("g.hex", {size = "16K", base = 0x08000000}))
print(h:read(0x1000, 4), h:read(0, 1) == "\255")
local low = assert(flash.load("g.hex", {size = "16K"}))
print(low:read(0x1000, 4))
print(flash.load("g.hex", {size = "16K", base = 0x08001000 + 16}))
faults.flip(d, 0x1000, 0)
assert(d:save("stored.bin"))
assert(d:save("asread.bin", {as_read = true}))`)
	require.NoError(t, err, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	assert.Equal(t, "DATA\ttrue", lines[0])
	assert.Equal(t, "DATA", lines[1], "the lowest address is offset 0 without base (the saved base line)")
	assert.Regexp(t, `^nil\t.*below base 0x08001010.*`, lines[2])
	stored, err := os.ReadFile(filepath.Join(".", "stored.bin"))
	require.NoError(t, err)
	asRead, err := os.ReadFile("asread.bin")
	require.NoError(t, err)
	assert.Equal(t, byte('D'), stored[0x1000])
	assert.Equal(t, byte('D')^1, asRead[0x1000], "as_read saves what a read returns (the flipped bit)")
}

func TestLuaZeroOverwriteAndFirstByteTiming(t *testing.T) {
	out, err := runLua(t, Options{}, `
local d = flash.nor{size = 4096, sector = 4096, write_block = 8, max_programs = 1, zero_overwrite = true}
assert(d:write(0, ("\1"):rep(8)))
print(d:write(0, ("\0"):rep(8)), d:info().zero_overwrite)
assert(d:write(8, ("\1"):rep(8)))
print(d:write(8, ("\1"):rep(8)) == nil)
local s = flash.nor{size = 4096, sector = 4096, timing = {program_ns = 400000, program_first_ns = 30000, program_byte_ns = 2500, program_page = 256}}
local t0 = s:clock(); assert(s:write(0, "x")); local one = s:clock() - t0
print(s:timing().program_first_ns, s:timing().program_byte_ns, one >= 30000)`)
	require.NoError(t, err, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	assert.Equal(t, "true\ttrue", lines[0], "an all-zero overwrite of a programmed double word is allowed")
	assert.Equal(t, "true", lines[1], "any other second program stays refused by max_programs")
	assert.Equal(t, "30000\t2500\ttrue", lines[2])
}

// TestLuaPartitionByteIO: part:pread/pwrite hide the write block as Plan
// 9's part data file does (#13 item 10); area:write keeps flash_area's
// alignment rule; pwrite stops at the partition's end.
func TestLuaPartitionByteIO(t *testing.T) {
	out, err := runLua(t, Options{}, `
local d = flash.nor{size = 65536, sector = 4096, write_block = 4}
assert(d:ctl("add data 0x1000 0x3000"))
local p = d:part("data")
print(p:write(1, "ab"))
print(p:pwrite(1, "ab"), p:pread(0, 4) == "\255ab\255", d:read(0x1001, 2))
print(p:pwrite(0x2000 - 1, "xyz"), p:pread(0x2000 - 1, 10))
print(d:area{offset = 0, size = 4096}:pwrite(0, "x"))`)
	require.NoError(t, err, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 4, out)
	assert.Regexp(t, `^nil\t.*misaligned.*\t-22$`, lines[0])
	assert.Equal(t, "2\ttrue\tab", lines[1])
	assert.Equal(t, "1\tx", lines[2], "cut short at the partition's end")
	assert.Regexp(t, `^nil\t.*not a partition.*`, lines[3])
}
