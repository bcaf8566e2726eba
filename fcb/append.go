package fcb

import "fmt"

// newSector is fcb_new_sector: the sector after the active one, provided
// none of the next cnt+1 sectors is the oldest; -1 otherwise.
func (f *FCB) newSector(cnt int) int {
	prev := -1
	cur := f.active.Sector
	for i := 0; ; i++ {
		cur = f.next(cur)
		if prev < 0 {
			prev = cur
		}
		if cur == f.oldest {
			return -1
		}
		if i >= cnt {
			return prev
		}
	}
}

// Append is fcb_append: it reserves room for an n-byte entry, writes its
// length field and returns where the payload goes (Loc.AreaOff). The caller
// writes the payload (WriteData, or api.Area.Write in write-block multiples)
// and then calls AppendFinish; until then the entry is invisible. When the
// active sector is full the next one is opened, unless that would reach the
// oldest sector (keeping ScratchCount sectors free): ErrNoSpace.
//
// Errors: ErrInvalid (n < 0 or n > MaxLen), ErrNoSpace, ErrIO.
func (f *FCB) Append(n int) (Loc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.append(n)
}

func (f *FCB) append(n int) (Loc, error) {
	for i := range f.lenBuf {
		f.lenBuf[i] = f.ev
	}
	cnt, err := PutLen(f.lenBuf, n, f.ev)
	if err != nil {
		return Loc{}, err
	}
	cnt = f.lenInFlash(cnt)
	need := f.lenInFlash(n) + f.lenInFlash(1)

	active := &f.active
	if int64(active.ElemOff+need+cnt) > f.sectors[active.Sector].Size {
		sec := f.newSector(f.scratch)
		if sec < 0 || f.sectors[sec].Size < int64(f.lenInFlash(HeaderSize)+need+cnt) {
			return Loc{}, fmt.Errorf("%w: %d-byte entry", ErrNoSpace, n)
		}
		if rc := f.sectorHdrInit(sec, f.activeID+1); rc != rcOK {
			return Loc{}, f.errOf(rc)
		}
		*active = f.loc(sec, f.lenInFlash(HeaderSize))
		f.activeID++
	}
	if rc := f.flashWrite(active.Sector, active.ElemOff, f.lenBuf[:cnt]); rc != rcOK {
		return Loc{}, f.errOf(rcEIO)
	}
	loc := Loc{
		Sector:    active.Sector,
		SectorOff: active.SectorOff,
		ElemOff:   active.ElemOff,
		DataOff:   active.ElemOff + cnt,
		Len:       n,
	}
	active.ElemOff = loc.DataOff + need
	return loc, nil
}

// AppendFinish is fcb_append_finish: it reads the entry's length and payload
// back, computes the end marker (CRC-8, or 0xAB) and writes it as one write
// block padded with 0xFF (not the erase value, as in Zephyr). The CRC covers
// whatever payload is in flash at this moment.
//
// Errors: ErrInvalid (bad loc), ErrNoEntry (the length field is erased),
// ErrIO.
func (f *FCB) AppendFinish(loc Loc) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLoc(loc); err != nil {
		return err
	}
	return f.appendFinish(&loc)
}

func (f *FCB) appendFinish(loc *Loc) error {
	em, rc := f.endMarker(loc)
	if rc != rcOK {
		return f.errOf(rc)
	}
	for i := range f.marker {
		f.marker[i] = 0xFF
	}
	f.marker[0] = em
	if rc := f.flashWrite(loc.Sector, loc.DataOff+f.lenInFlash(loc.Len), f.marker); rc != rcOK {
		return f.errOf(rcEIO)
	}
	return nil
}

// WriteData writes an entry's payload at loc in one device write, padded with
// the erase value to a whole number of write blocks (what the reference
// vectors' harness does). len(data) must not exceed loc.Len. An empty
// payload writes nothing.
func (f *FCB) WriteData(loc Loc, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLoc(loc); err != nil {
		return err
	}
	loc.SectorOff = f.sectors[loc.Sector].Off
	return f.writeData(loc, data)
}

func (f *FCB) writeData(loc Loc, data []byte) error {
	if len(data) > loc.Len {
		return fmt.Errorf("%w: %d bytes of payload for a %d-byte entry", ErrInvalid, len(data), loc.Len)
	}
	if len(data) == 0 {
		return nil
	}
	n := f.lenInFlash(len(data))
	buf := data
	if n != len(data) {
		if cap(f.data) < n {
			f.data = make([]byte, n)
		}
		buf = f.data[:n]
		copy(buf, data)
		for i := len(data); i < n; i++ {
			buf[i] = f.ev
		}
	}
	if err := f.area.Write(loc.AreaOff(), buf); err != nil {
		return fmt.Errorf("%w: payload: %w", ErrIO, err)
	}
	return nil
}

// Push appends data as one entry: Append, WriteData, AppendFinish. If the
// payload write or the finish fails after Append succeeded, the reserved
// space stays used (a torn entry that walks skip), as in Zephyr.
func (f *FCB) Push(data []byte) (Loc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	loc, err := f.append(len(data))
	if err != nil {
		return Loc{}, err
	}
	if err := f.writeData(loc, data); err != nil {
		return loc, err
	}
	if err := f.appendFinish(&loc); err != nil {
		return loc, err
	}
	return loc, nil
}

// AppendToScratch is fcb_append_to_scratch: it opens the next sector even
// if that eats into the scratch sectors, as long as it is not the oldest.
// Errors: ErrNoSpace, ErrIO.
func (f *FCB) AppendToScratch() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	sec := f.newSector(0)
	if sec < 0 {
		return fmt.Errorf("%w: the next sector is the oldest", ErrNoSpace)
	}
	if rc := f.sectorHdrInit(sec, f.activeID+1); rc != rcOK {
		return f.errOf(rc)
	}
	f.active = f.loc(sec, f.lenInFlash(HeaderSize))
	f.activeID++
	return nil
}

// Rotate is fcb_rotate: it erases the oldest sector and makes the next one
// the oldest. If the oldest was also the active sector, the next sector is
// opened as the new active one first. Errors: ErrIO.
func (f *FCB) Rotate() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rotate()
}

func (f *FCB) rotate() error {
	if rc := f.eraseSector(f.oldest); rc != rcOK {
		return f.errOf(rcEIO)
	}
	if f.oldest == f.active.Sector {
		sec := f.next(f.oldest)
		if rc := f.sectorHdrInit(sec, f.activeID+1); rc != rcOK {
			// As in Zephyr the oldest pointer stays although it was erased.
			return f.errOf(rc)
		}
		f.active = f.loc(sec, f.lenInFlash(HeaderSize))
		f.activeID++
	}
	f.oldest = f.next(f.oldest)
	return nil
}

// Clear is fcb_clear: rotate until the FCB is empty. An empty FCB is not
// touched.
func (f *FCB) Clear() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for !f.isEmpty() {
		if err := f.rotate(); err != nil {
			return err
		}
	}
	return nil
}

// FreeSectorCount is fcb_free_sector_cnt: the sectors strictly between the
// active and the oldest one going forward.
func (f *FCB) FreeSectorCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.freeSectorCount()
}

func (f *FCB) freeSectorCount() int {
	fa := f.active.Sector
	i := 0
	for ; i < len(f.sectors); i++ {
		fa = f.next(fa)
		if fa == f.oldest {
			break
		}
	}
	return i
}

// IsEmpty is fcb_is_empty: the active sector is the oldest and nothing was
// appended to it.
func (f *FCB) IsEmpty() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.isEmpty()
}

func (f *FCB) isEmpty() bool {
	return f.active.Sector == f.oldest && f.active.ElemOff == f.lenInFlash(HeaderSize)
}

// checkLoc validates a caller's location.
func (f *FCB) checkLoc(loc Loc) error {
	if loc.Sector < 0 || loc.Sector >= len(f.sectors) || loc.ElemOff < 0 {
		return fmt.Errorf("%w: location sector %d offset %d", ErrInvalid, loc.Sector, loc.ElemOff)
	}
	return nil
}
