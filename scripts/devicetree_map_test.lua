-- devicetree_map_test.lua: flash.map rules, one test each.
--
--   flashemu test scripts/devicetree_map_test.lua
--
-- The narrated tour is devicetree_map.lua; these tests pin down how a
-- fixed-partitions fragment becomes flash areas.

local EINVAL = -22

local dev

before_each(function()
  dev = flash.nor{size = 64 * 1024, sector = 4096, write_block = 4}
end)

-- parts wraps partition nodes in a fixed-partitions node.
local function parts(body, cells)
  cells = cells or 1
  return ([[
partitions {
	compatible = "fixed-partitions";
	#address-cells = <%d>;
	#size-cells = <%d>;
%s
};
]]):format(cells, cells, body)
end

-- area returns {id, offset, size} of label in map m.
local function area(m, label)
  local a = assert(m[label], "no area " .. label)
  return {a.id, a.offset, a.size}
end

describe("flash.map", function()
  it("makes one area per partition, ids in order", function()
    local m = assert(flash.map(dev, parts[[
	boot_partition: partition@0 { label = "mcuboot"; reg = <0x0 0x4000>; };
	storage_partition: partition@c000 { label = "storage"; reg = <0xc000 0x4000>; };
]]))
    expect(area(m, "mcuboot")):same{0, 0, 0x4000}
    expect(area(m, "storage")):same{1, 0xc000, 0x4000}
  end)

  it("labels an area by its node label, else its node name, without a label property", function()
    local m = assert(flash.map(dev, parts[[
	scratch_partition: partition@0 { reg = <0x0 0x1000>; };
	partition@1000 { reg = <0x1000 0x1000>; };
]]))
    expect(m.scratch_partition.offset):eq(0)
    expect(m["partition@1000"].offset):eq(0x1000)
  end)

  it("reads DT_SIZE_K, octal, expressions and two-cell numbers", function()
    local m = assert(flash.map(dev, parts([[
	a: partition@0 { reg = <0x0 0x0 0x0 DT_SIZE_K(8)>; };
	b: partition@2000 { reg = <0x0 020000 0x0 (0x1000 * 2)>; };
]], 2)))
    expect(area(m, "a")):same{0, 0, 0x2000}
    expect(area(m, "b")):same{1, 0x2000, 0x2000}
  end)

  it("places subpartitions relative to their parent", function()
    local m = assert(flash.map(dev, parts[[
	factory: partition@8000 {
		compatible = "fixed-subpartitions";
		reg = <0x8000 0x8000>;
		#address-cells = <1>;
		#size-cells = <1>;
		calib: partition@0 { reg = <0x0 0x4000>; };
		keys: partition@4000 { reg = <0x4000 0x4000>; };
	};
]]))
    expect(area(m, "factory")):same{0, 0x8000, 0x8000}
    expect(area(m, "calib")):same{1, 0x8000, 0x4000}
    expect(area(m, "keys")):same{2, 0xc000, 0x4000}
  end)

  it("gives a disabled partition an id but no area", function()
    local m = assert(flash.map(dev, parts[[
	a: partition@0 { reg = <0x0 0x1000>; };
	b: partition@1000 { reg = <0x1000 0x1000>; status = "disabled"; };
	c: partition@2000 { reg = <0x2000 0x1000>; };
]]))
    expect(m.b):eq(nil)
    expect(m.c.id):eq(2)
  end)

  it("skips comments and preprocessor lines", function()
    local m = assert(flash.map(dev, "#include <mem.h>\n#define X 1\n// a comment\n/* another */\n" ..
      parts[[	a: partition@0 { reg = <0x0 0x1000>; }; /* trailing */]]))
    expect(m.a.size):eq(0x1000)
  end)

  it("gives areas the device's sectors and write block", function()
    local m = assert(flash.map(dev, parts[[	s: partition@4000 { reg = <0x4000 0x3000>; };]]))
    expect(#m.s:sectors()):eq(3)
    expect(m.s:sectors()[2]):same{off = 0x1000, size = 0x1000}
    expect(m.s:align()):eq(4)
  end)

  it("keeps area accesses inside the partition", function()
    local m = assert(flash.map(dev, parts[[	s: partition@4000 { reg = <0x4000 0x1000>; };]]))
    expect(m.s:write(0x1000, "abcd")):err(EINVAL)
    expect(m.s:write(0xffc, "abcd")):eq(true)
    expect(dev:read(0x4ffc, 4)):bytes("abcd")
  end)
end)

describe("flash.map errors", function()
  -- Each case: a fragment, the line the error must name (parts puts the
  -- first partition on line 5), and a phrase of the message.
  local cases = {
    {"overlapping siblings", parts[[
	a: partition@0 { reg = <0x0 0x2000>; };
	b: partition@1000 { reg = <0x1000 0x1000>; };
]], 6, 'overlaps "a"'},
    {"a partition past the device", parts[[
	a: partition@0 { reg = <0x0 0x1000>; };
	b: partition@f000 { reg = <0xf000 0x2000>; };
]], 6, "outside the device"},
    {"a subpartition past its parent", parts[[
	p: partition@0 {
		compatible = "fixed-subpartitions";
		reg = <0x0 0x2000>;
		#address-cells = <1>;
		#size-cells = <1>;
		q: partition@0 { reg = <0x1000 0x2000>; };
	};
]], 10, "outside"},
    {"a duplicate label", parts[[
	a: partition@0 { label = "x"; reg = <0x0 0x1000>; };
	b: partition@1000 { label = "x"; reg = <0x1000 0x1000>; };
]], 6, "already in the flash map"},
    {"a missing semicolon", parts[[
	a: partition@0 { reg = <0x0 0x1000> };
]], 5, 'expected ";"'},
  }
  for _, c in ipairs(cases) do
    it("reports " .. c[1] .. " with its line", function()
      local m, msg, errno = flash.map(dev, c[2])
      expect(m, msg, errno):err(EINVAL)
      expect(msg):matches("line " .. c[3] .. ":")
      expect(msg):matches(c[4]:gsub("%p", "%%%0"))
    end)
  end
end)
