-- dfu_powercut.lua: a firmware update that survives a power cut anywhere.
--
--   flashemu run   scripts/dfu_powercut.lua                  (self-checking; CI runs it)
--   flashemu sweep scripts/dfu_powercut.lua                  (the same sweeps, CLI report)
--   flashemu sweep scripts/dfu_powercut.lua --name nrf --report dfu.html
--   flashemu sweep scripts/dfu_powercut.lua --only ID --dump out/   (one branch, with images)
--
-- What it shows: a 256 KiB firmware image arrives in 1 KiB packets and is
-- streamed with streamflash (erase on demand, a 512-byte buffer, as MCUboot's
-- img_mgmt does) into the secondary slot. Every 16 KiB the stream's progress
-- (bytes_written) is saved to a settings store on an FCB in another flash
-- area, and acknowledged: ack(bytes) says "the update may resume from here".
--
-- The sweep cuts the power before and after every flash operation of the
-- download — every page erase, every 512-byte program, every settings
-- record — and, for each cut, the check does what the bootloader-side
-- updater does after power-on: mount the settings store, load the progress,
-- continue the stream from bytes_written, and compare the SHA-256 of the
-- slot with the image's. It also checks the acknowledged-progress contract:
-- the stored progress is never behind the last acknowledged value.
--
-- It runs on a W25Q128JV SPI NOR (4 KiB sectors, 256-byte pages, byte
-- writes) and on the nRF52840's internal flash (4 KiB pages, 4-byte words
-- that may be programmed twice): two sweep.define calls.
--
-- What to look at: every branch passes (the script asserts it); the summary
-- lines give the number of operations, of branches and the sweep's speed.
-- The workload runs once; each branch's check restarts from a copy-on-write
-- snapshot of the flash at its cut, in parallel.

local IMG = 256 * 1024       -- firmware image size
local PACKET = 1024          -- bytes per incoming packet
local BUF = 512              -- streamflash buffer (write granularity)
local SAVE_EVERY = 16 * 1024 -- progress saved every N bytes
local KEY = "dfu/progress"

-- make_image builds a deterministic image whose 4 KiB pages all differ (a
-- page written at the wrong place changes the SHA-256).
local function make_image()
  local x, pool = 12345, {}
  for i = 1, 4200 do
    x = (x * 69069 + 1) % 4294967296
    pool[i] = string.char(math.floor(x / 16777216))
  end
  pool = table.concat(pool)
  local pages = {}
  for i = 0, IMG / 4096 - 1 do
    pages[#pages + 1] = ("page %03d "):format(i) .. pool:sub(1 + i, 4087 + i)
  end
  return table.concat(pages)
end

local IMAGE = make_image()
local IMAGE_SHA = check.sha256(IMAGE)
assert(#IMAGE == IMG)

-- Flash layouts: the secondary slot and the settings storage of each chip.
local LAYOUTS = {
  w25q128jv = {slot = 0x020000, storage = 0x100000},
  nrf52840 = {slot = 0x080000, storage = 0x0f8000},
}

local function areas(dev, layout)
  return dev:area{label = "slot1", offset = layout.slot, size = IMG},
         dev:area{label = "storage", offset = layout.storage, size = 4 * 4096}
end

-- download streams the image, saving and acknowledging progress.
local function download(layout)
  return function(dev, ack)
    local slot, storage = areas(dev, layout)
    local store = assert(settings.fcb(storage))
    local sf = assert(streamflash.new(slot, {buf_len = BUF, erase = true}))
    local next_save = SAVE_EVERY
    for off = 0, IMG - 1, PACKET do
      assert(sf:write(IMAGE:sub(off + 1, off + PACKET)))
      if sf:bytes_written() >= next_save then
        assert(sf:save_progress(store, KEY))
        ack(sf:bytes_written()) -- durable: the update may resume from here
        next_save = next_save + SAVE_EVERY
      end
    end
    assert(sf:flush())
    assert(sf:save_progress(store, KEY))
    ack(sf:bytes_written())
  end
end

-- resume is the check: power is back; finish the update and verify it.
-- (Messages are formatted only on failure: the check runs for every cut.)
local function resume(layout)
  return function(dev, acked)
    local slot, storage = areas(dev, layout)
    local store = assert(settings.fcb(storage))
    local sf = assert(streamflash.new(slot, {buf_len = BUF, erase = true}))
    assert(sf:load_progress(store, KEY))
    local done = sf:bytes_written()
    local want = acked[#acked] or 0
    if done < want then
      error(("stored progress %d is behind the acknowledged %d"):format(done, want))
    end
    if done > IMG or done % BUF ~= 0 then
      error(("stored progress %d is not a buffer boundary within the image"):format(done))
    end
    assert(sf:write(IMAGE:sub(done + 1), true)) -- continue the stream and flush
    local got = check.sha256(assert(slot:read(0, IMG)))
    if got ~= IMAGE_SHA then
      error(("slot SHA-256 %s, want %s (resumed at %d)"):format(got, IMAGE_SHA, done))
    end
  end
end

for _, chip in ipairs({"w25q128jv", "nrf52840"}) do
  local layout = LAYOUTS[chip]
  sweep.define("dfu_" .. chip, {
    device = function() return flash.chip(chip) end,
    workload = download(layout),
    check = resume(layout),
    cuts = "op",
    seed = 1,
  })
end

for _, chip in ipairs({"w25q128jv", "nrf52840"}) do
  local r = sweep.run("dfu_" .. chip)
  print(("%-15s %4d operations, %4d branches checked, %d failed, %d progress acks; %.2f s, %.0f branches/s"):format(
    r.name, r.workload_ops, r.checked, r.failed, r.acked, r.wall_ns / 1e9, r.branches_per_second))
  for i, f in ipairs(r.failures) do
    if i > 5 then print(("  ... and %d more"):format(#r.failures - 5)) break end
    print("  FAIL " .. f.id .. "  " .. f.error)
  end
  assert(r.ok, r.name .. ": a branch did not resume to the right image")
  -- Every erase and every program of the image was a cut point.
  assert(r.workload_ops >= IMG / 4096 + IMG / BUF, r.name .. ": too few operations swept")
end
