-- flash_basics_test.lua: the device rules as tests.
--
--   flashemu test scripts/
--
-- Each it() runs in a fresh Lua state; before_each builds a fresh device.

local dev

before_each(function()
  dev = flash.nor{size = 64 * 1024, sector = 4096, write_block = 4}
end)

describe("program", function()
  it("stores data in erased flash", function()
    expect(dev:write(0, "abcd")):eq(true)
    expect(dev:read(0, 4)):bytes("abcd")
  end)

  it("only clears bits", function()
    assert(dev:write(0, hex("f0f0f0f0")))
    assert(dev:write(0, hex("30303030")))          -- more zeros: fine
    expect(dev:read(0, 4)):bytes(hex("30303030"))
    expect(dev:write(0, hex("ffffffff"))):err("EIO") -- 0 -> 1: refused
    expect(dev:read(0, 4)):bytes(hex("30303030"))   -- and nothing changed
  end)

  it("needs write-block alignment", function()
    expect(dev:write(2, "abcd")):err(-22)
    expect(dev:write(0, "abc")):err("EINVAL")
  end)
end)

describe("erase", function()
  it("resets whole sectors to the erase value", function()
    assert(dev:write(4096, "data"))
    assert(dev:erase(4096, 4096))
    expect(dev:read(4096, 4)):bytes(hex("ffffffff"))
    expect(dev:wear()[2]):eq(1)
  end)

  it("rejects partial sectors", function()
    expect(dev:erase(0, 100)):err("EINVAL")
  end)
end)

describe("power", function()
  it("raises a power-loss error while off", function()
    dev:power_off()
    expect(function() dev:read(0, 1) end):power_loss()
    dev:power_on()
    expect(dev:read(0, 1)):bytes("\255")
  end)

  it("keeps the array across a power cycle", function()
    assert(dev:write(0, "kept"))
    dev:power_off()
    dev:power_on()
    expect(dev:read(0, 4)):bytes("kept")
  end)
end)

describe("snapshots", function()
  it("restore an earlier state", function()
    assert(dev:write(0, "v1v1"))
    local snap = dev:snapshot()
    assert(dev:erase(0, 4096))
    dev:restore(snap)
    expect(dev:read(0, 4)):bytes("v1v1")
    expect(flash.from_snapshot(snap):read(0, 4)):bytes("v1v1")
  end)
end)

describe("time", function()
  it("advances with every operation", function()
    local t0 = dev:clock()
    assert(dev:erase(0, 4096))
    expect(dev:clock() > t0):truthy()
    expect(dev:stats().erase_ns):eq(dev:clock() - t0)
  end)
end)
