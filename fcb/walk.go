package fcb

import (
	"errors"
	"fmt"
	"iter"
	"slices"
)

// GetNext is fcb_getnext: the valid entry after loc. With loc.Sector ==
// NoSector it starts at the oldest sector; with loc.ElemOff == 0 it returns
// the first valid entry of loc.Sector (or of the sectors after it). Entries
// with a bad end marker are skipped; the walk ends at the active sector with
// ErrNoEntry (ENOTSUP).
//
// Unlike Zephyr, which returns 0 with a garbage location when the step from
// loc to the next entry of its sector fails with an I/O error, GetNext
// returns that error (ErrIO).
func (f *FCB) GetNext(loc Loc) (Loc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if loc.Sector != NoSector {
		if err := f.checkLoc(loc); err != nil {
			return loc, err
		}
	}
	rc := f.getnextNolock(&loc)
	return loc, f.errOf(rc)
}

// First returns the oldest valid entry (GetNext from a zeroed location).
func (f *FCB) First() (Loc, error) { return f.GetNext(Loc{Sector: NoSector}) }

// ElemInfo is fcb_elem_info: it validates the entry whose length field is at
// loc.ElemOff and returns loc with DataOff and Len filled in. Errors:
// ErrNoEntry, ErrBadEndMarker (EBADMSG), ErrIO.
func (f *FCB) ElemInfo(loc Loc) (Loc, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLoc(loc); err != nil {
		return loc, err
	}
	loc.SectorOff = f.sectors[loc.Sector].Off
	rc := f.elemInfo(&loc)
	return loc, f.errOf(rc)
}

// Walk is fcb_walk over all sectors: cb sees every valid entry from the
// oldest to the newest. A non-nil error from cb ends the walk and is
// returned as is, except SkipAll, which ends it with nil. cb runs without
// the FCB's lock and may append.
func (f *FCB) Walk(cb func(Loc) error) error { return f.WalkSector(NoSector, cb) }

// WalkSector is fcb_walk restricted to one sector (NoSector: all).
func (f *FCB) WalkSector(sector int, cb func(Loc) error) error {
	if sector != NoSector && (sector < 0 || sector >= len(f.sectors)) {
		return fmt.Errorf("%w: sector %d of %d", ErrInvalid, sector, len(f.sectors))
	}
	loc := Loc{Sector: sector}
	for {
		f.mu.Lock()
		rc := f.getnextNolock(&loc)
		var err error
		if rc != rcOK && rc != rcENOTSUP {
			err = f.errOf(rc)
		}
		f.mu.Unlock()
		switch {
		case rc == rcENOTSUP:
			return nil
		case err != nil:
			return err
		}
		if sector != NoSector && loc.Sector != sector {
			return nil
		}
		if err := cb(loc); err != nil {
			if errors.Is(err, SkipAll) {
				return nil
			}
			return err
		}
	}
}

// Entry is an entry and its payload, as Entries yields it.
type Entry struct {
	Loc
	// Data is the payload. It is only valid until the iteration continues
	// (the buffer is reused); copy it to keep it.
	Data []byte
}

// Entries iterates over the valid entries from the oldest to the newest,
// reading each payload (under the FCB's lock) into a buffer reused between
// entries. An error ends the sequence with a final (Entry{}, err) pair.
func (f *FCB) Entries() iter.Seq2[Entry, error] {
	return func(yield func(Entry, error) bool) {
		var buf []byte
		loc := Loc{Sector: NoSector}
		for {
			f.mu.Lock()
			rc := f.getnextNolock(&loc)
			var err error
			switch rc {
			case rcOK:
				buf = slices.Grow(buf[:0], loc.Len)[:loc.Len]
				if e := f.area.Read(loc.AreaOff(), buf); e != nil {
					err = fmt.Errorf("%w: payload: %w", ErrIO, e)
				}
			case rcENOTSUP:
			default:
				err = f.errOf(rc)
			}
			f.mu.Unlock()
			switch {
			case rc == rcENOTSUP:
				return
			case err != nil:
				yield(Entry{}, err)
				return
			}
			if !yield(Entry{Loc: loc, Data: buf}, nil) {
				return
			}
		}
	}
}

// Read reads the payload of the entry at loc into p (up to loc.Len bytes)
// and returns the number of bytes read.
func (f *FCB) Read(loc Loc, p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.checkLoc(loc); err != nil {
		return 0, err
	}
	loc.SectorOff = f.sectors[loc.Sector].Off
	n := min(len(p), max(loc.Len, 0))
	if err := f.area.Read(loc.AreaOff(), p[:n]); err != nil {
		return 0, fmt.Errorf("%w: payload: %w", ErrIO, err)
	}
	return n, nil
}

// ReadData returns a copy of the payload of the entry at loc.
func (f *FCB) ReadData(loc Loc) ([]byte, error) {
	p := make([]byte, max(loc.Len, 0))
	n, err := f.Read(loc, p)
	return p[:n], err
}

// OffsetLastN is fcb_offset_last_n: the entry n entries from the end (n = 1
// the newest). n = 0 counts as 1; with fewer than n entries it returns the
// oldest. ErrNotFound (ENOENT) when there are no entries or the trailing
// entry vanished meanwhile. n is a u8 in Zephyr: values above 255 give
// ErrInvalid.
func (f *FCB) OffsetLastN(n int) (Loc, error) {
	if n < 0 || n > 0xFF {
		return Loc{}, fmt.Errorf("%w: n = %d (0..255)", ErrInvalid, n)
	}
	if n == 0 {
		n = 1
	}
	var out Loc
	loc := Loc{Sector: NoSector}
	i := 0
	for {
		next, err := f.GetNext(loc)
		if err != nil {
			break
		}
		loc = next
		if i == 0 {
			out = loc
		} else if i > n-1 {
			if out, err = f.GetNext(out); err != nil {
				return Loc{}, fmt.Errorf("%w: trailing entry vanished: %w", ErrNotFound, err)
			}
		}
		i++
	}
	if i == 0 {
		return Loc{}, ErrNotFound
	}
	return out, nil
}
