-- wear_endurance.lua: how long does a log live on worn flash?
--
--   flashemu run scripts/wear_endurance.lua [OUTDIR] [ENDURANCE] [SPREAD] [SEED] [WORKLOAD]
--
-- A small NOR (8 x 4 KiB sectors, 4-byte words) whose sectors wear out:
-- each survives ENDURANCE (default 300) erase cycles +/- SPREAD (default
-- 0.2 = 20 %, drawn per sector from SEED, default 1); the erase after that
-- fails with EIO (faults.wear, mode "erase_fail"). A workload hammers the
-- flash until the first erase failure:
--
--   fcb       (default) an FCB log used as a ring: push 400-byte records,
--             rotate the oldest sector away when no free sector is left;
--   settings  a settings store rewriting 4 keys of 900 bytes (compaction
--             copies the live values forward, then erases);
--   naive     the FCB ring on sectors 1-7 plus a configuration record
--             rewritten in place in sector 0 (erase + write) every 8
--             records: a hot spot that wears out long before the ring;
--
-- or your own: add a function to WORKLOADS below. It reports the erase
-- counts per sector, the cycles to the first failure, the simulated time
-- (dev:clock()) and the records written, and writes into OUTDIR (default
-- out/wear_endurance, relative to the working directory):
--
--   wear.csv        unit,offset,size,erases at the first failure
--   wear.svg        the same as a heatmap (report.wear)
--   flash.bin       the flash at the first failure, with flash.bin.json (its
--                   wear and clock): flashemu wear OUTDIR/flash.bin
--   endurance.svg   the endurance curve: sectors failed against erase
--                   cycles, measured by erasing a fresh copy of the chip
--                   sector by sector until every sector has failed
--
-- Self-checks (the script fails if one does not hold): the failing sector
-- fails at its own endurance; with a levelled workload (fcb, settings)
-- that is the weakest sector's, and for fcb the wear is level across the
-- ring (max - min <= 1); with naive it is sector 0, long before the rest;
-- every sector's endurance is within the spread, and the files hold what
-- dev:wear() says.

local OUT = arg[1] or "out/wear_endurance"
local ENDURANCE = tonumber(arg[2] or "300")
local SPREAD = tonumber(arg[3] or "0.2")
local SEED = tonumber(arg[4] or "1")
local WORKLOAD = arg[5] or "fcb"
local SECTOR, SECTORS = 4096, 8

local function new_device()
  local dev = flash.nor{size = SECTORS * SECTOR, sector = SECTOR, write_block = 4, seed = SEED}
  faults.wear(dev, {endurance = ENDURANCE, spread = SPREAD, mode = "erase_fail", seed = SEED})
  return dev
end

-- Each workload runs until a flash operation fails and returns the number
-- of records it wrote and the error (msg, errno) that stopped it.
local WORKLOADS = {}

function WORKLOADS.fcb(dev)
  local log = assert(fcb.new(dev:area{label = "log"}, {magic = 0x57454152, version = 1}))
  local record = ("x"):rep(400)
  local n = 0
  while true do
    if log:free_sectors() == 0 then
      local ok, msg, errno = log:rotate()
      if not ok then return n, msg, errno end
    end
    local loc, msg, errno = log:push(("%08d"):format(n) .. record)
    if not loc then return n, msg, errno end
    n = n + 1
  end
end

function WORKLOADS.naive(dev)
  local log = assert(fcb.new(dev:area{label = "log", offset = SECTOR, size = (SECTORS - 1) * SECTOR}, {magic = 0x57454152, version = 1}))
  local record = ("x"):rep(400)
  local n = 0
  while true do
    if n % 8 == 0 then -- the configuration, rewritten in place
      local ok, msg, errno = dev:erase(0, SECTOR)
      if not ok then return n, msg, errno end
      assert(dev:write(0, ("config %08d\n"):format(n))) -- 16 bytes: whole words
    end
    if log:free_sectors() == 0 then
      local ok, msg, errno = log:rotate()
      if not ok then return n, msg, errno end
    end
    local loc, msg, errno = log:push(("%08d"):format(n) .. record)
    if not loc then return n, msg, errno end
    n = n + 1
  end
end

function WORKLOADS.settings(dev)
  local store = assert(settings.fcb(dev:area{label = "settings"}))
  local value = ("v"):rep(900)
  local n = 0
  while true do
    local ok, msg, errno = store:save("key" .. n % 4, ("%08d"):format(n) .. value)
    if not ok then return n, msg, errno end
    n = n + 1
  end
end

local workload = WORKLOADS[WORKLOAD]
if not workload then error("unknown workload " .. WORKLOAD .. " (fcb, settings, naive)") end

-- 1. Hammer until the first erase failure.
local dev = new_device()
local records, msg, errno = workload(dev)
local wear = dev:wear()
local worn = {}
for _, e in ipairs(faults.events(dev)) do
  if e.what == "worn" then worn[#worn + 1] = e end
end
assert(errno == -5 and #worn == 1, ("the workload should stop at one worn-out erase, got %s (%s), %d worn events"):format(msg, errno, #worn))
local failed_unit = dev:unit_at(worn[1].off)
-- The failed erase counts as a cycle too: the sector completed one less.
local cycles = wear[failed_unit + 1] - 1

local min, max, total = math.huge, 0, 0
for _, c in ipairs(wear) do
  min, max, total = math.min(min, c), math.max(max, c), total + c
end
print(("%s on %s: %d records written, first erase failure at sector %d after %d completed cycles"):format(
  WORKLOAD, tostring(dev), records, failed_unit, cycles))
print(("simulated time %.1f s (%d erases, %d writes); wear min %d, max %d, mean %.1f"):format(
  dev:clock() / 1e9, dev:stats().erases, dev:stats().writes, min, max, total / #wear))
print("erase counts per sector: " .. table.concat(wear, " "))

-- 2. The endurance curve: a fresh copy of the chip (same seed: same
-- endurance per sector), each sector erased until it fails; a sector's
-- endurance is the number of erases it completed.
local fresh = new_device()
local endurance = {}
for u = 0, SECTORS - 1 do
  local n = 0
  while fresh:erase(u * SECTOR, SECTOR) do n = n + 1 end
  endurance[u + 1] = n
end
local sorted = {}
for i, n in ipairs(endurance) do sorted[i] = n end
table.sort(sorted)
local points = {{0, 0}}
for k, n in ipairs(sorted) do
  points[#points + 1] = {n, k - 1}
  points[#points + 1] = {n, k}
end
print("endurance per sector: " .. table.concat(endurance, " "))

-- 3. Reports.
assert(dev:wear_report{svg = OUT .. "/wear.svg", csv = OUT .. "/wear.csv", endurance = sorted[1],
  title = WORKLOAD .. " workload, 8 x 4 KiB"})
assert(dev:save(OUT .. "/flash.bin", {sidecar = true}))
assert(report.curve{svg = OUT .. "/endurance.svg", points = points,
  title = ("endurance %d +/- %d %%, seed %d"):format(ENDURANCE, SPREAD * 100, SEED),
  x_label = "erase cycles", y_label = "sectors failed"})
print("wrote " .. OUT .. "/wear.csv, wear.svg, endurance.svg, flash.bin")

-- 4. Self-checks.
local lo, hi = math.floor(ENDURANCE * (1 - SPREAD)), math.ceil(ENDURANCE * (1 + SPREAD))
for u, n in ipairs(endurance) do
  assert(n >= lo and n <= hi, ("sector %d endures %d cycles, outside [%d, %d]"):format(u - 1, n, lo, hi))
end
assert(cycles == endurance[failed_unit + 1],
  ("sector %d failed after %d cycles, but endures %d"):format(failed_unit, cycles, endurance[failed_unit + 1]))
if WORKLOAD == "naive" then
  assert(failed_unit == 0, "the hot configuration sector should fail first, not sector " .. failed_unit)
  for u = 2, SECTORS do
    assert(wear[u] * 4 < wear[1], ("sector %d wore %d times, the hot spot only %d"):format(u - 1, wear[u], wear[1]))
  end
else
  assert(cycles == sorted[1], ("the first failure came at %d cycles, the weakest sector endures %d"):format(cycles, sorted[1]))
end
if WORKLOAD == "fcb" then
  assert(max - min <= 1, ("an FCB ring wears evenly: min %d, max %d"):format(min, max))
end
assert(dev:clock() > 0 and dev:clock() >= dev:stats().erase_ns, "simulated time covers the erases")
local _, csv = dev:wear_report{}
local rows = 0
for unit, offset, size, erases in csv:gmatch("(%d+),(%d+),(%d+),(%d+)\n") do
  rows = rows + 1
  assert(tonumber(erases) == wear[tonumber(unit) + 1] and tonumber(offset) == tonumber(unit) * SECTOR and tonumber(size) == SECTOR,
    "CSV row " .. unit .. " does not match dev:wear()")
end
assert(rows == SECTORS, "CSV has " .. rows .. " rows")
