// Package native loads C storage code built against flashemu's host headers
// (a shared library) and runs its entry points on an emulated device: every
// flash operation the C code issues goes through the same emu.Device and
// hook chain as Lua's, so power-cut sweeps, torn programs, simulated time,
// wear, ECC, traces, replay and dumps work unchanged.
//
// The C contract is include/flashemu.h plus Zephyr-compatible headers
// (zephyr/kernel.h, zephyr/drivers/flash.h, zephyr/storage/flash_map.h,
// zephyr/sys/crc.h, ...) and a small runtime, runtime/flashemu_rt.c, which
// every library compiles in. CCFlags writes them to a cache directory and
// returns the compiler flags.
//
// Isolation: every Load makes a private copy of the library (its own
// globals), and every call first restores the library's writable data
// segment (.data and .bss) to its state right after loading, so each
// check recovers from flash alone. Memory the C code mallocs and never
// frees is not restored (nor freed).
//
// Loading uses dlopen through cgo on linux/amd64 and linux/arm64; elsewhere,
// or in a build without cgo (no C compiler), Load returns ErrUnsupported.
package native
