// Package emu is the physics of flash memory: NOR and NAND geometry, the
// program/erase/read rules of real parts, a simulated clock that charges every
// operation its datasheet cost, wear, copy-on-write snapshots, images and
// operation traces.
//
// emu holds no policy. What goes wrong and when (power cuts, bit flips,
// wear-out) lives in package faults, which reaches the device through the
// operation seam of this package: a Hook sees every operation before and after
// it runs and may stop it part-way, using the raw accessors to leave a
// physically plausible partial state.
//
// # Rules
//
// Program semantics: a program can only move bits away from the erased state.
// With erase value ev the stored byte becomes ((old^ev)|(data^ev))^ev — AND on
// 0xFF flash, OR on 0x00 flash, and the same rule for odd values like 0xAA.
// A program that asks a programmed bit to return to the erased state fails
// with ErrProgramViolation (EIO) and changes nothing, unless the device counts
// violations instead (Config.Violations = ViolationsCount: the physical result
// is stored and Stats.Violations counts the violating bytes, like the device
// behind the Zephyr reference vectors). Per-write-block program limits
// (MaxPrograms) and NAND's NOP and in-order page rules are enforced the same
// way (ErrProgramLimit, ErrPageOrder). In strict mode a program is checked
// whole before anything changes: bits first, then limits.
//
// Offsets and lengths are checked overflow-safely (ErrOutOfRange, EINVAL);
// programs must be write-block aligned and erases must cover whole erase
// units (ErrMisaligned, EINVAL). A powered-off device fails every operation
// with ErrPowerLoss until PowerOn. Protected units refuse program and erase
// (ErrProtected, EACCES). errno.Of maps any error to the negative Zephyr errno.
//
// # NAND
//
// Pages carry a spare area (OOB). A page program (Program over whole pages,
// ProgramPage with data and spare, WriteOOB) counts one partial program
// against NOP per page; pages of a block must be programmed in ascending
// order. ReadPage and ProgramPage are single page commands (one tR or tPROG,
// one transfer). The ECC model keeps what was programmed and treats bit
// errors (XorFlips), unstable bits (SetUnstable) and stuck bits (SetStuck) as
// an overlay: per ECC step, up to ECCBits errors are corrected and reported
// (LastECC, Stats), more return the raw bits with ErrBadMsg (EBADMSG).
// Factory-bad blocks (Config.BadBlocks) and grown-bad blocks (MarkBad, used
// by wear faults) refuse program and erase with ErrBadBlock; IsBad, BadKind
// and BadBlocks report them. Their bad-block mark (a non-0xFF byte in the
// OOB of the mark pages) is written for software and survives erases, but
// the mark is a software convention: a mark written with WriteOOB, or the
// zeros of a torn erase's pre-program, do not make the chip refuse a block.
//
// # Time
//
// Every operation advances the device's clock by a cost computed from the
// Timing parameters alone (see Timing for the exact formula, Cost and
// PageCost to recompute it). Hooks see each operation's start and duration,
// so a fault model can place a power cut at a simulated time.
//
// # Raw accessors for fault models
//
// Peek, Poke, PeekOOB, PokeOOB (stored bits), PeekRead and PeekOOBRead (what
// a read would return now, changing nothing; DumpAsRead and DumpOOBAsRead
// for the whole device, next to Dump and DumpOOB, the stored bits), ApplyProgram, ApplyProgramPage
// and ApplyErase (the physics without rule checks, clock or hooks), AddWear,
// the overlays XorFlips, SetUnstable, SetStuck and their spare-area forms
// XorFlipsOOB, SetUnstableOOB, SetStuckOOB, read back with PeekFlips,
// PeekUnstable (and OOB forms) and FlipCount, Rand and SetRandSeed (the
// device's seeded generator, which unstable bits draw from), Cost, PageCost,
// Pieces, Timing, EraseCount, ReadsSinceErase (counted only while TrackReads
// is on: counting makes reads write metadata), LastProgramNs, MarkBad,
// PowerOff and PowerOn. A Hook may also implement Observer to see every
// operation's final result, whoever stopped it (Tracer does), and Annotator
// to take notes from the fault hooks after it in a Hooks chain (Annotators).
//
// # Snapshots, images, traces
//
// Snapshot is copy-on-write at chunk granularity (NOR: at most 4 KiB; NAND:
// a page). Chunks, per-unit metadata (wear, NAND page order) and read counts
// live in persistent radix tries of fan-out 16 that a device changes in
// place only where it owns the nodes (a generation number), so taking a
// snapshot and restoring one are O(1) whatever the device size: one
// 320-byte struct, the same on a 1 MiB NOR and a 1 GiB NAND
// (BenchmarkSnapshotSize; when snapshots copied a top-level table they cost
// 0.6 µs and 336 B on 1 MiB NOR, 36 µs and 19 KB on a 1 GiB NAND).
// Snapshots are immutable and shareable between goroutines, and
// FromSnapshot starts any number of devices from one (WithNow: the same
// state at another instant, for a cut inside an operation; Unchanged: does
// a device still hold the state, in O(1)). After a snapshot or a restore,
// the first change to a chunk copies that chunk and the trie path to it
// (144 bytes a level: two levels on 1 MiB, five on 1 GiB); a program's time
// lives in its chunk, an erase or NAND page program also copies the path to
// its unit's metadata, and a read copies nothing unless reads are tracked.
// A snapshot plus a 16-byte program pins 4.8 KB on a 1 MiB NOR (the 4 KiB
// chunk and 0.7 KB; 6.9 KB with the old tables), a snapshot plus a page
// program 4.0 KB on a 1 GiB NAND (26 KB before): BenchmarkSnapshotWrite.
// Large devices are sparse: erased chunks take no memory.
//
// SaveImage and Load read and write the native_sim flash.bin layout with an
// optional JSON sidecar (Config, wear, clock, counters) and NAND OOB
// separate or interleaved; saves are atomic. OpenFile backs a device with
// such an image written through on every operation (native_sim's
// flash.bin): a crash loses at most the operation in flight. ReadHex/WriteHex
// handle Intel HEX. Tracer records every operation as JSON Lines; Replay re-applies a
// trace's programs and erases.
package emu
