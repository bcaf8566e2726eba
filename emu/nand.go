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

// Unclean reports MTD's -EUCLEAN for this read: every step was corrected
// (no Failed step) but some step needed at least threshold corrections
// (threshold > 0), so the data is good and the block should be scrubbed
// (copied elsewhere and erased) before more bits go. Use
// Device.BitflipThreshold for MTD's default threshold.
func (r ECCReport) Unclean(threshold int) bool {
	return r.Failed == 0 && threshold > 0 && r.MaxBitflips >= threshold
}

// BitflipThreshold is MTD's default bitflip_threshold for the device's ECC:
// 3/4 of the strength (ECCBits) rounded up, as nand_base sets it; 0 when
// the device has no ECC (NOR, or ECCBits 0).
func (d *Device) BitflipThreshold() int {
	if d.g.kind != NAND {
		return 0
	}
	return (d.g.cfg.ECCBits*3 + 3) / 4
}

// LastECC returns the ECC report of the most recent read.
func (d *Device) LastECC() ECCReport { return d.ecc }

// ReadECC reads like Read and returns the ECC report of that read alone
// (corrected bits, steps, uncorrectable steps and MTD's max_bitflips): a
// corrected read returns the corrected data and a nil error, and the report
// says how close it came to failing (see Unclean). It does not allocate.
// An uncorrectable step returns the raw data and ErrBadMsg (EBADMSG).
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
		if err == nil && c != nil && !c.blank && Violates(c.data[co:co+len(oob)], oob, g.ev) {
			err = fmt.Errorf("%w: OOB of page %d", ErrProgramViolation, page)
		}
		if err == nil {
			err = d.checkLimit(page, c, 0, data)
		}
		if err == nil {
			err = d.checkPage(page, c)
		}
		if err != nil {
			if errors.Is(err, ErrProgramViolation) {
				d.stats.Violations += uint64(CountViolations(c.data[:len(data)], data, g.ev) + CountViolations(c.data[co:co+len(oob)], oob, g.ev))
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
		viol += ProgramBits(c.data[co:co+len(oob)], oob, g.ev)
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

// BadKind says why the chip refuses a block.
type BadKind uint8

// Bad-block kinds.
const (
	// BadNone: the block is good.
	BadNone BadKind = iota
	// BadFactory: marked bad at the factory (Config.BadBlocks).
	BadFactory
	// BadGrown: went bad in use (MarkBad: a wear-out fault, or a caller
	// modelling a block that fails program/erase verification).
	BadGrown
)

var badKindNames = [...]string{BadNone: "good", BadFactory: "factory", BadGrown: "grown"}

// String returns "good", "factory" or "grown".
func (k BadKind) String() string {
	if int(k) < len(badKindNames) {
		return badKindNames[k]
	}
	return fmt.Sprintf("bad(%d)", uint8(k))
}

// MarshalText encodes the kind name (JSON).
func (k BadKind) MarshalText() ([]byte, error) {
	if int(k) >= len(badKindNames) {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, k)
	}
	return []byte(k.String()), nil
}

// BadBlock is one bad NAND block and why it is bad.
type BadBlock struct {
	Block int     `json:"block"`
	Kind  BadKind `json:"kind"`
}

// IsBad reports whether the chip refuses NAND block b: a factory-bad block
// (Config.BadBlocks) or a grown-bad one (MarkBad). Such blocks refuse
// program and erase with ErrBadBlock; reads work. The bad-block mark in the
// spare area (a non-0xFF byte at BadMarkOffset of the mark pages) is the
// convention by which software finds them, not what the chip enforces: a
// mark written by WriteOOB, or the zeros of a torn erase's pre-program,
// do not make a block bad, and its next erase clears them, as on real
// parts. Always false on NOR.
func (d *Device) IsBad(b int) bool { return d.BadKind(b) != BadNone }

// BadKind reports whether block b is good, factory-bad or grown-bad.
func (d *Device) BadKind(b int) BadKind {
	g := d.g
	if g.kind != NAND || b < 0 || b >= g.cfg.Blocks {
		return BadNone
	}
	if g.factoryBad != nil && g.factoryBad[b] {
		return BadFactory
	}
	if d.grownBad(b) {
		return BadGrown
	}
	return BadNone
}

// The grown-bad flags of the blocks live in prot after the protection
// flags (prot[units+b]), copied on change like them, so that snapshots
// carry them; prot is only units long while no block has grown bad.
// TODO(issue 13): move them to unitMeta when store.go and snapshot.go are
// free to change.
func (d *Device) grownBad(b int) bool {
	n := d.g.units()
	return len(d.prot) > n && d.prot[n+b]
}

func (d *Device) setGrownBad(b int) {
	n := d.g.units()
	p := make([]bool, 2*n)
	copy(p, d.prot)
	p[n+b] = true
	d.prot = p
}

// anyBad reports whether some block may refuse (fast path of checkBad).
func (d *Device) anyBad() bool {
	return d.g.factoryBad != nil || len(d.prot) > d.g.units()
}

// MarkBad makes block b grown-bad, as a block that failed program or erase
// verification (wear faults call it): from then on the chip refuses to
// program or erase it with ErrBadBlock, and it writes the bad-block mark
// (0x00, the complement of the erase value, at the mark offset of every mark
// page's OOB) for software to find. The state survives erases (even a raw
// ApplyErase, which rewrites the marks) and snapshots.
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
	if !d.grownBad(b) {
		d.setGrownBad(b)
	}
	d.markBad(b)
	return nil
}

// markBad writes the bad-block marks of block b into its spare area.
func (d *Device) markBad(b int) {
	g := d.g
	for _, p := range g.badMark {
		c := d.chunkRW(b*g.cfg.PagesPerBlock + p)
		c.data[int(g.chunk)+g.cfg.BadMarkOffset] = ^g.ev
	}
}

// BadBlocks lists the blocks the chip refuses, in order, with their kind
// (nil on NOR or when every block is good).
func (d *Device) BadBlocks() []BadBlock {
	var bad []BadBlock
	if d.g.kind != NAND || !d.anyBad() {
		return nil
	}
	for b := 0; b < d.g.cfg.Blocks; b++ {
		if k := d.BadKind(b); k != BadNone {
			bad = append(bad, BadBlock{Block: b, Kind: k})
		}
	}
	return bad
}

func (d *Device) checkBad(off, n int64) error {
	if n == 0 || !d.anyBad() {
		return nil
	}
	for u := d.g.unitAt(off); u < d.g.units() && d.g.unitStart[u] < off+n; u++ {
		if k := d.BadKind(u); k != BadNone {
			return fmt.Errorf("%w: block %d (%s)", ErrBadBlock, u, k)
		}
	}
	return nil
}
