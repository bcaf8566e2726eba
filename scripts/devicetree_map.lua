-- devicetree_map.lua: a Zephyr flash map from devicetree, and an FCB in it.
--
--   flashemu run scripts/devicetree_map.lua
--
-- Zephyr generates its flash map from the board's devicetree: every child of
-- a "fixed-partitions" node becomes a flash area (FIXED_PARTITION_ID,
-- flash_area_open). flash.map(dev, dts) does the same from a devicetree
-- fragment and returns a table label -> area. This script uses the seed's
-- native_sim layout (a 2 MiB simulated flash: MCUboot, two image slots, a
-- swap scratch area and a 16 KiB "storage" partition), adds a
-- fixed-subpartitions node and a disabled partition, lists the areas, and runs
-- an application log on "storage" with Zephyr's FCB.
--
-- What to look at in the output:
--   * the area list: id, label, offset, size, sectors; a subpartition's reg is
--     relative to its parent; a disabled partition keeps its id but has no
--     area (flash_area_open gives ENOENT in Zephyr);
--   * the log: records carry their own CRC32 (FCB only protects each entry
--     with a CRC-8); the walk checks every one; rotation drops the oldest
--     sector when the log is full; only the storage sectors were ever erased;
--   * broken layouts: overlapping and out-of-device partitions are refused
--     with the fragment's line number, EINVAL (-22).
--
-- Every claim is asserted: the script stops with an error if one breaks.

local EINVAL = -22

-- The fragment as a board's .dts would hold it (#include and macros work).
local DTS = [[
#include <mem.h>

&flashcontroller0 {
	flash0: flash@0 {
		compatible = "soc-nv-flash";
		reg = <0x00000000 DT_SIZE_M(2)>;
		erase-block-size = <4096>;
		write-block-size = <1>;

		partitions {
			compatible = "fixed-partitions";
			#address-cells = <1>;
			#size-cells = <1>;

			boot_partition: partition@0 {
				label = "mcuboot";
				reg = <0x00000000 DT_SIZE_K(48)>;
			};
			slot0_partition: partition@c000 {
				label = "image-0";
				reg = <0x0000c000 0x00069000>;
			};
			slot1_partition: partition@75000 {
				label = "image-1";
				reg = <0x00075000 0x00069000>;
			};
			scratch_partition: partition@de000 {
				label = "image-scratch";
				reg = <0x000de000 0x0001e000>;
			};
			storage_partition: partition@fc000 {
				label = "storage";
				reg = <0x000fc000 0x00004000>;
			};
			/* A factory area split in two: reg below is relative to it. */
			factory_partition: partition@100000 {
				compatible = "fixed-subpartitions";
				label = "factory";
				reg = <0x00100000 0x00010000>;
				ranges = <0x0 0x100000 0x10000>;
				#address-cells = <1>;
				#size-cells = <1>;

				calib_partition: partition@0 {
					label = "calibration";
					reg = <0x0 0x8000>;
				};
				keys_partition: partition@8000 {
					label = "keys";
					reg = <0x8000 0x8000>;
				};
			};
			debug_partition: partition@110000 {
				label = "debug-log";
				reg = <0x00110000 0x00010000>;
				status = "disabled";
			};
		};
	};
};
]]

-- lineof returns the 1-based line of the first line of text holding s.
local function lineof(text, s)
  local n = 1
  for l in (text .. "\n"):gmatch("([^\n]*)\n") do
    if l:find(s, 1, true) then return n end
    n = n + 1
  end
  error("no line holds " .. s)
end

------------------------------------------------------------------------
print("== 1. The flash map")
local dev = flash.nor{size = 2 * 1024 * 1024, sector = 4096, write_block = 1}
local map = assert(flash.map(dev, DTS))

local areas = {}
for _, a in pairs(map) do areas[#areas + 1] = a end
table.sort(areas, function(x, y) return x.id < y.id end)
print(" id  label          offset    size      sectors")
for _, a in ipairs(areas) do
  print(("%3d  %-13s  0x%06x  0x%06x  %d x %d"):format(a.id, a.label, a.offset, a.size,
    #a:sectors(), a:sectors()[1].size))
end

local want = {                       -- label, id, offset, size
  {"mcuboot", 0, 0x000000, 0x0c000},
  {"image-0", 1, 0x00c000, 0x69000},
  {"image-1", 2, 0x075000, 0x69000},
  {"image-scratch", 3, 0x0de000, 0x1e000},
  {"storage", 4, 0x0fc000, 0x04000},
  {"factory", 5, 0x100000, 0x10000},
  {"calibration", 6, 0x100000, 0x08000}, -- reg 0x0 inside factory
  {"keys", 7, 0x108000, 0x08000},        -- reg 0x8000 inside factory
}
assert(#areas == #want, ("%d areas, want %d"):format(#areas, #want))
for _, w in ipairs(want) do
  local a = assert(map[w[1]], "no area " .. w[1])
  assert(a.id == w[2] and a.offset == w[3] and a.size == w[4],
    ("%s: id %d at 0x%x+0x%x, want id %d at 0x%x+0x%x"):format(w[1], a.id, a.offset, a.size, w[2], w[3], w[4]))
end
-- The disabled partition took id 8 but has no area.
assert(map["debug-log"] == nil, "a disabled partition must not open")
print("  debug-log: status = \"disabled\": no area (id 8 is skipped)")

------------------------------------------------------------------------
print("\n== 2. An application log on storage (FCB + CRC32 per record)")
local storage = map.storage
local secs = storage:sectors()
assert(#secs == 4 and secs[1].size == 4096, "storage is 4 sectors of 4 KiB")
local OPTS = {magic = 0x4c4f4731, version = 1} -- "LOG1"

-- u32le encodes n as 4 little-endian bytes; getu32le decodes them.
local function u32le(n)
  return string.char(n % 256, math.floor(n / 0x100) % 256, math.floor(n / 0x10000) % 256, math.floor(n / 0x1000000) % 256)
end
local function getu32le(s)
  local a, b, c, d = s:byte(1, 4)
  return a + b * 0x100 + c * 0x10000 + d * 0x1000000
end

-- A record is its text followed by the CRC32 of the text.
local function record(seq)
  local text = ("seq=%05d temp=%d.%d"):format(seq, 20 + seq % 7, seq % 10)
  return text .. u32le(check.crc32(text)), text
end

-- verify returns the record's text if its CRC32 matches, else nil.
local function verify(data)
  local text, crc = data:sub(1, -5), data:sub(-4)
  if #data < 4 or check.crc32(text) ~= getu32le(crc) then return nil end
  return text
end

local log = assert(fcb.new(storage, OPTS))
local N, rotations = 1000, 0
for seq = 1, N do
  local data = record(seq)
  local loc, msg, errno = log:push(data)
  if not loc and errno == -28 then   -- ENOSPC: the log is full
    assert(log:rotate())             -- drop the oldest sector
    rotations = rotations + 1
    loc, msg = log:push(data)
  end
  assert(loc, msg)
end
print(("  pushed %d records, %d rotations, %d free sector(s)"):format(N, rotations, log:free_sectors()))
assert(rotations > 0, "1000 records must not fit in 16 KiB without rotation")

-- walk reads every record back and checks its CRC32; returns the seqs.
local function walk(l)
  local seqs = {}
  assert(l:walk(function(e)
    local text = assert(verify(e.data), ("CRC32 mismatch in sector %d at 0x%x"):format(e.sector, e.area_off))
    seqs[#seqs + 1] = tonumber(text:match("^seq=(%d+)"))
  end))
  return seqs
end
local seqs = walk(log)
print(("  walk: %d records, seq %d .. %d, every CRC32 good"):format(#seqs, seqs[1], seqs[#seqs]))
assert(seqs[#seqs] == N, "the newest record must be the last one pushed")
for i = 2, #seqs do assert(seqs[i] == seqs[i - 1] + 1, "gap after seq " .. seqs[i - 1]) end
assert(#seqs > 300 and seqs[1] > 1, "rotation must have dropped the oldest records")

-- After a reboot (a fresh mount) the same records are there.
local again = assert(fcb.new(storage, OPTS))
local seqs2 = walk(again)
assert(#seqs2 == #seqs and seqs2[1] == seqs[1], "remount lost records")
print(("  remount: %d records, oldest seq %d"):format(#seqs2, seqs2[1]))

-- Only storage's four sectors were ever erased: the log stays inside its
-- partition. (Unit 252 is the first storage sector: 0xfc000 / 4096.)
local wear = dev:wear()
for unit, n in ipairs(wear) do
  local inside = unit - 1 >= 252 and unit - 1 < 256
  assert(inside or n == 0, ("unit %d outside storage was erased %d times"):format(unit - 1, n))
end
print(("  erases per storage sector: %d %d %d %d; none elsewhere"):format(wear[253], wear[254], wear[255], wear[256]))

------------------------------------------------------------------------
print("\n== 3. Broken layouts are refused with the line at fault")
-- storage grown into the factory area: overlapping siblings.
local overlap = DTS:gsub("reg = <0x000fc000 0x00004000>", "reg = <0x000fc000 0x00008000>")
local m, msg, errno = flash.map(dev, overlap)
print("  overlap: " .. msg)
assert(m == nil and errno == EINVAL, "an overlapping partition must be refused")
local at = lineof(overlap, "factory_partition: partition@100000")
assert(msg:find("line " .. at .. ":", 1, true) and msg:find('overlaps "storage"', 1, true),
  "the error must name line " .. at .. " and the partition it overlaps")

-- debug-log enabled and moved past the end of the 2 MiB device.
local outside = DTS:gsub('reg = <0x00110000 0x00010000>;%s*status = "disabled";', "reg = <0x001f8000 0x00010000>;")
m, msg, errno = flash.map(dev, outside)
print("  outside: " .. msg)
assert(m == nil and errno == EINVAL, "a partition past the device must be refused")
at = lineof(outside, "debug_partition: partition@110000")
assert(msg:find("line " .. at .. ":", 1, true) and msg:find("outside the device", 1, true),
  "the error must name line " .. at)

-- A typo: the missing ';' is reported on the line where it is noticed.
local typo = DTS:gsub('label = "keys";', 'label = "keys"')
m, msg, errno = flash.map(dev, typo)
print("  syntax:  " .. msg)
assert(m == nil and errno == EINVAL)
at = lineof(typo, 'label = "keys"')
assert(msg:find("line " .. at + 1 .. ":", 1, true), "the error must name line " .. at + 1)

print("\ndevicetree_map: all checks passed")
