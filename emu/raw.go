package emu

import (
	"fmt"
	"math"
	"math/bits"
	"sort"
)

// The raw accessors below change or inspect the array directly, without
// validation of the program rules, protection, power, clock or statistics.
// They are the tools a Hook (package faults) uses to leave the physically
// plausible partial state of an interrupted operation, and what image loaders
// use. Offsets are device offsets of the data area; NAND spare areas are
// reached with the OOB variants.

func (d *Device) rawRange(off int64, n int) error {
	return d.g.checkRange(off, int64(n))
}

// Peek copies the stored bits of [off, off+len(p)) into p: what the cells
// hold, without bit errors, unstable bits or stuck bits.
func (d *Device) Peek(off int64, p []byte) error {
	if err := d.rawRange(off, len(p)); err != nil {
		return err
	}
	d.eachChunk(off, len(p), func(ci, co, k int, _ []byte) {
		if c := d.chunkRO(ci); c != nil {
			copy(p[:k], c.data[co:co+k])
		} else {
			fill(p[:k], d.g.ev)
		}
		p = p[k:]
	}, nil)
	return nil
}

// Poke sets the stored bits of [off, off+len(data)) to data, whatever the
// physics says (image loading, fault models).
func (d *Device) Poke(off int64, data []byte) error {
	if err := d.rawRange(off, len(data)); err != nil {
		return err
	}
	d.eachChunk(off, len(data), func(ci, co, _ int, q []byte) {
		copy(d.chunkRW(ci).data[co:], q)
	}, data)
	return nil
}

// eachChunk calls f for every chunk piece of [off, off+n): chunk ci, offset
// co in it, k bytes; q is the matching piece of src (nil when src is nil).
func (d *Device) eachChunk(off int64, n int, f func(ci, co, k int, q []byte), src []byte) {
	g := d.g
	for n > 0 {
		ci, co := g.split(off)
		k := min(n, int(g.chunk)-co)
		var q []byte
		if src != nil {
			q, src = src[:k], src[k:]
		}
		f(ci, co, k, q)
		off += int64(k)
		n -= k
	}
}

// PeekOOB copies the stored spare bytes of page into p.
func (d *Device) PeekOOB(page int, p []byte) error {
	if err := d.needNAND(); err != nil {
		return err
	}
	if err := d.checkPageIndex(page); err != nil || len(p) > d.OOBSize() {
		return fmt.Errorf("%w: %d OOB bytes of page %d", ErrOutOfRange, len(p), page)
	}
	if c := d.chunkRO(page); c != nil {
		copy(p, c.data[d.g.chunk:])
	} else {
		fill(p, d.g.ev)
	}
	return nil
}

// PokeOOB sets the stored spare bytes of page.
func (d *Device) PokeOOB(page int, data []byte) error {
	if err := d.needNAND(); err != nil {
		return err
	}
	if err := d.checkPageIndex(page); err != nil || len(data) > d.OOBSize() {
		return fmt.Errorf("%w: %d OOB bytes of page %d", ErrOutOfRange, len(data), page)
	}
	if len(data) > 0 {
		copy(d.chunkRW(page).data[d.g.chunk:], data)
	}
	return nil
}

// ApplyProgram applies the program physics to [off, off+len(data)) without
// the rule checks: bits only move away from the erased state, program counts
// and NAND page state advance, violations are counted. Fault models use it
// for the part of an interrupted program that completed.
func (d *Device) ApplyProgram(off int64, data []byte) error {
	if err := d.rawRange(off, len(data)); err != nil {
		return err
	}
	return d.program(off, data, false)
}

// ApplyProgramPage applies a NAND page program (data at the page start, oob
// at the spare start) without the rule checks, like ApplyProgram: one NOP,
// in-order state advanced, violations counted.
func (d *Device) ApplyProgramPage(page int, data, oob []byte) error {
	if err := d.needNAND(); err != nil {
		return err
	}
	if err := d.checkPageIndex(page); err != nil {
		return err
	}
	if len(data) > int(d.g.chunk) || len(oob) > d.OOBSize() {
		return fmt.Errorf("%w: %d+%d bytes on a %d+%d page", ErrOutOfRange, len(data), len(oob), d.g.chunk, d.OOBSize())
	}
	return d.programPage(page, data, oob, false)
}

// ApplyErase completes the erase of unit u (content to the erase value,
// overlays cleared, one cycle of wear). NAND bad-block marks survive.
func (d *Device) ApplyErase(u int) error {
	if u < 0 || u >= d.g.units() {
		return fmt.Errorf("%w: erase unit %d", ErrOutOfRange, u)
	}
	d.eraseUnit(u)
	return nil
}

// AddWear adds n erase cycles to unit u without erasing it (an interrupted
// erase still costs a cycle).
func (d *Device) AddWear(u int, n uint32) {
	if u >= 0 && u < d.g.units() {
		m := d.unitRW(u)
		m.erases += min(n, math.MaxUint32-m.erases) // saturate
	}
}

// overlayKind selects a chunk's overlay.
type overlayKind uint8

const (
	ovFlip overlayKind = iota // bit errors (XOR)
	ovUnst                    // unstable bits (OR)
)

func (c *chunk) overlay(k overlayKind) *[]byte {
	if k == ovFlip {
		return &c.flip
	}
	return &c.unst
}

func (d *Device) overlay(off int64, mask []byte, k overlayKind) error {
	if err := d.rawRange(off, len(mask)); err != nil {
		return err
	}
	d.eachChunk(off, len(mask), func(ci, co, _ int, q []byte) { d.overlayPiece(ci, co, q, k) }, mask)
	return nil
}

// overlayPiece merges mask q into overlay k of chunk ci at storage column co
// (NAND: the spare area starts at the page size).
func (d *Device) overlayPiece(ci, co int, q []byte, k overlayKind) {
	if AllZero(q) {
		return
	}
	c := d.chunkOwn(ci) // overlays do not change the stored bits: blank stays
	ov := c.overlay(k)
	if *ov == nil {
		*ov = make([]byte, d.g.store)
	}
	if k == ovFlip {
		XorBytes((*ov)[co:co+len(q)], q)
		if AllZero(*ov) {
			*ov = nil // every error toggled away: the fast read path again
		}
		return
	}
	for i, b := range q {
		(*ov)[co+i] |= b
	}
}

// peekOverlay copies overlay k of chunk ci at storage column co into p.
func (d *Device) peekOverlay(ci, co int, p []byte, k overlayKind) {
	if c := d.chunkRO(ci); c != nil && *c.overlay(k) != nil {
		copy(p, (*c.overlay(k))[co:co+len(p)])
		return
	}
	clear(p)
}

// oobArgs validates n spare bytes of page for an OOB raw accessor.
func (d *Device) oobArgs(page, n int) error {
	if err := d.needNAND(); err != nil {
		return err
	}
	if err := d.checkPageIndex(page); err != nil || n > d.OOBSize() {
		return fmt.Errorf("%w: %d OOB bytes of page %d", ErrOutOfRange, n, page)
	}
	return nil
}

// PeekFlips copies the bit-error overlay of [off, off+len(p)) into p: a set
// bit is a bit that reads inverted (XorFlips; on NAND with ECC, an error
// against the stored data). Fault models use it to leave bytes that already
// carry an error alone.
func (d *Device) PeekFlips(off int64, p []byte) error {
	if err := d.rawRange(off, len(p)); err != nil {
		return err
	}
	d.eachChunk(off, len(p), func(ci, co, k int, _ []byte) {
		d.peekOverlay(ci, co, p[:k], ovFlip)
		p = p[k:]
	}, nil)
	return nil
}

// PeekUnstable copies the unstable-bit overlay of [off, off+len(p)) into p:
// a set bit reads randomly (SetUnstable) until its unit is erased.
func (d *Device) PeekUnstable(off int64, p []byte) error {
	if err := d.rawRange(off, len(p)); err != nil {
		return err
	}
	d.eachChunk(off, len(p), func(ci, co, k int, _ []byte) {
		d.peekOverlay(ci, co, p[:k], ovUnst)
		p = p[k:]
	}, nil)
	return nil
}

// XorFlipsOOB toggles bit errors in page's spare area from its start, like
// XorFlips: ReadOOB and the spare part of ReadPage return the stored bits XOR
// the errors (the ECC model does not cover spare bytes). Erase clears them.
func (d *Device) XorFlipsOOB(page int, mask []byte) error {
	if err := d.oobArgs(page, len(mask)); err != nil {
		return err
	}
	d.overlayPiece(page, int(d.g.chunk), mask, ovFlip)
	return nil
}

// SetUnstableOOB marks the bits set in mask, in page's spare area from its
// start, as unstable like SetUnstable: every read of them returns a fresh
// random value until the block is erased.
func (d *Device) SetUnstableOOB(page int, mask []byte) error {
	if err := d.oobArgs(page, len(mask)); err != nil {
		return err
	}
	d.overlayPiece(page, int(d.g.chunk), mask, ovUnst)
	return nil
}

// PeekFlipsOOB copies the bit-error overlay of page's spare area into p.
func (d *Device) PeekFlipsOOB(page int, p []byte) error {
	if err := d.oobArgs(page, len(p)); err != nil {
		return err
	}
	d.peekOverlay(page, int(d.g.chunk), p, ovFlip)
	return nil
}

// PeekUnstableOOB copies the unstable-bit overlay of page's spare area into p.
func (d *Device) PeekUnstableOOB(page int, p []byte) error {
	if err := d.oobArgs(page, len(p)); err != nil {
		return err
	}
	d.peekOverlay(page, int(d.g.chunk), p, ovUnst)
	return nil
}

// SetStuckOOB makes bit (0–7) of spare byte col of page stuck at value, like
// SetStuck: ReadOOB and ReadPage return that value whatever was programmed or
// erased, erases and snapshots keep the defect (a worn spare cell can make a
// bad-block mark appear in what the driver reads; IsBad looks at the stored
// bits).
func (d *Device) SetStuckOOB(page, col int, bit uint, value bool) error {
	if err := d.oobArgs(page, col+1); err != nil {
		return err
	}
	if col < 0 || bit > 7 {
		return fmt.Errorf("%w: stuck bit %d at OOB byte %d of page %d", ErrOutOfRange, bit, col, page)
	}
	d.setStuck(int64(page)*int64(d.g.store)+d.g.chunk+int64(col), bit, value)
	return nil
}

// SetUnstable marks the bits set in mask, at [off, off+len(mask)), as
// unstable: every read returns a fresh random value for them (drawn from the
// device's seeded generator) until the unit is erased.
func (d *Device) SetUnstable(off int64, mask []byte) error {
	return d.overlay(off, mask, ovUnst)
}

// XorFlips toggles the bit errors at [off, off+len(mask)): reads return the
// stored bits XOR the error overlay; on NAND the ECC engine sees them as
// errors against the stored (programmed) data. Erase clears them.
func (d *Device) XorFlips(off int64, mask []byte) error {
	return d.overlay(off, mask, ovFlip)
}

// FlipCount returns the number of bit errors currently in the overlay of
// [off, off+n).
func (d *Device) FlipCount(off, n int64) int {
	if d.g.checkRange(off, n) != nil {
		return 0
	}
	cnt := 0
	d.eachChunk(off, int(n), func(ci, co, k int, _ []byte) {
		if c := d.chunkRO(ci); c != nil && c.flip != nil {
			for _, b := range c.flip[co : co+k] {
				cnt += bits.OnesCount8(b)
			}
		}
	}, nil)
	return cnt
}

// SetStuck makes bit (0–7) of the byte at off stuck at value (0 or 1):
// reads return that value whatever the cells were programmed or erased to.
// The defect survives erases and snapshots.
func (d *Device) SetStuck(off int64, bit uint, value bool) error {
	if err := d.rawRange(off, 1); err != nil || bit > 7 {
		return fmt.Errorf("%w: stuck bit %d at %d", ErrOutOfRange, bit, off)
	}
	d.setStuck(int64(off/d.g.chunk)*int64(d.g.store)+off%d.g.chunk, bit, value)
	return nil
}

// PeekStuck copies the stuck bits of [off, off+len(mask)) into mask (a set
// bit is stuck) and their values into value, which must be as long: reads
// return value's bit wherever mask's is set (SetStuck). Dumps use it to
// record what a check read besides the stored bits.
func (d *Device) PeekStuck(off int64, mask, value []byte) error {
	if len(value) != len(mask) {
		return fmt.Errorf("%w: PeekStuck: mask of %d bytes, value of %d", ErrInvalid, len(mask), len(value))
	}
	if err := d.rawRange(off, len(mask)); err != nil {
		return err
	}
	clear(mask)
	clear(value)
	chunk, store := d.g.chunk, int64(d.g.store)
	for _, st := range d.stuck {
		ci, co := st.addr/store, st.addr%store
		if co >= chunk {
			continue // a spare-area byte
		}
		if o := ci*chunk + co - off; o >= 0 && o < int64(len(mask)) {
			mask[o], value[o] = st.mask, st.val
		}
	}
	return nil
}

// PeekStuckOOB is PeekStuck for page's spare area from its start.
func (d *Device) PeekStuckOOB(page int, mask, value []byte) error {
	if len(value) != len(mask) {
		return fmt.Errorf("%w: PeekStuckOOB: mask of %d bytes, value of %d", ErrInvalid, len(mask), len(value))
	}
	if err := d.oobArgs(page, len(mask)); err != nil {
		return err
	}
	clear(mask)
	clear(value)
	base := int64(page)*int64(d.g.store) + d.g.chunk
	for _, st := range d.stuck {
		if o := st.addr - base; o >= 0 && o < int64(len(mask)) {
			mask[o], value[o] = st.mask, st.val
		}
	}
	return nil
}

// setStuck adds a stuck bit at storage address addr (copy on change: the
// list is shared with snapshots).
func (d *Device) setStuck(addr int64, bit uint, value bool) {
	var val byte
	if value {
		val = 1 << bit
	}
	st := append([]stuckBit(nil), d.stuck...)
	i := sort.Search(len(st), func(i int) bool { return st[i].addr >= addr })
	if i < len(st) && st[i].addr == addr {
		st[i].mask |= 1 << bit
		st[i].val = st[i].val&^(1<<bit) | val
	} else {
		st = append(st, stuckBit{})
		copy(st[i+1:], st[i:])
		st[i] = stuckBit{addr: addr, mask: 1 << bit, val: val}
	}
	d.stuck = st
}

// Rand returns the next value of the device's deterministic generator.
func (d *Device) Rand() uint64 { return d.rand() }
