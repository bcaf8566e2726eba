-- hello_flash.lua: a first look at an emulated NOR chip.
--
--   flashemu run scripts/hello_flash.lua
--
-- Shows the Lua conventions: flash operations return true (or the data)
-- on success and nil, message, errno on failure; errno is Zephyr's
-- negative number (-22 EINVAL, -5 EIO, ...).

local dev = flash.chip("w25q128jv")       -- a 16 MiB SPI NOR preset
print("device:", dev)

-- Program a few bytes into an erased sector and read them back.
assert(dev:erase(0, 4096))
assert(dev:write(0, "hello, flash"))
print("read:", dev:read(0, 12))

-- Programming only clears bits (1 -> 0): asking a 0 to become 1 fails and
-- changes nothing, exactly like the real chip.
local ok, msg, errno = dev:write(0, "\255")
print("rewrite:", ok, msg, errno)

-- An erase puts a whole 4 KiB sector back to 0xff.
assert(dev:erase(0, 4096))
print("after erase:", tohex(dev:read(0, 4)))

-- Every operation costs simulated time from the chip's datasheet model.
local st = dev:stats()
print(("ops: %d reads, %d writes, %d erases; simulated time %.3f ms (%d cycles)"):format(
  st.reads, st.writes, st.erases, dev:clock() / 1e6, dev:cycles()))

-- Checksums for payloads.
print("crc32:", ("%08x"):format(check.crc32("hello, flash")))
