-- nand_bitflips_test.lua: NAND ECC and bit-error rules, one test each.
--
--   flashemu test scripts/nand_bitflips_test.lua
--
-- The narrated scenario is nand_bitflips.lua; these tests pin down the ECC
-- engine and the bit-flip faults it is built on.

local PAGE, STEP, PPB = 2048, 512, 64
local BLOCK = PAGE * PPB
local EBADMSG = -77
local MONTH = 30 * 24 * 3600 * 1000000000

-- age moves the device's clock on by months (one call takes at most 2^53
-- ns, about 104 days).
local function age(dev, months)
  for _ = 1, months do faults.advance(dev, MONTH) end
end

local function nand(opts)
  local o = {page = PAGE, oob = 64, pages_per_block = PPB, blocks = 8, ecc_bits = 4, ecc_step = STEP, seed = 1}
  for k, v in pairs(opts or {}) do o[k] = v end
  return flash.nand(o)
end

-- A page of text: about half its bits are programmed.
local DATA = ("0123456789abcdef"):rep(PAGE / 16)

-- diff compares what a read gave with what is stored: the bits that read
-- 1 over a stored 0, and 0 over a stored 1 (on 0xff-erased flash: toward
-- erased, toward programmed).
local function diff(got, stored)
  local up, down = 0, 0
  for i = 1, #got do
    local g, s = got:byte(i), stored:byte(i)
    for b = 0, g ~= s and 7 or -1 do
      local m = 2 ^ b
      local gb, sb = math.floor(g / m) % 2, math.floor(s / m) % 2
      if gb == 1 and sb == 0 then up = up + 1 elseif gb == 0 and sb == 1 then down = down + 1 end
    end
  end
  return up, down
end

describe("ECC", function()
  local dev
  before_each(function()
    dev = nand()
    assert(dev:write(0, DATA))
  end)

  it("corrects up to ecc_bits errors in a step", function()
    for i = 1, 4 do faults.flip(dev, 10 * i, i) end
    expect(dev:read(0, PAGE)):bytes(DATA)
    expect(dev:stats().ecc_corrected_bits):eq(4)
    expect(dev:stats().ecc_corrected_steps):eq(1)
  end)

  it("fails a step with one error more, with EBADMSG and the raw data", function()
    for i = 1, 5 do faults.flip(dev, 10 * i, i) end
    local data, msg, errno, raw = dev:read(0, PAGE)
    expect(data, msg, errno):err(EBADMSG)
    expect(msg):matches("step 0: 5 bit errors > 4")
    expect(#raw):eq(PAGE)
    expect(raw:byte(11)):ne(DATA:byte(11))          -- the flip at offset 10 shows
    expect(raw:sub(STEP + 1)):bytes(DATA:sub(STEP + 1)) -- other steps come corrected
    expect(dev:stats().ecc_failed_steps):eq(1)
  end)

  it("works per step: 4 errors in each of 4 steps are all corrected", function()
    for s = 0, 3 do
      for i = 1, 4 do faults.flip(dev, s * STEP + 20 * i, i % 8) end
    end
    expect(dev:read(0, PAGE)):bytes(DATA)
    expect(dev:stats().ecc_corrected_bits):eq(16)
  end)

  it("reads the healthy steps of a page with a failed step", function()
    for i = 1, 5 do faults.flip(dev, 10 * i, i) end
    expect(dev:read(STEP, PAGE - STEP)):bytes(DATA:sub(STEP + 1))
  end)

  it("follows ecc_bits", function()
    local strong = nand{ecc_bits = 8}
    assert(strong:write(0, DATA))
    for i = 1, 8 do faults.flip(strong, 10 * i, i % 8) end
    expect(strong:read(0, PAGE)):bytes(DATA)
    faults.flip(strong, 200, 1)
    expect(strong:read(0, PAGE)):err(EBADMSG)
  end)

  it("leaves the stored bits alone: flips live until the block is erased", function()
    for i = 1, 5 do faults.flip(dev, 10 * i, i) end
    expect(dev:peek(0, PAGE)):bytes(DATA)
    assert(dev:erase(0, BLOCK))
    assert(dev:write(0, DATA))
    expect(dev:read(0, PAGE)):bytes(DATA)
  end)
end)

describe("bit-flip faults (on a NAND without ECC, to see them raw)", function()
  it("retention moves programmed bits back to erased, with time", function()
    local dev = nand{ecc_bits = 0}
    for p = 0, PPB - 1 do assert(dev:write(p * PAGE, DATA)) end
    faults.bitflips(dev, {retention = 0.00001, seed = 3})
    age(dev, 12)
    local got = assert(dev:read(0, BLOCK))
    local up, down = diff(got, dev:peek(0, BLOCK))
    expect(up > 0):truthy()
    expect(down):eq(0)
  end)

  it("read disturb moves erased bits to programmed, with reads", function()
    local dev = nand{ecc_bits = 0}
    for p = 0, PPB - 1 do assert(dev:write(p * PAGE, DATA)) end
    faults.bitflips(dev, {read_disturb = 0.01, seed = 3})
    for _ = 1, 2000 do assert(dev:read(0, STEP)) end
    local got = assert(dev:read(0, BLOCK))
    local up, down = diff(got, dev:peek(0, BLOCK))
    expect(up):eq(0)
    expect(down > 0):truthy()
  end)

  it("are the same for the same seed and differ for another", function()
    local function run(seed)
      local dev = nand()
      for p = 0, 15 do assert(dev:write(p * PAGE, DATA)) end
      faults.bitflips(dev, {retention = 0.00001, seed = seed})
      age(dev, 6)
      assert(dev:read(0, 16 * PAGE))
      local t = {}
      for _, e in ipairs(faults.events(dev)) do t[#t + 1] = e.text end
      return table.concat(t, "\n")
    end
    local a = run(42)
    expect(#a > 0):truthy()
    expect(run(42)):eq(a)
    expect(run(43)):ne(a)
  end)
end)

describe("FCB", function()
  it("refuses a NAND area: its u8 alignment cannot hold a page", function()
    local dev = nand()
    expect(fcb.new(dev:area{offset = 0, size = 4 * BLOCK}, {magic = 1})):err(-22)
  end)
end)
