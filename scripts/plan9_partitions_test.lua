-- plan9_partitions_test.lua: Plan 9 partition control rules, one test each.
--
--   flashemu test scripts/plan9_partitions_test.lua
--
-- The narrated tour is plan9_partitions.lua; this file pins the rules down
-- so that a change in the control shows up as a named failing test.

local EIO, EACCES, EINVAL, ENOENT = -5, -13, -22, -2

-- A 1 MiB NOR with 4 KiB sectors and byte writes, partitioned like a small
-- Plan 9 board: boot loader, kernel, file system.
local dev

before_each(function()
  dev = flash.nor{size = 1024 * 1024, sector = 4096, write_block = 1}
  assert(dev:ctl("add boot 0 0x10000\nadd kernel 0x10000 0x80000\nadd fs 0x80000"))
end)

describe("add", function()
  -- Each case: a command, the offset and size of the partition it makes
  -- (relative numbers read as strtoul does), or the errno and the words
  -- the error message must contain.
  local cases = {
    {"add a 0x1000 0x3000", off = 0x1000, size = 0x2000},
    {"add a 4096 12288", off = 0x1000, size = 0x2000},          -- decimal
    {"add a 010000 030000", off = 0x1000, size = 0x2000},       -- octal
    {"add a 0xf0000", off = 0xf0000, size = 0x10000},           -- to the end
    {"add a 0xf0000 end", off = 0xf0000, size = 0x10000},       -- "end" keyword
    {"add a 0x1001 0x2000", errno = EINVAL, msg = "invalid erase unit address 0x1001"},
    {"add a 0x1000 0x1800", errno = EINVAL, msg = "invalid erase unit address 0x1800"},
    {"add kernel 0x1000 0x2000", errno = EINVAL, msg = "partition exists"},
    {"add a 0 0x200000", errno = EINVAL, msg = "outside flash"},
    {"add a 0x3000 0x2000", errno = EINVAL, msg = "outside flash"},
    {"add a 09 0x1000", errno = EINVAL, msg = "bad number \"09\""},
    {"add a 0x1000 0x2000 extra", errno = EINVAL, msg = "usage: add name start"},
    {"add a", errno = EINVAL, msg = "usage: add name start"},
  }
  for _, c in ipairs(cases) do
    it(c[1], function()
      if c.errno then
        expect(dev:ctl(c[1])):err(c.errno)
        expect(select(2, dev:ctl(c[1]))):matches(c.msg:gsub("%p", "%%%0"))
        return
      end
      expect(dev:ctl(c[1])):eq(true)
      local a = dev:part("a")
      expect(a.offset):eq(c.off)
      expect(a.size):eq(c.size)
    end)
  end

  it("is relative to the partition written to", function()
    assert(dev:part("fs"):ctl("add logs 0x1000 0x3000"))
    expect(dev:part("logs").offset):eq(0x81000)
    expect(dev:part("logs").size):eq(0x2000)
  end)

  it("refuses a range outside the partition written to", function()
    expect(dev:part("kernel"):ctl("add big 0 0x80000")):err(EINVAL)
  end)

  it("accepts overlapping siblings, as Plan 9 does", function()
    expect(dev:ctl("add window 0x8000 0x18000")):eq(true)
  end)
end)

describe("remove", function()
  it("drops a partition", function()
    assert(dev:ctl("remove kernel"))
    expect(dev:part("kernel")):err(ENOENT)
  end)

  it("keeps flash", function()
    expect(dev:ctl("remove flash")):err(EINVAL)
    expect(dev:part("flash").size):eq(1024 * 1024)
  end)
end)

describe("protectboot", function()
  it("is on after the first control command", function()
    expect(dev:write(0, "x")):err(EACCES)
    expect(dev:erase(0, 4096)):err(EACCES)
    expect(dev:part("boot"):write(0, "x")):err(EACCES)
    expect(dev:ctl("erase 0")):err(EACCES)
  end)

  it("covers erase unit 0 only", function()
    expect(dev:write(4096, "x")):eq(true)
    expect(dev:part("boot"):erase(4096, 4096)):eq(true)
  end)

  it("off lets unit 0 change, on protects it again", function()
    assert(dev:ctl("protectboot off"))
    expect(dev:write(0, "x")):eq(true)
    expect(dev:ctl("erase 0")):eq(true)
    assert(dev:ctl("protectboot"))
    expect(dev:write(0, "x")):err(EACCES)
  end)

  it("makes erase all refuse the whole device (devflash.c: flash region protected)", function()
    assert(dev:write(4096, "kept?"))
    assert(dev:ctl("protectboot off"))
    assert(dev:write(0, "boot"))
    assert(dev:ctl("protectboot"))
    expect(dev:ctl("erase all")):err(EACCES)
    expect(dev:read(0, 4)):bytes("boot")
    expect(dev:read(4096, 5)):bytes("kept?")
  end)

  it("is not turned on by reading the control", function()
    local fresh = flash.nor{size = 64 * 1024, sector = 4096}
    expect(#fresh:ctlinfo() > 0):truthy()
    expect(fresh:write(0, "x")):eq(true)
  end)
end)

describe("partition writes", function()
  it("refuse 0->1 with EIO and change nothing", function()
    local k = dev:part("kernel")
    assert(k:write(7, hex("0f")))
    expect(k:write(7, hex("f0"))):err(EIO)
    expect(k:read(7, 1)):bytes(hex("0f"))
  end)

  it("accept 1->0 at any offset and length", function()
    local k = dev:part("kernel")
    for off, len in pairs{[1] = 1, [2] = 3, [13] = 7, [4095] = 2} do
      local s = ("\0"):rep(len)
      expect(k:write(off, s)):eq(true)
      expect(k:read(off, len)):bytes(s)
    end
  end)

  it("stay inside the partition", function()
    local b = dev:part("boot")
    expect(b:write(b.size - 1, "ab")):err(EINVAL)
  end)
end)

describe("ctlinfo", function()
  it("shows the chip's ids and regions", function()
    expect(flash.chip("w25q128jv"):ctlinfo()):eq("0xef 0x4018 1 nor\n0x00000000 0x01000000 0x00001000\n")
  end)

  it("clips regions to the partition", function()
    expect(dev:part("kernel"):ctlinfo()):eq("0x00 0x0000 1 nor\n0x00010000 0x00080000 0x00001000\n")
  end)

  it("gives NAND pages with their spare bytes", function()
    local nand = flash.nand{page = 2048, oob = 64, pages_per_block = 64, blocks = 16}
    expect(nand:ctlinfo()):eq("0x00 0x0000 1 nand\n0x00000000 0x00200000 0x00020000 0x00000840\n")
  end)

  it("has one line per group of equal units", function()
    local nu = flash.nor{sectors = {{count = 4, size = 16384}, {count = 1, size = 65536}, {count = 2, size = 131072}}}
    expect(nu:ctlinfo()):eq("0x00 0x0000 1 nor\n" ..
      "0x00000000 0x00010000 0x00004000\n" ..
      "0x00010000 0x00020000 0x00010000\n" ..
      "0x00020000 0x00060000 0x00020000\n")
  end)
end)
