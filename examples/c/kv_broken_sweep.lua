-- kv_broken_sweep.lua: the same sweep on kv.c built with -DKV_BROKEN, whose
-- mount forgets the CRC check: a record torn by a power cut is read as
-- written. The sweep fails and prints a replayable branch ID.
--
--   cc $(flashemu cc-flags) -shared -fPIC -DKV_BROKEN -o libkv_broken.so kv.c
--   flashemu sweep kv_broken_sweep.lua
--   flashemu sweep kv_broken_sweep.lua --only ID --dump out/
local lib = native.load("libkv_broken.so")

sweep.define("ckv_broken", {
  device   = function() return flash.chip("nrf52840", {size = "8K"}) end,
  workload = lib.workload,
  check    = lib.check,
  cuts     = "unit",
  depth    = 2,
})
