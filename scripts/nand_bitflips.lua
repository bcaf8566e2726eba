-- nand_bitflips.lua: NAND bit errors, ECC, and what an application sees.
--
--   flashemu run scripts/nand_bitflips.lua [seed]
--
-- A 2 KiB-page SLC NAND (the geometry of Micron's MT29F1G08, 16 blocks of
-- it) with 4-bit ECC per 512-byte step, as 4-bit/512 B parts ask for. Each
-- page holds one application record protected by its own CRC32.
--
--   1. ECC's limit, bit by bit: up to 4 flipped bits in a step are corrected
--      (the read succeeds, dev:stats().ecc_corrected_bits grows); the 5th
--      makes the read fail with EBADMSG (-77). The raw bits come back as a
--      fourth value, and the record's CRC32 over them fails.
--   2. Retention: programmed bits leak back to the erased state as the chip
--      ages (faults.bitflips retention, faults.advance). A monthly scan reads
--      page by page like MTD's mtd_read and reports the corrected bits and the
--      worst step (max_bitflips), until ECC gives up and a record is lost.
--   3. The same chip, seed and ageing with scrubbing: when a step needs 3 or
--      more corrections (MTD's default bitflip_threshold for 4-bit ECC, where
--      mtd_read returns -EUCLEAN and UBI scrubs), the block is copied to a
--      fresh block and erased. No record is lost in twice the time.
--   4. Read disturb: a boot-config page read at every boot flips erased bits
--      in its block until ECC fails; scrubbing then saves the readable pages
--      only.
--   5. Zephyr's FCB cannot run here at all: its alignment field is a u8, so
--      a 2048-byte NAND page is refused (EINVAL). A NAND log needs its own
--      record format, like the CRC32 records used here.
--
-- What to look at: the month (or boot count) where ECC first corrects, where
-- the worst step reaches the scrub threshold, and where a page is lost; the
-- mtd ecc_stats line (dev:stats() ecc_corrected_bits / ecc_failed_steps).
--
-- Everything random comes from the seed printed first: the same seed gives
-- the same run. Every claim is asserted. With another seed the story is the
-- same; if a claim fails for it, that seed is a counter-example worth a look.

local SEED = math.floor(tonumber(arg[1] or "") or 8)
print(("seed=%d (run again with: flashemu run scripts/nand_bitflips.lua %d)"):format(SEED, SEED))

local PAGE, STEP, PPB, BLOCKS = 2048, 512, 64, 16
local STEPS = PAGE / STEP                  -- ECC steps per page
local BLOCK = PAGE * PPB                   -- erase block: 128 KiB
local ECC_BITS = 4
local THRESHOLD = 3                        -- MTD bitflip_threshold: 3/4 of 4 bits
local EBADMSG = -77
local MONTH = 30 * 24 * 3600 * 1000000000  -- ns
local N = 16                               -- record pages per block

-- chip makes a fresh NAND: the same seed gives the same chip.
local function chip()
  return flash.nand{page = PAGE, oob = 64, pages_per_block = PPB, blocks = BLOCKS,
                    ecc_bits = ECC_BITS, ecc_step = STEP, seed = SEED}
end

local function page_off(block, page) return block * BLOCK + page * PAGE end

------------------------------------------------------------------------
-- Application records: one per page, the text repeated to fill the page,
-- then the CRC32 of everything before it (4 bytes, little-endian).

local function u32le(n)
  return string.char(n % 256, math.floor(n / 0x100) % 256, math.floor(n / 0x10000) % 256, math.floor(n / 0x1000000) % 256)
end

local function record(seq)
  local line = ("record %05d: pump=%d flow=%d.%d l/min; "):format(seq, seq % 4, 10 + seq % 13, seq % 10)
  local body = line:rep(math.ceil((PAGE - 4) / #line)):sub(1, PAGE - 4)
  return body .. u32le(check.crc32(body))
end

-- seq_of returns the record's number if its CRC32 matches, else nil.
local function seq_of(page)
  local body = page:sub(1, -5)
  if #page ~= PAGE or u32le(check.crc32(body)) ~= page:sub(-4) then return nil end
  return tonumber(body:match("^record (%d+):"))
end

local function write_records(dev, block, first, n)
  for i = 0, n - 1 do assert(dev:write(page_off(block, i), record(first + i))) end
end

-- read_page reads a page the way MTD does, one ECC step at a time: on
-- success the data and max_bitflips (the most bits corrected in one step);
-- on an uncorrectable step nil, message, errno (-77) and the raw page.
local function read_page(dev, block, page)
  local off, parts, maxbf, fail = page_off(block, page), {}, 0, nil
  for s = 0, STEPS - 1 do
    local before = dev:stats().ecc_corrected_bits
    local data, msg, errno, raw = dev:read(off + s * STEP, STEP)
    if data then
      parts[#parts + 1] = data
      maxbf = math.max(maxbf, dev:stats().ecc_corrected_bits - before)
    else
      assert(errno == EBADMSG, msg)
      parts[#parts + 1] = raw
      fail = fail or {msg, errno}
    end
  end
  if fail then return nil, fail[1], fail[2], table.concat(parts) end
  return table.concat(parts), maxbf
end

-- scan reads the n record pages of a block: the bits corrected, the worst
-- step, and the pages ECC could not correct. A page that ECC passes must
-- also pass its CRC32.
local function scan(dev, block, n)
  local r = {bits = 0, worst = 0, bad = {}}
  for p = 0, n - 1 do
    local before = dev:stats().ecc_corrected_bits
    local data, bf, errno, raw = read_page(dev, block, p)
    if data then
      assert(seq_of(data), ("block %d page %d: ECC said good but the CRC32 fails"):format(block, p))
      r.worst = math.max(r.worst, bf)
      r.bits = r.bits + dev:stats().ecc_corrected_bits - before
    else
      r.bad[#r.bad + 1] = {page = p, msg = bf, errno = errno, raw = raw}
    end
  end
  return r
end

-- copy_block is a scrub: it copies every page ECC can still read from one
-- block to a freshly erased one, then erases the old block. It returns the
-- pages it could not save.
local function copy_block(dev, from, to, n)
  assert(dev:erase(to * BLOCK, BLOCK))
  local lost = {}
  for p = 0, n - 1 do
    local page, _, errno = read_page(dev, from, p)
    if page then
      assert(dev:write(page_off(to, p), page))
    else
      assert(errno == EBADMSG)
      lost[#lost + 1] = p
    end
  end
  assert(dev:erase(from * BLOCK, BLOCK))
  return lost
end

local function ecc_stats(dev)
  local st = dev:stats()
  return ("mtd ecc_stats: corrected=%d failed=%d"):format(st.ecc_corrected_bits, st.ecc_failed_steps)
end

------------------------------------------------------------------------
print("\n== 1. ECC's limit: 4 bits per 512-byte step")
local dev = chip()
print("  " .. tostring(dev))
write_records(dev, 0, 1, 1)
local good = assert(read_page(dev, 0, 0))
for bit = 1, ECC_BITS do
  faults.flip(dev, 100 + bit * 7, bit % 8) -- all in step 0 of page 0
  local data, bf = read_page(dev, 0, 0)
  print(("  %d flipped bit(s): read ok, max_bitflips %d, record intact: %s"):format(bit, bf, tostring(data == good)))
  assert(data == good and bf == bit, "ECC must correct up to 4 bits in a step")
end
faults.flip(dev, 300, 3)                        -- a 5th bit in step 0
local data, msg, errno, raw = read_page(dev, 0, 0)
print(("  5 flipped bits: %s, %s, errno %s"):format(tostring(data), msg, tostring(errno)))
assert(data == nil and errno == EBADMSG, "5 bits in one step must be uncorrectable")
assert(seq_of(raw) == nil, "the CRC32 must reject the raw page")
assert(dev:read(STEP, 3 * STEP), "the page's other steps must still read")
print("  the raw page comes back with the error and fails its CRC32; steps 1-3 still read")
assert(dev:erase(0, BLOCK))                     -- an erase clears the errors
write_records(dev, 0, 1, 1)
assert(read_page(dev, 0, 0) == good, "erase and rewrite must give a clean page")
print("  after erase and rewrite the page reads clean; " .. ecc_stats(dev))

------------------------------------------------------------------------
-- age runs a chip with retention loss for up to months, scanning its
-- records monthly; with scrub it copies the block when the worst step
-- reaches THRESHOLD. It returns what happened.
-- Retention: each block has leak events at random, on average RETENTION
-- per second since it was programmed (more on worn blocks; see
-- faults.bitflips); an event turns a random bit of the block back to erased
-- if it was programmed. 5e-6/s is about 13 events a month per block.
local RETENTION = 0.000005
local function age(months, scrub)
  local d = chip()
  faults.bitflips(d, {retention = RETENTION, seed = SEED})
  local where, spare = 1, 2
  write_records(d, where, 1, N)
  local out = {scrubs = 0}
  local last_worst = 0
  for m = 1, months do
    faults.advance(d, MONTH)
    local r = scan(d, where, N)
    if r.bits > 0 and not out.first_corrected then out.first_corrected = m end
    if r.worst >= THRESHOLD and not out.first_threshold then out.first_threshold = m end
    if not scrub and (r.worst ~= last_worst or #r.bad > 0 or m % 12 == 0) then
      print(("  month %3d: %3d bits corrected, worst step %d/%d, uncorrectable pages %d"):format(
        m, r.bits, r.worst, ECC_BITS, #r.bad))
      last_worst = r.worst
    end
    if #r.bad > 0 then
      out.month, out.lost = m, r.bad[1]
      break
    end
    if scrub and r.worst >= THRESHOLD then
      assert(#copy_block(d, where, spare, N) == 0)
      -- Not "where, spare = spare, where": gopher-lua gets a swap of two
      -- locals wrong (both end up equal; yuin/gopher-lua#440).
      local old = where
      where = spare
      spare = old
      out.scrubs = out.scrubs + 1
      print(("  month %3d: worst step %d/%d: block copied to block %d, old block erased"):format(
        m, r.worst, ECC_BITS, where))
    end
  end
  out.dev, out.block = d, where
  return out
end

print("\n== 2. Retention: the chip ages, nobody scrubs")
local plain = age(120, false)
assert(plain.first_corrected and plain.lost, "ageing must first need ECC, then defeat it")
assert(plain.first_threshold and plain.first_threshold < plain.month, "ECC must correct silently before it fails")
print(("  ECC first corrected in month %d, reached %d/%d in month %d; page %d lost in month %d:"):format(
  plain.first_corrected, THRESHOLD, ECC_BITS, plain.first_threshold, plain.lost.page, plain.month))
print(("    %s (errno %d); the raw page's CRC32: %s"):format(plain.lost.msg, plain.lost.errno,
  seq_of(plain.lost.raw) and "good" or "bad"))
assert(plain.lost.errno == EBADMSG and seq_of(plain.lost.raw) == nil, "the application sees EBADMSG and a bad CRC32")
print("  " .. ecc_stats(plain.dev))

print("\n== 3. The same chip and seed, scrubbed at " .. THRESHOLD .. " corrected bits in a step")
local scrubbed = age(2 * plain.month, true)
assert(not scrubbed.lost, "scrubbing must keep every record")
assert(scrubbed.scrubs > 0 and scrubbed.first_threshold == plain.first_threshold,
  "the scrubbing run must see the same errors until its first scrub")
for p = 0, N - 1 do
  assert(seq_of(assert(read_page(scrubbed.dev, scrubbed.block, p))) == p + 1, "record moved wrongly")
end
local wear = scrubbed.dev:wear()
print(("  %d months, %d scrubs, all %d records intact; erases of blocks 1 and 2: %d, %d"):format(
  2 * plain.month, scrubbed.scrubs, N, wear[2], wear[3]))

------------------------------------------------------------------------
print("\n== 4. Read disturb: a config page read at every boot")
local boot = chip()
-- Read disturb: each read of a block flips one of its erased bits with
-- probability 0.03 (growing with the reads since its erase; see
-- faults.bitflips).
faults.bitflips(boot, {read_disturb = 0.03, seed = SEED})
local CFG = 4                                   -- block 4: page 0 is the config
write_records(boot, CFG, 1001, N)
local boots, worst_seen, lost = 0, 0, nil
while boots < 200000 do
  for _ = 1, 200 do                             -- 200 boots read the config
    boots = boots + 1
    local ok, msg, errno = boot:read(page_off(CFG, 0), PAGE)
    if not ok then assert(errno == EBADMSG, msg) break end -- the scan reports it
  end
  local r = scan(boot, CFG, N)
  if r.worst > worst_seen or #r.bad > 0 then
    worst_seen = math.max(worst_seen, r.worst)
    print(("  %6d boots: %3d bits corrected, worst step %d/%d, uncorrectable pages %d"):format(
      boots, r.bits, r.worst, ECC_BITS, #r.bad))
  end
  if #r.bad > 0 then lost = r.bad break end
end
assert(lost and worst_seen >= THRESHOLD, "read disturb must first need ECC, then defeat it")
-- Scrubbing now saves what ECC can still correct; the rest is gone (the
-- scrub's own reads disturb too, so it may lose a page more than the scan).
local gone = copy_block(boot, CFG, 5, N)
assert(#gone >= #lost, "the scrub cannot save an uncorrectable page")
faults.clear(boot)                              -- look at the copy as written
local saved = 0
for p = 0, N - 1 do
  local page, bf = assert(read_page(boot, 5, p))
  assert(bf == 0, "the fresh copy must read without corrections")
  if seq_of(page) == 1001 + p then
    saved = saved + 1
  else
    assert(page == ("\255"):rep(PAGE), "a lost record's page must be left erased")
  end
end
assert(saved == N - #gone, "the copy must hold every record the scrub could read")
print(("  scrubbed late: %d of %d records saved, %d lost; the copy reads clean"):format(saved, N, #gone))
print("  " .. ecc_stats(boot) .. " (the config page's own corrections count at every boot)")

------------------------------------------------------------------------
print("\n== 5. Zephyr's FCB on NAND")
local log, fmsg, ferrno = fcb.new(dev:area{offset = 8 * BLOCK, size = 4 * BLOCK}, {magic = 0x4e414e44})
print(("  fcb.new on a NAND area: %s (%d)"):format(fmsg, ferrno))
assert(log == nil and ferrno == -22, "FCB's u8 alignment cannot hold a 2048-byte page")

print("\nnand_bitflips: all checks passed")
