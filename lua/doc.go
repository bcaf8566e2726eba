// Package lua is flashemu's Lua host (gopher-lua): the bindings of every
// flashemu package (flash, faults, fcb, streamflash, settings, check, bit,
// sweep),
// the sandbox, and the busted-style test runner behind `flashemu test`.
// The REPL core behind `flashemu repl` is package repl.
//
// # Conventions in Lua
//
// Modules are globals and also available through require. Byte buffers are
// Lua strings; offsets and sizes are integers (fractions, NaN and values
// beyond 2^53 are argument errors). Flash operations return a true value or
// the data on success and nil, message, errno on failure, errno being the
// negative Zephyr errno (errno.Of). A power cut raises an error object
// (userdata "flashemu.powerloss"; faults.is_power_loss(e) is true, e.errno
// is -5, tostring(e) is "file:line: message"). Wrong argument types raise
// Lua's standard messages at the caller's line:
//
//	t.lua:4: bad argument #2 to 'write' (string expected, got number)
//
// Method argument numbers do not count self, as in PUC Lua. error(msg,
// level) follows Lua 5.1's level rule (gopher-lua's own error() reports
// level 2 one frame too shallow; this package replaces it).
//
// # Sandbox
//
// A state gets base (without dofile and loadfile), table, string, math,
// coroutine, a harmless os subset (clock, time, date, difftime, and an
// os.exit that unwinds the script instead of killing the host), and
// require of flashemu modules and of Lua files in the script's directory
// (dotted names only; nothing outside it). Image paths (flash.load,
// dev:save) must be relative and stay inside the working directory.
// Options.AllowIO lifts all of this. print writes to Options.Stdout.
// string.rep is bounded by the memory limit; the value stack grows on
// demand up to Options.RegistryMaxSize; call depth is bounded by
// Options.CallStackSize ("stack overflow" is an ordinary Lua error); a Go
// heap past Options.MemoryLimit stops the run with ErrMemoryLimit (a
// watchdog, not gopher-lua's SetMx, which calls os.Exit); a Go panic in a
// binding becomes a Lua error ("internal error in 'name': ...").
//
// # Running scripts many times (test runner, sweep engine)
//
// Compile a script once and run it in as many fresh states as needed, from
// any number of goroutines (one state per goroutine):
//
//	prog, err := lua.Compile("scripts/x.lua")    // parse + compile once
//	s, err := prog.NewState(lua.Options{Stdout: w, Args: args})
//	defer s.Close()
//	rets, err := prog.Run(ctx, s)                // the main chunk
//	rets, err = s.Call(ctx, s.Global("check"), v) // any Lua function
//
// ctx cancels a run (deadline, Ctrl-C); errors are *Error values with a
// "file:line" Where, and unwrap to ErrTimeout, ErrCanceled, ErrMemoryLimit,
// ErrInternal, ErrSyntax, ErrRuntime, ErrExit or, for an uncaught power
// cut, emu.ErrPowerLoss (IsPowerLossError). Program.Exec does NewState, Run
// and Close in one call. Modules the script requires are compiled once per
// Program too.
//
// Bindings written outside this package (e.g. the sweep module) check their
// arguments with ArgsOf and Fields (binding.go: lua's own messages), reach the
// objects behind Lua values with DeviceOf and AreaOf, make new ones with
// State.NewDevice and State.NewArea, and use State.L for gopher-lua calls.
// A device made in Lua is a *Device whose Dev field is the *emu.Device (its
// Inj field holds the faults injector the faults module attached, if any).
//
// # Sweeps
//
// The sweep module (sweep.define, sweep.run) is bound in package luasweep
// through RegisterModule, like any module written outside this package: a
// program whose scripts use it imports luasweep (the flashemu command does).
//
// # Images, traces, reports
//
// dev:save and flash.load go through emu's image API (SaveImage: raw or
// Intel HEX, sidecar, NAND spare areas). dev:trace records a device's
// operations as JSON Lines through an emu.Tracer chained first in its hooks
// (trace.go); Options.Trace (flashemu run/test --trace) traces the first
// device of every state into a TraceSink, tagged with Options.TraceTag.
// ReplayTrace (flash.replay, flashemu image replay) re-applies a trace. The
// report module draws wear heatmaps, CSV tables and curves with package
// report. Every file a script names is opened through the state's file
// system (files.go: in the sandbox an os.Root of the working directory, so
// no path or symbolic link leads out) and written through
// internal/atomicfile (temporary file, fsync, rename; image sets with a
// journal), so a crash keeps the old file or the new one.
//
// # Isolation
//
// State.Checkpoint and State.Rollback (checkpoint.go) return a state to a
// recorded point: the Lua heap through the VM's journal, math.random, and
// the devices made before the checkpoint. The sweep binding runs every check
// from the script's pristine top level this way.
//
// # Tests
//
// The test vocabulary (describe, it, before_each, after_each, skip,
// expect) is bound here; package luatest discovers and runs *_test.lua
// files through State.TestNames and State.RunTest (each test in a fresh
// state) and reports them. ParseShard and ShardFromEnv read "I/N", Bazel's
// TEST_TOTAL_SHARDS/TEST_SHARD_INDEX and Kubernetes' JOB_COMPLETION_INDEX.
package lua
