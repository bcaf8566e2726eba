// Package faults is what goes wrong with flash, and when: power cuts that
// tear operations the way silicon does, bit flips and stuck bits, read
// disturb and retention loss, wear-out, injected operation failures — and the
// power-cut sweep engine that tries a cut at every point of a scenario.
//
// # Fault plans
//
// A Plan is plain data: a seed and a list of Faults. Attach arms a plan on an
// emu.Device by installing an Injector as the device's hook (emu's operation
// seam). Every random choice comes from the plan seed, split per fault —
// and the values unstable bits read as too: Attach restarts the device's
// generator (emu SetRandSeed) from the plan seed, so the same plan, device
// and script give the same bits and the same reads, whatever the device's
// own seed. Plan.String renders a line such as
//
//	seed=7;cut:after_ops=3,fraction=0.25,model=prefix;flip:off=4096,bit=3
//
// that ParsePlan reads back to reproduce a failure exactly. What the injector
// did is recorded as Events (what, where, when in simulated time) and handed,
// as notes, to the tracers ahead of it in the device's hook chain (emu
// Annotators): a trace shows every operation, the cut one included (not
// applied, -EIO) with what the cut left. Read disturb turns on the device's
// read counting (emu TrackReads) when it is armed; retention reads the
// program times emu always keeps (LastProgramNs). Both flip a bit only if it
// carries no error yet (emu PeekFlips, PeekUnstable); other bits of the same
// byte may still flip.
//
// # Power cuts
//
// A cut stops the operation in flight part-way, leaves a physically plausible
// partial result, powers the device off and returns ErrPowerLoss (which is
// emu.ErrPowerLoss; test with errors.Is or IsPowerLoss). Every later operation
// fails with ErrPowerLoss until Device.PowerOn, which resets volatile state
// (the NAND ECC report), never the array. A cut lands: at the Nth mutating
// operation from arming (reads are not counted unless CountReads: a cut in a
// read changes nothing), at a simulated time T (inside the operation spanning
// T at the fraction of its duration T represents — long erases are hit more
// often, as in the field), or at an explicit (operation index, fraction,
// model) triple.
//
// Torn programs: Prefix (write blocks in order; MCU internal flash), Scatter
// (all bits of a program page in parallel; SPI NOR, NAND) and Metastable (the
// bits in transition read back randomly on each read until the unit is
// erased). Torn erases: Preprogram (NOR that first programs the unit to zeros
// from its end), Partial (each bit reached the erased state at random) and
// Metastable. An interrupted erase counts as a wear cycle; an interrupted
// NAND page program consumes one of the page's NOP programs. On NAND with
// ECC, bits a torn operation left wrong are stored as bit errors against the
// intended content, so the ECC engine corrects a few and fails on many, and
// unstable bits give errors that change between reads.
//
// A NAND page command — ProgramPage (data and spare area in one tPROG) or
// WriteOOB — is one torn unit whatever the model: its data and spare bits
// move together, so both are torn with one draw over their union, replayed
// with emu ApplyProgramPage (one NOP). Metastable leaves the missed spare
// bits unstable (emu SetUnstableOOB) like the data's; with ECC the data's
// missed bits become bit errors while the spare area, which the ECC model
// does not cover, keeps the raw torn bits.
//
// Device defaults (DefaultModels): MCU internal NOR (program page = write
// block): Prefix program, Partial erase; page-buffered (SPI) NOR: Scatter
// program, Preprogram erase; NAND: Scatter program, Metastable erase.
//
// # Sweeps
//
// Run executes a Sweep: it runs the workload ONCE with a recording hook
// that, at every mutating operation, takes a copy-on-write snapshot before
// it, describes the torn variants inside it (computed later, in the workers,
// from the pre-operation snapshot) and snapshots after it, each with the
// number of values acknowledged so far. The branches are then hashed
// (emu StateHash) and deduplicated by (state, ack count) in branch order, and
// the checks run from the unique branches on Options.Jobs workers that share
// the immutable snapshots. At depth 2 and beyond, the check of every passing
// branch runs with the same recording hook, and its cut points are the next
// level's branches. The branch list, IDs and verdicts do not depend on Jobs;
// Shard splits the last level's unique branches j by j mod Total.
//
// Each branch has a seed derived from Sweep.Seed and its schedule: it draws
// the torn bits and restarts the generator of the check's device (emu
// SetRandSeed), so unstable bits read the same in the sweep and in Replay.
//
// A time cut (CutTime) leaves its branch at the cut instant T: the torn (or
// untouched) state with the device clock at T, not at the start of the
// interrupted operation or past an idle gap the device never lived through;
// the recovery's own time cuts count from T.
//
// Every failure has an ID "NAME:SCHEDULE:SEED" (see sweep_id.go for the
// token grammar, e.g. "log:12b:1", "log:41a/3u0v2:1", "log:t150000:1") that
// Replay runs alone, returning the check's verdict and the device state
// before and after the final recovery.
//
// # Binding a sweep (Lua sweep module, flashemu sweep)
//
// The engine knows nothing of Lua. A binding builds one Sweep per
// sweep.define and calls Run, Replay and ParseID:
//
//	s := &faults.Sweep{
//		Name:     name,                           // sweep.define's first argument
//		Device:   func() (*emu.Device, error),    // calls the Lua device() on the main state
//		Setup:    func(d *emu.Device) error,      // Lua setup(dev), main state (optional)
//		Workload: func(d *emu.Device, ack func(any)) error,
//		                                          // Lua workload(dev, ack), main state; the Lua
//		                                          // ack converts its value to plain Go data
//		                                          // (string, float64/int64, bool, []any, map[string]any)
//		CheckFactory: func(worker int) (faults.CheckFunc, error),
//		                                          // per worker: a new Lua state, the compiled script
//		                                          // run once, the check looked up by sweep name; the
//		                                          // CheckFunc converts acked back to Lua values and
//		                                          // returns the Lua error ("file:line: message")
//		Cuts:  cuts,  // faults.ParseCuts("op"|"unit"|"bit") or faults.Cuts{Mode: faults.CutTime, EveryNs: n}
//		Depth: depth, // default 1
//		Seed:  seed,
//	}
//	res, err := faults.Run(ctx, s, faults.Options{
//		Jobs:     jobs,                                      // --jobs (0: NumCPU)
//		Shard:    faults.Shard{Index: i, Total: n},          // --shard I/N, 0-based
//		Progress: func(p faults.Progress) { /* bar: p.Done/p.Total, p.Rate() */ },
//	})
//	// err: the sweep could not run (exit 2 for ErrBadSweep definitions, 1 otherwise);
//	// res.Failures[i].ID / .Shrunk / .Error: one line per failure (exit 1 if !res.OK());
//	// res.JSON(): the --json report.
//
//	name, _, _, err := faults.ParseID(id)              // --only ID: pick the sweep by name
//	rep, err := faults.Replay(s, id, faults.ReplayOptions{Trace: traceHook})
//	// rep.Err: verdict; rep.Before / rep.After: emu snapshots to dump (--dump DIR)
//
// Device, Setup and Workload are called on the goroutine that calls Run or
// Replay; CheckFactory and the checks run on worker goroutines (one
// CheckFunc per worker, never shared). Replay uses CheckFactory(0).
//
// # Reading sweep failures: format limits are not emulator artefacts
//
// A unit or bit sweep of Zephyr's FCB (package fcb) finds, besides the torn
// headers and torn lengths its mount refuses (ENOMSG, EIO), branches where
// a torn, never-finished entry is walked as valid: the append was cut after
// the length and (part of) the data landed but before the CRC-8 byte was
// written, so that byte still holds the erase value 0xFF — and for about one
// torn payload in 256 the CRC-8 of the torn bytes is 0xFF too. FCB's walk
// then accepts the entry and hands back corrupt data. This is a limit of the
// format (an 8-bit check over data it cannot tell from a finished write),
// reproduced because the torn bits are plausible, not an emulator artefact:
// Zephyr's fcb_walk, which package fcb ports line for line, accepts the same
// image the same way (settings' torn-write test sees the same rate).
// Checks that need more carry their own checksum in the payload (the FCB
// sweep tests use a CRC32 and see these branches as "CRC32 mismatch").
package faults
