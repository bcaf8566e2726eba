-- nvs_sweep.lua: Zephyr's NVS (unmodified nvs.c) under power cuts; build
-- libnvs.so as zephyr_fs_check.c says. Four 1 KiB sectors, so the workload's
-- writes fill sectors and garbage collection runs under the cuts.
local lib = native.load("libnvs.so")

sweep.define("nvs", {
  device   = function() return flash.nor{size = 4096, sector = 1024, write_block = 4} end,
  workload = lib.workload,
  check    = lib.check,
  cuts     = "op",
})
