-- plan9_partitions.lua: carve a flash chip into partitions the Plan 9 way.
--
--   flashemu run scripts/plan9_partitions.lua
--
-- Plan 9's flash(3) driver shows a flash bank as a data file and a control
-- file per partition. Writing "add name start [end]" to the control file
-- makes a partition, "erase all" erases one, "protectboot [off]" guards
-- erase unit 0 (where the boot loader lives). flashemu binds the control as
-- dev:ctl(cmd) / area:ctl(cmd), reading the control file as dev:ctlinfo() /
-- area:ctlinfo(), and opening a partition as dev:part(name) (a Zephyr
-- flash_area over it).
--
-- What to look at in the output:
--   * the control read-out: "manufacturer device width nor|nand", then one
--     line per group of equal erase units, "start end unit-size", in hex;
--     NAND adds the page size including the spare (OOB) bytes;
--   * boot protection: writes and erases of erase unit 0 fail with EACCES
--     (-13) until "protectboot off", through partitions and directly;
--   * programming only clears bits: a 0->1 write fails with EIO (-5) and
--     changes nothing, while 1->0 writes of any length at any offset work;
--   * bad commands fail with EINVAL (-22) and say why.
--
-- Every claim is asserted: the script stops with an error if one breaks.
-- plan9_partitions_test.lua holds the same rules as one test each.

-- lines splits a control read-out into its lines.
local function lines(text)
  local t = {}
  for l in text:gmatch("[^\n]+") do t[#t + 1] = l end
  return t
end

-- show prints a control read-out under a title, indented.
local function show(title, text)
  print(title)
  for _, l in ipairs(lines(text)) do print("  " .. l) end
end

-- refused checks that a flash call failed with errno and prints why.
local function refused(what, errno, ok, msg, got)
  assert(not ok, what .. ": expected a failure, got success")
  assert(got == errno, ("%s: expected errno %d, got %s (%s)"):format(what, errno, tostring(got), tostring(msg)))
  print(("  %-34s -> %d  %s"):format(what, got, msg))
end

local ENOENT, EIO, EACCES, EINVAL = -2, -5, -13, -22

------------------------------------------------------------------------
print("== 1. The control read-out of a 16 MiB W25Q128JV SPI NOR")
local dev = flash.chip("w25q128jv")
-- ctlinfo() before any ctl() only reads: it does not turn protection on.
local info = lines(dev:ctlinfo())
show("dev:ctlinfo()", dev:ctlinfo())
assert(info[1] == "0xef 0x4018 1 nor", "id line: " .. info[1]) -- Winbond, W25Q128, 1 byte wide
assert(info[2] == "0x00000000 0x01000000 0x00001000", "region: " .. info[2]) -- 4096 units of 4 KiB
assert(#info == 2)

-- The boot loader was flashed at the factory, before the driver started.
local BOOTLOADER = "BL v1.2 " .. ("\0"):rep(56)
assert(dev:write(0, BOOTLOADER))

------------------------------------------------------------------------
print("\n== 2. Partitions (numbers as strtoul reads them: 0x hex, 0 octal, decimal)")
-- The first ctl() creates the control and, as opening #F does on Plan 9,
-- turns boot protection on.
assert(dev:ctl("add boot 0 0x10000"))          -- hex: the first 64 KiB
assert(dev:ctl("add kernel 65536 1048576"))    -- decimal: 64 KiB .. 1 MiB
assert(dev:ctl("add fs 04000000"))             -- octal 04000000 = 1 MiB, to the end
local boot, kernel, fs = dev:part("boot"), dev:part("kernel"), dev:part("fs")
for _, p in ipairs{boot, kernel, fs} do
  print(("  %-7s offset 0x%07x size 0x%07x"):format(p.label, p.offset, p.size))
end
assert(kernel.offset == 0x10000 and kernel.size == 0xf0000)
assert(fs.offset == 0x100000 and fs.size == 0xf00000)

-- A partition's read-out shows only its own part of the regions.
show("kernel:ctlinfo()", kernel:ctlinfo())
assert(lines(kernel:ctlinfo())[2] == "0x00010000 0x00100000 0x00001000")

-- Addresses in a partition's control are relative to that partition:
-- "add logs 0 0x20000" written to fs makes logs at device 1 MiB.
assert(fs:ctl("add logs 0 0x20000"))
local logs = dev:part("logs")
print(("  fs:ctl(\"add logs 0 0x20000\") -> logs at device 0x%x"):format(logs.offset))
assert(logs.offset == 0x100000 and logs.size == 0x20000)

------------------------------------------------------------------------
print("\n== 3. erase all refuses a partition holding the protected boot unit")
assert(kernel:write(0, "old kernel"))
local before = dev:stats().erases
refused('dev:ctl("erase all")', EACCES, dev:ctl("erase all")) -- devflash.c: "flash region protected"
assert(dev:stats().erases == before, "a refused erase all erased something")
assert(dev:read(0, #BOOTLOADER) == BOOTLOADER, "erase all erased the protected boot unit")
assert(kernel:read(0, 10) == "old kernel", "a refused erase all changed kernel data")
assert(kernel:ctl("erase all"))
assert(kernel:read(0, 10) == ("\255"):rep(10), "kernel erase all left kernel data")
print("  boot loader kept:", dev:read(0, 7))
print(("  kernel erased: %s; %d erases, %.1f s of simulated erase time"):format(
  tohex(kernel:read(0, 4)), dev:stats().erases - before, dev:stats().erase_ns / 1e9))
assert(dev:stats().erases - before == math.floor(kernel.size / 4096)) -- every unit of the kernel partition

------------------------------------------------------------------------
print("\n== 4. protectboot: erase unit 0 refuses writes and erases (EACCES)")
refused("boot:write(0x100, ...)", EACCES, boot:write(0x100, "patch"))
refused("boot:erase(0, 4096)", EACCES, boot:erase(0, 4096))
refused("dev:write(0x100, ...)", EACCES, dev:write(0x100, "patch"))
refused("dev:erase(0, 4096)", EACCES, dev:erase(0, 4096))
refused("dev:ctl(\"erase 0\")", EACCES, dev:ctl("erase 0"))
-- Only unit 0 is protected: the rest of the boot partition is not.
assert(boot:write(0x1000, "boot config"))
print("  unit 1 of boot is writable:", boot:read(0x1000, 11))

assert(dev:ctl("protectboot off"))
assert(boot:erase(0, 4096), "protectboot off: erase must work")
assert(boot:write(0, "BL v1.3"))
print("  after protectboot off the boot loader is updated:", boot:read(0, 7))
assert(dev:ctl("protectboot"))              -- on again (the default)
refused("boot:write again, protected", EACCES, boot:write(0x100, "patch"))

------------------------------------------------------------------------
print("\n== 5. Programming clears bits only: 0->1 is refused (EIO)")
assert(kernel:write(0x101, hex("f0")))         -- odd offset, one byte: fine on a 1-byte-wide chip
assert(kernel:write(0x101, hex("30")))         -- 1->0 only: more zeros are fine
assert(kernel:write(0x333, "odd length"))   -- any offset, any length
refused("kernel:write(0x101, hex(\"0f\"))", EIO, kernel:write(0x101, hex("0f"))) -- 0x30 -> 0x0f sets bits
assert(kernel:read(0x101, 1) == hex("30"), "a refused write changed the byte")
print("  byte at kernel+0x101 still 0x30; kernel+0x333:", kernel:read(0x333, 10))

-- On a 4-byte-word chip (nRF52840) a Zephyr flash_area write must be
-- word-aligned; Plan 9's data file hides that with a read-modify-write of
-- the words it touches, which part:pwrite does. The nRF52840 allows only
-- two programs of a word between erases, so the third byte-wise update of
-- one word is refused (EIO) -- a classic surprise with byte-granular logs.
local nrf = flash.chip("nrf52840")
assert(nrf:ctl("add data 0x1000 0x3000"))
local data = nrf:part("data")
refused("data:write(1, \"ab\") (flash_area)", EINVAL, data:write(1, "ab"))
assert(data:pwrite(1, "ab") == 2)               -- word 0: first program
assert(data:pwrite(3, "c") == 1)                -- word 0: second program
print("  data:pwrite(1, \"ab\"), data:pwrite(3, \"c\"):", tohex(data:pread(0, 4)))
refused("data:pwrite(0, \"z\") (3rd program)", EIO, data:pwrite(0, "z"))
assert(data:pwrite(5, hex("00")))
refused("data:pwrite(5, hex(\"ff\")) over 00", EIO, data:pwrite(5, hex("ff")))

------------------------------------------------------------------------
print("\n== 6. Bad control commands say what is wrong (EINVAL)")
refused("add half 0x10001 0x20000", EINVAL, dev:ctl("add half 0x10001 0x20000"))
refused("add boot 0x200000 0x210000", EINVAL, dev:ctl("add boot 0x200000 0x210000"))
refused("kernel: add big 0 0x200000", EINVAL, kernel:ctl("add big 0 0x200000"))
refused("add past 0 0x2000000", EINVAL, dev:ctl("add past 0 0x2000000"))
refused("add eight 08 0x1000", EINVAL, dev:ctl("add eight 08 0x1000"))
refused("add back 0x3000 0x2000", EINVAL, dev:ctl("add back 0x3000 0x2000"))
refused("remove flash", EINVAL, dev:ctl("remove flash"))
refused("frobnicate", EINVAL, dev:ctl("frobnicate"))
-- As in Plan 9, siblings may overlap: partitions are named windows, and
-- only a range outside the partition written to is refused.
assert(dev:ctl("add window 0x8000 0x18000"))
print("  add window 0x8000 0x18000 (overlaps boot and kernel) -> accepted, as in Plan 9")
assert(dev:ctl("remove window"))
refused("part(\"window\") after remove", ENOENT, dev:part("window"))

------------------------------------------------------------------------
print("\n== 7. Other chips: NAND and a non-uniform STM32F4 map")
local nand = flash.chip("mt29f1g08")
show("mt29f1g08:ctlinfo()", nand:ctlinfo())
local n = lines(nand:ctlinfo())
assert(n[1] == "0x2c 0x00f1 1 nand", n[1])
-- 1024 blocks of 128 KiB; pages of 2048 + 64 spare bytes = 0x840.
assert(n[2] == "0x00000000 0x08000000 0x00020000 0x00000840", n[2])

local stm = flash.chip("stm32f4")
show("stm32f4:ctlinfo()", stm:ctlinfo())
local s = lines(stm:ctlinfo())
assert(s[2] == "0x00000000 0x00010000 0x00004000") -- 4 x 16 KiB
assert(s[3] == "0x00010000 0x00020000 0x00010000") -- 1 x 64 KiB
assert(s[4] == "0x00020000 0x00100000 0x00020000") -- 7 x 128 KiB
assert(#s == 4)
-- A partition over three groups sees each one clipped to itself.
assert(stm:ctl("add app 0x8000 0x40000"))
show("stm32f4 app:ctlinfo()", stm:part("app"):ctlinfo())
local a = lines(stm:part("app"):ctlinfo())
assert(a[2] == "0x00008000 0x00010000 0x00004000")
assert(a[3] == "0x00010000 0x00020000 0x00010000")
assert(a[4] == "0x00020000 0x00040000 0x00020000")
-- Ends must fall on the unit grid of their own region: 0x30000 is inside a
-- 128 KiB sector.
refused("stm32f4: add x 0x10000 0x30000", EINVAL, stm:ctl("add x 0x10000 0x30000"))

print("\nplan9_partitions: all checks passed")
