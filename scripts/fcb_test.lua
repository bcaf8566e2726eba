-- fcb_test.lua: FCB behaviour through the Lua binding.

local function newlog(opts)
  local dev = flash.nor{size = 16 * 1024, sector = 4096, write_block = 4}
  local area = dev:area{offset = 0, size = 16 * 1024}
  return assert(fcb.new(area, opts or {magic = 0xfeedf00d})), area, dev
end

describe("fcb", function()
  it("walks entries in order", function()
    local log = newlog()
    for i = 1, 10 do assert(log:push(("e%02d"):format(i))) end
    local got = {}
    for e in log:entries() do got[#got + 1] = e.data end
    expect(#got):eq(10)
    expect(got[1]):eq("e01")
    expect(got[10]):eq("e10")
  end)

  it("reports ENOSPC when full, and rotate frees a sector", function()
    local log = newlog()
    local n = 0
    while true do
      local loc, msg, errno = log:push(("x"):rep(100))
      if not loc then expect(nil, msg, errno):err("ENOSPC") break end
      n = n + 1
    end
    expect(n > 100):truthy()
    assert(log:rotate())
    expect(log:push("after rotate")):truthy()
  end)

  it("survives a remount", function()
    local log, area = newlog()
    log:push("one") log:push("two")
    local again = assert(fcb.new(area, {magic = 0xfeedf00d}))
    expect(again:read(again:last_n(1))):eq("two")
  end)

  it("computes Zephyr's CRC-8 end marker", function()
    local log, area = newlog()
    local loc = assert(log:push("abc"))
    -- The end marker follows the padded payload: crc8 over length byte + data.
    local crc = area:read(loc.area_off + 4, 1):byte()
    expect(crc):eq(check.crc8("\3abc"))
  end)
end)
