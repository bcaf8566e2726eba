-- kv_sweep.lua: sweep the C value log in kv.c (see kv.c for the build line).
--
--   cc $(flashemu cc-flags) -shared -fPIC -o libkv.so kv.c
--   flashemu sweep kv_sweep.lua --depth 2
--
-- The workload and check are C functions: flashemu_workload appends six
-- values and acknowledges each; flashemu_check mounts, compares with the
-- acknowledged values and appends once more (so depth 2 cuts its recovery).
local lib = native.load("libkv.so")

sweep.define("ckv", {
  device   = function() return flash.chip("nrf52840", {size = "8K"}) end,
  workload = lib.workload,
  check    = lib.check,
  cuts     = "unit",
  depth    = 2,
})
