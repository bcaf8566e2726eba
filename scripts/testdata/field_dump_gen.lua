-- field_dump_gen.lua: makes field_dump.bin and field_dump.jsonl, the field
-- dump and operation trace that scripts/field_dump.lua investigates.
-- flashemu: no-run
--
--   flashemu run scripts/testdata/field_dump_gen.lua [OUTDIR]
--
-- OUTDIR defaults to scripts/testdata. Deterministic: tests/field_dump_test.go
-- runs it into a scratch directory and requires byte-identical files.
--
-- The story: a sensor logger keeps records in a Zephyr FCB (magic 0, the
-- defaults of `flashemu fcb walk`) on a 16 KiB NOR with 4 KiB sectors and
-- byte writes. Each record is "rec NNNN t=TT.TC" followed by the CRC32 of
-- that text (4 bytes, little-endian) checked by the application. The power
-- dies while record 61's payload is being programmed (the first 40 % of it
-- lands, byte by byte); after the reboot the logger mounts the FCB again
-- and goes on to record 100. Then the board comes back from the field and
-- its flash is dumped. Every operation was traced.

local OUT = arg[1] or "scripts/testdata"
local DUMP, TRACE = OUT .. "/field_dump.bin", OUT .. "/field_dump.jsonl"

local function u32le(n)
  return string.char(n % 256, math.floor(n / 256) % 256, math.floor(n / 65536) % 256, math.floor(n / 16777216) % 256)
end

local function record(i)
  local body = ("rec %04d t=%04.1fC"):format(i, 20 + (i * 7 % 50) / 10)
  return body .. u32le(check.crc32(body))
end

local dev = flash.nor{size = 16 * 1024, sector = 4096, write_block = 1, seed = 7}
assert(dev:trace(TRACE))
local area = dev:area{label = "log"}
local log = assert(fcb.new(area, {version = 1}))

for i = 1, 60 do assert(log:push(record(i))) end

-- Record 61: the power dies during its payload write.
local data = record(61)
local loc = assert(log:append(#data))
faults.power_cut(dev, {after_ops = 1, fraction = 0.4, model = "prefix"})
local ok, err = pcall(area.write, area, loc.area_off, data)
assert(not ok and faults.is_power_loss(err), "the payload write should be cut")
faults.clear(dev)
dev:power_on()

-- The reboot: mount again (the torn entry is skipped) and keep logging.
log = assert(fcb.new(area, {version = 1}))
for i = 62, 100 do assert(log:push(record(i))) end

assert(dev:trace())
assert(dev:save(DUMP))
print(("wrote %s and %s"):format(DUMP, TRACE))
