// Package luasweep is the Lua binding of the power-cut sweep engine
// (package faults): the sweep module of flashemu scripts. sweep.define
// records a sweep (device factory, setup, workload, check, cut schedule);
// sweep.run runs one with the engine and returns a result table;
// `flashemu sweep` runs them from the command line through Load and Bind.
// Importing the package registers the module (lua.RegisterModule) in every
// state made afterwards.
//
// The device factory, setup and workload run in the state that defined the
// sweep. The checks run on per-worker states made from the same compiled
// lua.Program: each worker runs the script's top level once — in definition
// mode, where describe/it only collect and the first sweep.run stops the
// script — checkpoints the state, looks its check up by sweep name and
// rolls back after every check, so every check starts from the same
// pristine state whatever ran before it on that worker. Hence the one rule:
// define every sweep before the first sweep.run (sweep.define raises
// otherwise). docs/lua-api.md documents the Lua side.
package luasweep
