-- fcb_log_powercut.lua: an FCB log with rotation under load, swept with a
-- power cut at every point — and what that finds in Zephyr's FCB.
--
--   flashemu run   scripts/fcb_log_powercut.lua          (self-checking; CI runs it)
--   flashemu sweep scripts/fcb_log_powercut.lua          (the same sweeps, CLI report)
--   flashemu sweep scripts/fcb_log_powercut.lua --name unit$ --report fcb.html
--   flashemu sweep scripts/fcb_log_powercut.lua --only ID --dump out/   (one branch)
--
-- The workload appends ENTRIES records to a 3-sector FCB on an nRF52840
-- (4 KiB pages, 4-byte words). A record is "seq=NNNNN;", filler of varying
-- length and the CRC32 of both. When the log is full (ENOSPC) the oldest
-- sector is rotated away under load and the append retried. ack(seq) tells
-- the sweep that a record is durable (log:push returned); before a rotation
-- the workload acknowledges "drop:K": records below K may go from now on.
--
-- The check powers up, mounts the FCB (fcb_init) and walks it: every entry
-- must be a record with a correct CRC32, seqs only grow, no entry runs ahead
-- of the last acknowledged record by more than the one in flight (no
-- phantom), and every acknowledged record not yet allowed to drop is there.
--
-- What to look at:
--   1. cuts = "op" (before and after every flash operation): every branch
--      recovers every acknowledged record.
--   2. cuts = "unit" (inside every program and erase: each 4-byte word torn,
--      erases stopped part-way): the failures are Zephyr's real weaknesses.
--      The script sorts them into classes, prints a reproduction ID for each
--      and asserts there is no other kind of failure — never an
--      acknowledged record lost or corrupted while the FCB mounts:
--        ENOMSG  a cut inside a sector header (a new sector being opened, or
--                the rotation's erase of the oldest one) leaves a header that
--                Zephyr takes for a foreign sector: fcb_init fails.
--        EIO     a torn length byte reads as a 2-byte length pointing past
--                the sector: fcb_init fails too.
--        CRC-8   the record in flight was torn, yet its bits pass FCB's
--                8-bit CRC (1 in 256): FCB hands out garbage, which only the
--                application's own CRC32 catches.
--   3. The same failing branches, replayed with a check that mounts with
--      fcb.new(area, {repair = true}) and skips a torn last record failing
--      its CRC32, recover every acknowledged record.

local SECTOR, SECTORS = 4096, 3
local ENTRIES = 240
local OPTS = {magic = 0x464c4f47, version = 1}
local REPAIR = {magic = 0x464c4f47, version = 1, repair = true}

local filler = ("abcdefghijklmnopqrstuvwxyz0123456789"):rep(4)

-- u32le packs a CRC32 as 4 little-endian bytes.
local function u32le(n)
  return string.char(n % 256, math.floor(n / 256) % 256, math.floor(n / 65536) % 256, math.floor(n / 16777216) % 256)
end

-- record returns the payload of record seq: 16..111 bytes (1-byte FCB
-- lengths), so that sectors fill up at different points.
local function record(seq)
  local body = ("seq=%05d;"):format(seq) .. filler:sub(1, 2 + (seq * 37) % 96)
  return body .. u32le(check.crc32(body))
end

-- parse returns the seq of a record whose CRC32 is right, else nil.
local function parse(data)
  if #data < 14 then return nil end
  local a, b, c, d = data:byte(-4, -1)
  if check.crc32(data:sub(1, -5)) ~= a + b * 256 + c * 65536 + d * 16777216 then return nil end
  if data:sub(1, 4) ~= "seq=" then return nil end
  return tonumber(data:sub(5, 9))
end

local function device()
  return flash.chip("nrf52840", {size = SECTOR * SECTORS})
end

local function log_area(dev)
  return dev:area{label = "log", offset = 0, size = SECTOR * SECTORS}
end

local function workload(dev, ack)
  local log = assert(fcb.new(log_area(dev), OPTS))
  local sector_of = {} -- seq -> FCB sector, for the records still there
  for seq = 1, ENTRIES do
    local data = record(seq)
    local loc, msg, errno = log:push(data)
    if not loc and errno == -28 then -- ENOSPC: rotate under load
      local oldest = log:state().oldest_sector
      local keep = seq
      for s, sec in pairs(sector_of) do
        if sec == oldest then
          sector_of[s] = nil
        elseif s < keep then
          keep = s
        end
      end
      ack("drop:" .. keep) -- records below keep may go now
      assert(log:rotate())
      loc, msg = log:push(data)
    end
    assert(loc, msg)
    sector_of[seq] = loc.sector
    ack(seq) -- push returned: the record is durable
  end
end

-- verify checks the log on a freshly powered device. mount_opts chooses
-- Zephyr's behaviour or repair mode; torn_tail_ok lets a last entry that
-- fails its CRC32 (a torn record in flight) be skipped.
local function verify(dev, acked, mount_opts, torn_tail_ok)
  local log, msg, errno = fcb.new(log_area(dev), mount_opts)
  if not log then
    error(("fcb_init failed: %s [errno %d]"):format(msg, errno), 0)
  end
  local last, keep = 0, 1
  for _, v in ipairs(acked) do
    if type(v) == "number" then
      last = v
    else
      keep = tonumber(v:match("^drop:(%d+)$"))
    end
  end
  -- (Messages are formatted only on failure: a check runs thousands of times.)
  local prev, seen, torn = 0, {}, nil
  for e in log:entries() do
    if torn then
      error(("entry at offset %d follows a torn entry at offset %d"):format(e.area_off, torn))
    end
    local seq = parse(e.data)
    if not seq then
      if not torn_tail_ok then
        error(("torn record accepted by FCB's CRC-8: entry at offset %d fails its CRC32 (last acknowledged %d)"):format(e.area_off, last), 0)
      end
      torn = e.area_off
    elseif seq <= prev then
      error(("record %d after record %d"):format(seq, prev))
    elseif seq > last + 1 then
      error(("phantom record %d (last acknowledged %d)"):format(seq, last))
    else
      seen[seq], prev = true, seq
    end
  end
  for seq = keep, last do
    if not seen[seq] then
      error(("acknowledged record %d lost (%d acknowledged, records below %d may drop)"):format(seq, last, keep))
    end
  end
end

local function define(name, cuts, mount_opts, torn_tail_ok)
  sweep.define(name, {
    device = device,
    workload = workload,
    check = function(dev, acked) verify(dev, acked, mount_opts, torn_tail_ok) end,
    cuts = cuts,
    seed = 1,
  })
end

define("fcb_log_op", "op", OPTS, false)
define("fcb_log_unit", "unit", OPTS, false)
define("fcb_log_unit_repair", "unit", REPAIR, true)

-- 1. Atomic operations: every branch recovers every acknowledged record.
local op = sweep.run("fcb_log_op")
print(("op cuts: %d operations, %d branches checked, %d failed (%.0f branches/s)"):format(
  op.workload_ops, op.checked, op.failed, op.branches_per_second))
for i, f in ipairs(op.failures) do
  if i > 5 then print(("  ... and %d more"):format(#op.failures - 5)) break end
  print("  " .. f.id .. "  " .. f.error)
end
assert(op.ok, "op cuts: a branch lost an acknowledged record")

-- 2. Torn words: sort the failures into classes.
local unit = sweep.run("fcb_log_unit")
print(("unit cuts: %d branches checked, %d failed"):format(unit.checked, unit.failed))
local classes = {
  {name = "ENOMSG", what = "torn sector header: fcb_init fails", pattern = "^fcb_init failed: .*%[errno %-35%]$"},
  {name = "EIO", what = "torn length past the sector: fcb_init fails", pattern = "^fcb_init failed: .*%[errno %-5%]$"},
  {name = "CRC-8", what = "torn record passes FCB's CRC-8", pattern = "^torn record accepted by FCB's CRC%-8"},
}
for _, c in ipairs(classes) do c.ids = {} end
for _, f in ipairs(unit.failures) do
  local class
  for _, c in ipairs(classes) do
    if f.error:match(c.pattern) then class = c break end
  end
  -- Anything else (an acknowledged record lost or corrupted while the FCB
  -- mounts, a phantom) would be silent data loss: fail loudly.
  assert(class, "unit cuts: unexpected failure " .. f.id .. "  " .. f.error)
  table.insert(class.ids, f.id)
end
for _, c in ipairs(classes) do
  if #c.ids > 0 then
    print(("  %-6s %-45s %4d branches, e.g. --only %s"):format(c.name, c.what, #c.ids, c.ids[1]))
  end
end
assert(#classes[1].ids > 0, "expected the torn-sector-header (ENOMSG) weakness")

-- 3. Repair mode (and the application's CRC32) recover every acknowledged
-- record in exactly those branches: replay each with the repairing check.
for _, f in ipairs(unit.failures) do
  local id = "fcb_log_unit_repair" .. f.id:sub(#"fcb_log_unit" + 1)
  local r = sweep.run("fcb_log_unit_repair", {only = id})
  assert(r.ok, ("repair mode did not recover %s: %s"):format(id, r.error))
end
print(("repair mode: all %d failing branches recover every acknowledged record"):format(#unit.failures))
