package emu

import (
	"errors"
	"fmt"
)

// ECCReport is what the ECC engine saw during the last read, like MTD's
// ecc_stats and max_bitflips: corrected steps return corrected data (the
// caller may want to scrub the block, as -EUCLEAN tells Linux), failed steps
// return raw data and the read fails with ErrBadMsg.
type ECCReport struct {
	Corrected      int `json:"corrected"`       // bits corrected
	CorrectedSteps int `json:"corrected_steps"` // steps that needed correction
	Failed         int `json:"failed"`          // uncorrectable steps
	MaxBitflips    int `json:"max_bitflips"`    // most bit errors seen in one step
}

// LastECC returns the ECC report of the most recent read.
func (d *Device) LastECC() ECCReport { return d.ecc }

// ReadECC reads like Read and returns the ECC report of that read.
func (d *Device) ReadECC(off int64, p []byte) (ECCReport, error) {
	d.ecc = ECCReport{}
	err := d.Read(off, p)
	return d.ecc, err
}

func (d *Device) needNAND() error {
	if d.g.kind != NAND {
		return fmt.Errorf("%w: %s device has no pages/OOB", ErrNotSupported, d.g.kind)
	}
	return nil
}

func (d *Device) checkPageIndex(page int) error {
	if page < 0 || page >= d.g.nchunks {
		return fmt.Errorf("%w: page %d of %d", ErrOutOfRange, page, d.g.nchunks)
	}
	return nil
}

// PageSize is the NAND data bytes per page (0 on NOR).
func (d *Device) PageSize() int {
	if d.g.kind != NAND {
		return 0
	}
	return int(d.g.chunk)
}

// OOBSize is the NAND spare bytes per page (0 on NOR).
func (d *Device) OOBSize() int {
	if d.g.kind != NAND {
		return 0
	}
	return d.g.store - int(d.g.chunk)
}

// Pages is the number of NAND pages (0 on NOR).
func (d *Device) Pages() int {
	if d.g.kind != NAND {
		return 0
	}
	return d.g.nchunks
}

// ReadOOB reads len(p) bytes of page's spare area from its start. OOB bytes
// are not covered by the ECC model (LastECC is clean after it).
func (d *Device) ReadOOB(page int, p []byte) error {
	if err := d.pageArgs(page, 0, len(p)); err != nil {
		return d.failed(err)
	}
	op := d.begin(OpReadOOB, int64(page)*d.g.chunk, int64(len(p)), nil, page)
	return d.run(op, func() error {
		d.ecc = ECCReport{}
		d.rawView(page, d.chunkRO(page), int(d.g.chunk), p)
		return nil
	})
}

// WriteOOB programs data into page's spare area from its start. It is a page
// program: it counts against NOP and the in-order rule.
func (d *Device) WriteOOB(page int, data []byte) error {
	if err := d.pageArgs(page, 0, len(data)); err != nil {
		return d.failed(err)
	}
	if err := d.pageWritable(page); err != nil {
		return d.failed(err)
	}
	op := d.begin(OpProgramOOB, int64(page)*d.g.chunk, int64(len(data)), data, page)
	return d.run(op, func() error { return d.programPage(page, nil, data, d.strict()) })
}

// pageArgs validates a page command moving n data and m spare bytes.
func (d *Device) pageArgs(page, n, m int) error {
	if d.off {
		return ErrPowerLoss
	}
	if err := d.needNAND(); err != nil {
		return err
	}
	if err := d.checkPageIndex(page); err != nil {
		return err
	}
	if n > int(d.g.chunk) {
		return fmt.Errorf("%w: %d data bytes on a %d-byte page", ErrOutOfRange, n, d.g.chunk)
	}
	if m > d.OOBSize() {
		return fmt.Errorf("%w: %d OOB bytes on a %d-byte spare area", ErrOutOfRange, m, d.OOBSize())
	}
	return nil
}

// pageWritable checks protection and bad-block marks for programming page.
func (d *Device) pageWritable(page int) error {
	off := int64(page) * d.g.chunk
	if err := d.checkProtect(off, 1); err != nil {
		return err
	}
	return d.checkBad(off, 1)
}

// programPage programs data at the start of page and oob at the start of its
// spare area as one page program (one NOP). With strict set any rule
// violation refuses the whole program before anything changes.
func (d *Device) programPage(page int, data, oob []byte, strict bool) error {
	g := d.g
	co := int(g.chunk)
	if strict {
		c := d.chunkRO(page)
		err := d.checkBits(page, c, 0, data)
		if err == nil && c != nil && !c.blank && violates(c.data[co:co+len(oob)], oob, g.ev) {
			err = fmt.Errorf("%w: OOB of page %d", ErrProgramViolation, page)
		}
		if err == nil {
			err = d.checkLimit(page, c, 0, len(data))
		}
		if err == nil {
			err = d.checkPage(page, c)
		}
		if err != nil {
			if errors.Is(err, ErrProgramViolation) {
				d.stats.Violations += uint64(countViol(c.data[:len(data)], data, g.ev) + countViol(c.data[co:co+len(oob)], oob, g.ev))
			} else {
				d.stats.LimitViolations++
			}
			return err
		}
	}
	c := d.chunkOwn(page)
	wasBlank := c.blank
	viol, limit := d.applyPiece(c, 0, data, strict)
	if wasBlank || strict {
		copy(c.data[co:], oob)
	} else {
		viol += programBytes(c.data[co:co+len(oob)], oob, g.ev)
	}
	c.blank = false
	limit += d.pageDone(page, c)
	d.stats.Violations += uint64(viol)
	d.stats.LimitViolations += uint64(limit)
	return nil
}

// ReadPage reads page's data into data (up to the page size) and its spare
// area into oob (up to the OOB size) with one page read command: one tR, one
// transfer of both parts (OpRead with Page and OOBLen set). ECC applies to
// the data as in Read; an uncorrectable step still fills oob and returns the
// raw data with ErrBadMsg.
func (d *Device) ReadPage(page int, data, oob []byte) (ECCReport, error) {
	if d.g.kind == NAND {
		data = data[:min(len(data), int(d.g.chunk))]
		oob = oob[:min(len(oob), d.OOBSize())]
	}
	if err := d.pageArgs(page, len(data), len(oob)); err != nil {
		return ECCReport{}, d.failed(err)
	}
	op := d.beginPage(OpRead, page, nil, int64(len(data)), nil, int64(len(oob)))
	err := d.run(op, func() error {
		err := d.read(int64(page)*d.g.chunk, data)
		if len(oob) > 0 {
			d.rawView(page, d.chunkRO(page), int(d.g.chunk), oob)
		}
		return err
	})
	return d.ecc, err
}

// ProgramPage programs data at the start of page and oob at the start of its
// spare area as one page program command: one NOP, one tPROG, one transfer
// (OpProgram with Page, OOB and OOBLen set). data must be a multiple of the
// write block; either part may be empty.
func (d *Device) ProgramPage(page int, data, oob []byte) error {
	if err := d.pageArgs(page, len(data), len(oob)); err != nil {
		return d.failed(err)
	}
	if int64(len(data))%d.g.wb != 0 {
		return d.failed(fmt.Errorf("%w: page program of %d bytes (write block %d)", ErrMisaligned, len(data), d.g.wb))
	}
	if err := d.pageWritable(page); err != nil {
		return d.failed(err)
	}
	op := d.beginPage(OpProgram, page, data, int64(len(data)), oob, int64(len(oob)))
	return d.run(op, func() error { return d.programPage(page, data, oob, d.strict()) })
}

// Block returns the NAND block holding page.
func (d *Device) Block(page int) int {
	if d.g.kind != NAND {
		return 0
	}
	return page / d.g.cfg.PagesPerBlock
}

// IsBad reports whether NAND block b carries a bad-block mark: a byte other
// than the erase value (0xFF) at the mark offset of a mark page's OOB.
// Always false on NOR or without a spare area.
func (d *Device) IsBad(b int) bool {
	g := d.g
	if g.kind != NAND || b < 0 || b >= g.cfg.Blocks || g.store == int(g.chunk) {
		return false
	}
	for _, p := range g.badMark {
		c := d.chunkRO(b*g.cfg.PagesPerBlock + p)
		if c != nil && c.data[int(g.chunk)+g.cfg.BadMarkOffset] != g.ev {
			return true
		}
	}
	return false
}

// MarkBad writes the bad-block mark of block b (as an FTL or a worn-out chip
// does): 0x00 (the complement of the erase value) at the mark offset of every
// mark page's OOB. Marks survive: a bad block refuses erase and program with
// ErrBadBlock, and even a raw ApplyErase keeps them.
func (d *Device) MarkBad(b int) error {
	if err := d.needNAND(); err != nil {
		return err
	}
	if d.OOBSize() == 0 {
		return fmt.Errorf("%w: no spare area for a bad-block mark", ErrNotSupported)
	}
	if b < 0 || b >= d.g.cfg.Blocks {
		return fmt.Errorf("%w: block %d of %d", ErrOutOfRange, b, d.g.cfg.Blocks)
	}
	d.markBad(b)
	return nil
}

func (d *Device) markBad(b int) {
	g := d.g
	for _, p := range g.badMark {
		c := d.chunkRW(b*g.cfg.PagesPerBlock + p)
		c.data[int(g.chunk)+g.cfg.BadMarkOffset] = ^g.ev
	}
}

// BadBlocks lists the blocks that carry a bad-block mark.
func (d *Device) BadBlocks() []int {
	var bad []int
	if d.g.kind != NAND {
		return nil
	}
	for b := 0; b < d.g.cfg.Blocks; b++ {
		if d.IsBad(b) {
			bad = append(bad, b)
		}
	}
	return bad
}

func (d *Device) checkBad(off, n int64) error {
	if n == 0 {
		return nil
	}
	for u := d.g.unitAt(off); u < d.g.units() && d.g.unitStart[u] < off+n; u++ {
		if d.IsBad(u) {
			return fmt.Errorf("%w: block %d", ErrBadBlock, u)
		}
	}
	return nil
}

// countViol counts the bytes of src that ask a bit of dst to return to the
// erased state.
func countViol(dst, src []byte, ev byte) int {
	n := 0
	for i, b := range src {
		if (dst[i]^ev)&^(b^ev) != 0 {
			n++
		}
	}
	return n
}
