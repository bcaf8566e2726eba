package emu

// Two views of the array. What the cells store (Peek, PeekOOB, Dump,
// DumpOOB, and the saved images) leaves out the bit errors, unstable bits
// and stuck bits that fault models add: those are transient or physical
// defects, not content. What a read returns (PeekRead, DumpAsRead,
// PeekOOBRead, DumpOOBAsRead) has them applied, and on NAND with ECC the
// correctable steps corrected, exactly as the next Read, ReadPage or
// ReadOOB would return them.

// PeekRead copies into p what Read(off, p) would return now, with its ECC
// report and error (ErrBadMsg for an uncorrectable step, the raw bits
// then): bit errors and stuck bits applied, unstable bits as the next read
// would draw them, correctable ECC steps corrected. Unlike Read it is a raw
// accessor: no power or alignment check, no clock, hook, counters or read
// tracking, and the device's generator is left where it was, so the next
// Read of the same range returns the same bytes.
func (d *Device) PeekRead(off int64, p []byte) (ECCReport, error) {
	if err := d.rawRange(off, len(p)); err != nil {
		return ECCReport{}, err
	}
	rng, stats, ecc, track := d.rng, d.stats, d.ecc, d.track
	d.track = false
	err := d.read(off, p)
	r := d.ecc
	d.rng, d.stats, d.ecc, d.track = rng, stats, ecc, track
	return r, err
}

// DumpAsRead returns the whole data area (NAND: without spare areas) as a
// read of all of it would return it now (see PeekRead), with the ECC
// report and ErrBadMsg when some step is uncorrectable (its raw bits are in
// the dump). Dump is the stored bits instead.
func (d *Device) DumpAsRead() ([]byte, ECCReport, error) {
	p := make([]byte, d.g.size)
	r, err := d.PeekRead(0, p)
	return p, r, err
}

// PeekOOBRead copies into p what ReadOOB(page, p) would return now: the
// stored spare bytes with bit errors and stuck bits applied and unstable
// bits as the next read would draw them (ECC does not cover spare bytes).
// Like PeekRead it changes nothing.
func (d *Device) PeekOOBRead(page int, p []byte) error {
	if err := d.oobArgs(page, len(p)); err != nil {
		return err
	}
	rng := d.rng
	d.rawView(page, d.chunkRO(page), int(d.g.chunk), p)
	d.rng = rng
	return nil
}

// DumpOOBAsRead returns every page's spare area, page after page, as
// ReadOOB would return it now (see PeekOOBRead); nil on NOR. DumpOOB is
// the stored bits instead.
func (d *Device) DumpOOBAsRead() []byte {
	if d.g.kind != NAND {
		return nil
	}
	oob := d.OOBSize()
	p := make([]byte, d.g.nchunks*oob)
	rng := d.rng
	for i := 0; i < d.g.nchunks; i++ {
		d.rawView(i, d.chunkRO(i), int(d.g.chunk), p[i*oob:(i+1)*oob])
	}
	d.rng = rng
	return p
}
