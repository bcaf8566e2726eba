-- fcb_log.lua: a Zephyr flash circular buffer surviving a power cut.
--
--   flashemu run scripts/fcb_log.lua [entries]
--
-- Appends entries to an FCB, cuts the power in the middle of an append,
-- powers up again, remounts and shows that every acknowledged entry is
-- still there.

local count = tonumber(arg[1] or "20")
local dev = flash.nor{size = 16 * 1024, sector = 4096, write_block = 4}
local area = dev:area{label = "storage", offset = 0, size = 16 * 1024}
local log = assert(fcb.new(area, {magic = 0x12345678, version = 1}))

local acked = {}
for i = 1, count do
  local data = ("entry %03d"):format(i)
  if i == count then
    -- The power dies before the last entry is finished: finishing it
    -- raises a power-loss error object, which pcall catches.
    local loc = assert(log:append(#data))
    dev:power_off()
    local ok, err = pcall(log.finish, log, loc)
    assert(not ok and faults.is_power_loss(err), "expected a power cut")
    print("power cut:", tostring(err))
  else
    assert(log:push(data))
    acked[#acked + 1] = data
  end
end

dev:power_on()
local again = assert(fcb.new(area, {magic = 0x12345678, version = 1}))
local found = {}
for e in again:entries() do found[#found + 1] = e.data end
print(("acknowledged %d, found %d after remount"):format(#acked, #found))
for i, data in ipairs(acked) do
  assert(found[i] == data, ("entry %d lost"):format(i))
end
print("oldest:", found[1], "newest:", found[#found])
