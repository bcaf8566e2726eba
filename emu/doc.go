// Package emu is the physics of flash memory: NOR and NAND geometry, the
// program/erase/read rules of real parts, a simulated clock that charges every
// operation its datasheet cost, wear, copy-on-write snapshots and images.
//
// emu holds no policy. What goes wrong and when (power cuts, bit flips,
// wear-out) lives in package faults, which reaches the device through the
// operation seam of this package: a Hook sees every operation before and after
// it runs and may stop it part-way, using the raw accessors (Peek, Poke,
// SetUnstable, XorFlips, AddWear) to leave a physically plausible partial
// state.
//
// Program semantics: a program can only move bits away from the erased state.
// With erase value ev the stored byte becomes ((old^ev)|(data^ev))^ev — AND on
// 0xFF flash, OR on 0x00 flash. A program that asks a programmed bit to return
// to the erased state fails with ErrProgramViolation (EIO) and changes nothing,
// unless the device counts violations instead (Config.Violations).
package emu
