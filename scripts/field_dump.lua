-- field_dump.lua: investigate a flash dump that came back from the field.
--
--   flashemu run scripts/field_dump.lua [DUMP [TRACE]]
--
-- DUMP (default scripts/testdata/field_dump.bin, next to this script) is a
-- raw 16 KiB NOR image holding a Zephyr FCB log (4 KiB sectors, magic 0:
-- the defaults of the CLI walker); TRACE (default DUMP with .jsonl) is the
-- operation trace recorded while the device ran (dev:trace or --trace).
-- scripts/testdata/field_dump_gen.lua made both; its header tells the story.
--
-- The same walk from the command line:
--
--   flashemu fcb walk scripts/testdata/field_dump.bin --sector-size 4096 --json
--
-- Steps, each asserted:
--   1. walk the FCB from Lua and check every record's application CRC32;
--   2. find the damaged entry: the sequence has a hole, and between its
--      neighbours sits an entry FCB skipped (its CRC-8 never got written)
--      whose payload is torn (its CRC32 does not match);
--   3. find in the trace the operation that tore it (a cut program);
--   4. replay the trace up to just before that operation on a fresh device:
--      that is the flash as it was before the damage, and it holds every
--      record up to the hole;
--   5. replay the whole trace: it differs from the dump only in the bytes
--      the torn program left (a cut's partial result is not in the trace).

local here = (arg[0] or ""):match("^(.*)[/\\]") or "."
local DUMP = arg[1] or here .. "/testdata/field_dump.bin"
local TRACE = arg[2] or DUMP:gsub("%.bin$", "") .. ".jsonl"
local SECTOR = 4096

local function u32le(n)
  return string.char(n % 256, math.floor(n / 256) % 256, math.floor(n / 65536) % 256, math.floor(n / 16777216) % 256)
end

-- Records are "rec NNNN t=TT.TC" followed by the CRC32 of that text.
local function parse(data)
  local body, crc = data:sub(1, -5), data:sub(-4)
  local n = body:match("^rec (%d%d%d%d)")
  return n and tonumber(n), u32le(check.crc32(body)) == crc, body
end

-- 1. Walk the dump's FCB.
local dump = assert(flash.load(DUMP, {sector = SECTOR, write_block = 1}))
print(("dump: %s, %s"):format(DUMP, tostring(dump)))
print(("CLI:  flashemu fcb walk %s --sector-size %d --json"):format(DUMP, SECTOR))
local log = assert(fcb.new(dump:area{label = "log"}, {version = 1}))
local entries = {}
assert(log:scan(function(data, sector, elem_off, area_off)
  local seq, ok, body = parse(data)
  assert(seq and ok, ("entry at %d: application CRC32 mismatch (%q)"):format(area_off, body))
  entries[#entries + 1] = {seq = seq, sector = sector, elem_off = elem_off, area_off = area_off, len = #data}
end))
print(("walked %d entries, every CRC32 good: rec %04d .. rec %04d"):format(#entries, entries[1].seq, entries[#entries].seq))

-- 2. The hole in the sequence, and the entry FCB skipped there.
local before, after
for i = 2, #entries do
  if entries[i].seq ~= entries[i - 1].seq + 1 then
    assert(not before, "more than one hole in the sequence")
    before, after = entries[i - 1], entries[i]
  end
end
assert(before, "no hole in the sequence: nothing was lost")
local missing = before.seq + 1
assert(after.seq == missing + 1, "more than one record missing")
-- The skipped entry starts where its predecessor ends: payload + CRC-8 byte.
local torn_elem = before.area_off + before.len + 1
local next_elem = after.sector * SECTOR + after.elem_off
assert(torn_elem < next_elem, "no room between the neighbours")
local raw = dump:read(torn_elem, next_elem - torn_elem)
local len = raw:byte(1) -- one length byte for entries under 128 bytes
local payload, crc8 = raw:sub(2, 1 + len), raw:byte(2 + len)
local programmed = #(payload:match("^(.-)\255*$"))
assert(1 + len + 1 == #raw, "the gap is exactly one entry")
assert(crc8 == 0xff, "the CRC-8 of the torn entry was written")
local _, crc_ok = parse(payload)
assert(not crc_ok, "the torn payload passes its CRC32")
print(("rec %04d is missing: FCB skipped the entry at area offset %d (length %d, %d of %d payload bytes programmed, CRC-8 byte still erased)"):format(
  missing, torn_elem, len, programmed, len))
print(("  torn payload %q: CRC32 %s"):format(payload:sub(1, programmed), crc_ok and "good" or "bad"))

-- 3. The operation that tore it.
local recs = assert(flash.read_trace(TRACE))
local cut
for _, r in ipairs(recs) do
  if r.errno == -5 and r.fault and not r.applied then
    assert(not cut, "more than one cut in the trace")
    cut = r
  end
end
assert(cut, "no power cut in the trace")
assert(cut.op == "program" and cut.off == torn_elem + 1 and cut.len == len,
  ("the cut operation (%s at %d+%d) is not the torn payload write"):format(cut.op, cut.off, cut.len))
assert(parse(cut.data) == missing, "the cut write carried another record")
print(("trace: %d operations; op %d (t=%.3f ms) programmed rec %04d's payload at %d when the power was cut:"):format(
  #recs, cut.seq, cut.start_ns / 1e6, missing, cut.off))
print("  " .. (cut.fault:match("[^;]*cut during[^;]*") or cut.fault):gsub("^%s+", ""))

-- 4. The flash just before the damage.
local function fresh() return flash.nor{size = dump:info().size, sector = SECTOR, write_block = 1} end
local prior = fresh()
local applied = assert(flash.replay(prior, TRACE, {before = cut.seq}))
local plog = assert(fcb.new(prior:area{}, {version = 1}))
local last, count = nil, 0
assert(plog:scan(function(data) last = parse(data); count = count + 1 end))
assert(last == missing - 1 and count == missing - 1,
  ("before the cut the log should end at rec %04d, it ends at %s"):format(missing - 1, tostring(last)))
assert(prior:read(0, torn_elem + 1) == dump:read(0, torn_elem + 1), "the flash before the cut differs from the dump before the torn payload")
print(("replayed %d operations before op %d: rec 0001 .. rec %04d, the torn entry's length byte written, its payload not yet"):format(
  applied, cut.seq, last))

-- 5. The whole trace: the dump minus the torn bytes.
local full = fresh()
assert(flash.replay(full, TRACE))
local a, b = full:dump(), dump:dump()
local diff = {}
for i = 1, #a do
  if a:byte(i) ~= b:byte(i) then diff[#diff + 1] = i - 1 end
end
assert(#diff > 0 and #diff <= programmed, ("%d bytes differ, the torn program wrote %d"):format(#diff, programmed))
assert(diff[1] >= cut.off and diff[#diff] < cut.off + programmed, "bytes outside the torn payload differ")
print(("replayed the whole trace: it matches the dump except %d bytes at %d..%d, the torn program's partial result"):format(
  #diff, diff[1], diff[#diff]))
