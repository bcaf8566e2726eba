// Package faults is what goes wrong with flash, and when: power cuts that
// tear operations the way silicon does, bit flips and stuck bits, read
// disturb and retention loss, wear-out, injected operation failures — and the
// power-cut sweep engine that tries a cut at every point of a scenario.
//
// # Fault plans
//
// A Plan is plain data: a seed and a list of Faults. Attach arms a plan on an
// emu.Device by installing an Injector as the device's hook (emu's operation
// seam). Every random choice comes from the plan seed, split per fault, so
// the same plan, device and script give the same bits; Plan.String renders a
// line such as
//
//	seed=7;cut:after_ops=3,fraction=0.25,model=prefix;flip:off=4096,bit=3
//
// that ParsePlan reads back to reproduce a failure exactly. What the injector
// did is recorded as Events (what, where, when in simulated time).
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
// Device defaults (DefaultModels): MCU internal NOR (program page = write
// block): Prefix program, Partial erase; page-buffered (SPI) NOR: Scatter
// program, Preprogram erase; NAND: Scatter program, Metastable erase.
//
// # Sweeps
//
// Sweep (see sweep.go) runs a workload once, captures a copy-on-write branch
// of the device at every cut point (before and after each mutating operation,
// and with "unit"/"bit" cuts inside it, torn by the device's model), and runs
// a recovery check from every branch on a pool of workers, at depth 1 or
// deeper, with deduplication, sharding and one-line IDs that Replay runs
// alone.
package faults
