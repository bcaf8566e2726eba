package emu

import "fmt"

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
// are not covered by the ECC model.
func (d *Device) ReadOOB(page int, p []byte) error {
	if err := d.oobArgs(page, len(p)); err != nil {
		return d.failed(err)
	}
	op := d.begin(OpReadOOB, int64(page)*d.g.chunk, int64(len(p)), nil, page)
	return d.run(op, func() error {
		c := d.chunkRO(page)
		if c == nil {
			fill(p, d.g.ev)
			if len(d.stuck) > 0 {
				d.applyStuck(page, int(d.g.chunk), p)
			}
			return nil
		}
		d.rawView(page, c, int(d.g.chunk), p)
		return nil
	})
}

// WriteOOB programs data into page's spare area from its start. It is a page
// program: it counts against NOP and the in-order rule.
func (d *Device) WriteOOB(page int, data []byte) error {
	if err := d.oobArgs(page, len(data)); err != nil {
		return d.failed(err)
	}
	off := int64(page) * d.g.chunk
	if err := d.checkProtect(off, 1); err != nil {
		return d.failed(err)
	}
	if err := d.checkBad(off, 1); err != nil {
		return d.failed(err)
	}
	op := d.begin(OpProgramOOB, off, int64(len(data)), data, page)
	return d.run(op, func() error { return d.programOOB(page, data, d.g.cfg.Violations == ViolationsStrict) })
}

func (d *Device) oobArgs(page, n int) error {
	if err := d.needNAND(); err != nil {
		return err
	}
	if err := d.checkPageIndex(page); err != nil {
		return err
	}
	if n > d.OOBSize() {
		return fmt.Errorf("%w: %d OOB bytes on a %d-byte spare area", ErrOutOfRange, n, d.OOBSize())
	}
	if d.off {
		return ErrPowerLoss
	}
	return nil
}

func (d *Device) programOOB(page int, data []byte, strict bool) error {
	g := d.g
	co := int(g.chunk)
	if strict {
		c := d.chunkRO(page)
		if c != nil && violates(c.data[co:co+len(data)], data, g.ev) {
			return fmt.Errorf("%w: OOB of page %d", ErrProgramViolation, page)
		}
		if err := d.checkPage(page, c); err != nil {
			return err
		}
	}
	c := d.chunkRW(page)
	viol := programBytes(c.data[co:co+len(data)], data, g.ev)
	limit := 0
	if g.cfg.NOP > 0 && int(c.nop) >= g.cfg.NOP {
		limit++
	}
	c.nop++
	m := d.unitRW(page / g.cfg.PagesPerBlock)
	pib := int32(page%g.cfg.PagesPerBlock) + 1
	if pib < m.hi {
		limit++
	}
	m.hi = max(m.hi, pib)
	m.progNs = d.now
	d.stats.Violations += uint64(viol)
	d.stats.LimitViolations += uint64(limit)
	return nil
}

// ReadPage reads page's data into data (up to the page size) and its spare
// area into oob (up to the OOB size); either may be nil.
func (d *Device) ReadPage(page int, data, oob []byte) (ECCReport, error) {
	if err := d.needNAND(); err != nil {
		return ECCReport{}, d.failed(err)
	}
	if err := d.checkPageIndex(page); err != nil {
		return ECCReport{}, d.failed(err)
	}
	if len(data) > int(d.g.chunk) {
		data = data[:d.g.chunk]
	}
	var err error
	if data != nil {
		err = d.Read(int64(page)*d.g.chunk, data)
	}
	rep := d.ecc
	if oob != nil && err == nil {
		if len(oob) > d.OOBSize() {
			oob = oob[:d.OOBSize()]
		}
		err = d.ReadOOB(page, oob)
	}
	d.ecc = rep
	return rep, err
}

// ProgramPage programs data at the start of page and oob at the start of its
// spare area; either may be nil. Each part is one page program for NOP.
func (d *Device) ProgramPage(page int, data, oob []byte) error {
	if err := d.needNAND(); err != nil {
		return d.failed(err)
	}
	if err := d.checkPageIndex(page); err != nil {
		return d.failed(err)
	}
	if len(data) > 0 {
		if err := d.Program(int64(page)*d.g.chunk, data); err != nil {
			return err
		}
	}
	if len(oob) > 0 {
		return d.WriteOOB(page, oob)
	}
	return nil
}

// Block returns the NAND block holding page.
func (d *Device) Block(page int) int {
	if d.g.kind != NAND {
		return 0
	}
	return page / d.g.cfg.PagesPerBlock
}

// IsBad reports whether NAND block b carries a bad-block mark: a non-0xFF
// byte at the mark offset of a mark page's OOB. Always false on NOR.
func (d *Device) IsBad(b int) bool {
	g := d.g
	if g.kind != NAND || b < 0 || b >= g.cfg.Blocks {
		return false
	}
	for _, p := range g.badMark {
		page := b*g.cfg.PagesPerBlock + p
		c := d.chunkRO(page)
		v := g.ev
		if c != nil {
			v = c.data[int(g.chunk)+g.cfg.BadMarkOffset]
		}
		if v != 0xff {
			return true
		}
	}
	return false
}

// MarkBad writes the bad-block mark of block b (as an FTL or a worn-out chip
// does). Marks survive: a bad block refuses erase and program with ErrBadBlock.
func (d *Device) MarkBad(b int) error {
	if err := d.needNAND(); err != nil {
		return err
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
		c.data[int(g.chunk)+g.cfg.BadMarkOffset] = 0x00
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
