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
// from the pre-operation snapshot) and snapshots after it (the clock past
// the completed operation), each with the number of values acknowledged so
// far, and one last cut after the workload returned ("end": every value
// acknowledged, so a value the workload acknowledged but kept in RAM is
// found lost there — no cut during the run sees that acknowledgement).
// Every branch's state is then booted: turned into exactly the state
// its check's device starts from (see below), hashed (emu StateKey) and
// deduplicated by (state key, ack count) in branch order; the checks run
// from the unique branches on Options.Jobs workers that share the immutable
// snapshots. At depth 2 and beyond, the check of every passing branch runs
// with the same recording hook, and its cut points are the next level's
// branches. The branch list, IDs and verdicts do not depend on Jobs.
//
// # Memory
//
// A sweep holds a device state per cut point until the point is checked,
// so its memory is its snapshots (emu snapshots are O(1) to take and pin
// only what changes after them). The recording keeps one snapshot per
// mutating operation — the state after operation k is the state before
// k+1 when nothing happens between them (emu Unchanged) — and, for a torn
// cut, only its recipe (the pre-operation snapshot, the tear, the seed):
// a torn state is computed when it is hashed and again when it is checked,
// and never held between. Measured (BenchmarkRecordSmallWrites: 16-byte
// programs on a 1 MiB NOR, op cuts, 10k and 100k operations): 5.1 KB of
// heap per recorded operation, of which 4 KiB is the chunk each program
// copies (NOR chunks are 4 KiB) and about 1 KB the snapshot, the two cut
// points and the copied trie path; 7.4 KB before these changes. A depth-2
// unit sweep of a ~200-operation FCB scenario peaks at 44 MB of live heap
// (TestSweepFCBDepth2UnitPeakHeap; 169 MB when every torn branch of a level
// held its own chunk copies). Options.MemoryLimit bounds the heap while
// recordings grow: past it the sweep stops with ErrMemoryLimit instead.
//
// # The invariant: a sweep's verdict is the branch's verdict
//
// For every branch ID, the sweep's verdict equals the verdict of replaying
// that branch alone (Replay, `flashemu sweep --only ID`), whatever Jobs,
// Shard, NoDedup or the order the workers take the branches in — provided
// the workload is deterministic (it issues the same operations and acks in
// every run: the engine runs it again for every replay) and so is the
// check: its verdict depends only on the device it is given and the
// acknowledged values (a workload or check that keeps state between
// calls, or reads the wall clock, breaks it; Options.CheckTimeout, being
// wall-clock, is the one option that can, and so can a check's own
// resource guard such as the Lua host's memory limit, which measures the
// process's heap). The Lua binding (luasweep)
// starts every run and every check from the same Lua state for this. Verify checks the invariant on
// a sweep (every branch or a seeded sample); the package's tests check it
// on random workloads (TestPropertySweepVerdictsEqualReplays). What makes
// it hold:
//
//   - Booting. A check starts from a state that is a function of the flash
//     state the cut left and of the sweep seed only, never of the path that
//     led there: power on, the counters (emu Stats and Seq) started afresh
//     — a check's device counts its recovery's own operations — and the
//     device generator, which draws the values unstable (metastable) bits
//     read as, seeded from the sweep seed and the unstable bits themselves
//     (emu UnstableDigest). So two branches with equal states read equal
//     values everywhere, in the sweep and in Replay, which boots the same
//     way.
//   - Deduplication keyed on everything. Two branches are merged only if
//     their booted states have the same emu StateKey — which covers every
//     part of the state a check can observe or be limited by: the stored
//     bits; bit-error, unstable and stuck overlays; program counts per
//     write block (MaxPrograms); NAND NOP counts and page-program order;
//     bad-block marks (factory and grown, in the spare area); wear; read
//     counts while tracked; program times; protection; the clock — and the
//     same number of acknowledged values. A merged branch gets its
//     canonical branch's verdict, which is then its own.
//
// The price of keying on the clock: branches that hold the same bits but
// were reached at different instants (a read between two programs, a
// recovery that took longer) are checked separately, because a check may
// observe time (a retention fault it arms, the clock itself). Measured on
// this package's FCB benchmarks: a depth-1 op sweep of ~1,000 operations
// checks 1,653 branches instead of 1,321 (dedup 331 instead of 663), a
// depth-2 sweep 1,990 instead of 1,057. Keying on the clock is the whole
// price: without it the same sweeps would check 1,322 and 1,058 — the
// other parts of the key (program counts, program times, wear, ...) cost
// one branch each. Time cuts (every_ns) are never merged with each other:
// each has its own instant.
//
// # Shards, failures, shrinking, timeouts
//
// Options.Shard (package shard) splits a sweep between processes: at every
// level, unique branch j belongs to shard j mod Total and a duplicate to
// its canonical branch's shard. Every shard runs the earlier levels whole
// (their recoveries make the next level's branches) and the last level's
// checks only for the branches it owns, and reports only what it owns, so
// shard reports merge by concatenating Failures and List and adding the
// counts (Result and LevelStats, all but Ran and the times), which then
// equal the unsharded run's.
//
// A failure's Class (FailureClass) is its location and message shape.
// Failures of depth >= 2 are shrunk — cuts dropped while the branch still
// fails — only to a schedule that fails with the same class, for the first
// Options.ShrinkLimit failures (DefaultShrinkLimit, 16).
//
// Options.CheckTimeout bounds every check and the workload: a check that
// exceeds it fails its branch ("check timed out after D", ErrTimeout) and
// the sweep goes on; see CheckContextFunc for how a check is stopped.
//
// Each branch has a seed derived from Sweep.Seed and its schedule: it draws
// the torn bits (the unstable reads come from the booted state, above).
//
// A time cut (CutTime) leaves its branch at the cut instant T: the torn (or
// untouched) state with the device clock at T, not at the start of the
// interrupted operation or past an idle gap the device never lived through;
// the recovery's own time cuts count from T.
//
// Every failure has an ID "NAME:SCHEDULE:SEED" (see sweep_id.go for the
// token grammar, e.g. "log:12b:1", "log:41a/3u0v2:1", "log:t150000:1";
// ParseBranchID gives it typed, as a BranchID of CutTokens) that Replay
// runs alone, returning the check's verdict and the device state before
// and after the final recovery.
//
// # Binding a sweep (Lua sweep module, flashemu sweep)
//
// The engine knows nothing of Lua. A binding builds one Sweep per
// sweep.define and calls Run (or Verify), Replay and ParseBranchID:
//
//	s := &faults.Sweep{
//		Name:     name,                           // sweep.define's first argument
//		Device:   func() (*emu.Device, error),    // calls the Lua device() on the main state
//		Setup:    func(d *emu.Device) error,      // Lua setup(dev), main state (optional)
//		WorkloadContext: func(ctx context.Context, d *emu.Device, ack func(any)) error,
//		                                          // Lua workload(dev, ack), main state, ctx passed
//		                                          // to the Lua call; the Lua ack converts its value
//		                                          // to plain Go data (string, float64/int64, bool,
//		                                          // []any, map[string]any)
//		CheckContextFactory: func(worker int) (faults.CheckContextFunc, error),
//		                                          // per worker: a new Lua state, the compiled script
//		                                          // run once, the check looked up by sweep name; the
//		                                          // check passes ctx to the Lua call, converts acked
//		                                          // back to Lua values and returns the Lua error
//		                                          // ("file:line: message")
//		Cuts:  cuts,  // faults.ParseCuts("op"|"unit"|"bit") or faults.Cuts{Mode: faults.CutTime, EveryNs: n}
//		Depth: depth, // default 1
//		Seed:  seed,
//	}
//	opts := faults.Options{
//		Jobs:         jobs,                                 // --jobs (0: NumCPU)
//		Shard:        sh,                                   // --shard I/N or shard.FromEnv
//		CheckTimeout: timeout,                              // --timeout: per check and workload
//		Progress:     func(p faults.Progress) { /* bar: p.Done/p.Total, p.Rate() */ },
//	}
//	res, err := faults.Run(ctx, s, opts)
//	// err: the sweep could not run (exit 2 for ErrBadSweep definitions, 1 otherwise);
//	// res.Failures[i].ID / .Shrunk / .Error / .Class: one line per failure (exit 1 if !res.OK());
//	// res.JSON(): the --json report.
//
//	vr, err := faults.Verify(ctx, s, opts, faults.VerifyOptions{Sample: n, Seed: seed})
//	// --verify [N]: vr.Disagreements names every branch whose replay differs; print vr.Seed.
//
//	id, err := faults.ParseBranchID(text)             // --only ID: pick the sweep by id.Sweep
//	rep, err := faults.ReplayContext(ctx, s, text, faults.ReplayOptions{Trace: traceHook, CheckTimeout: timeout})
//	// rep.Err: verdict; rep.Before / rep.After: emu snapshots to dump (--dump DIR)
//
// Device, Setup and Workload are called on the goroutine that calls Run,
// Verify or Replay; CheckFactory and the checks run on worker goroutines
// (one check per worker, never shared; a check abandoned after a timeout is
// replaced by a new one from the factory). Replay uses the factory's check
// 0. The plain Workload, Check and CheckFactory remain for checks that need
// no context.
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
