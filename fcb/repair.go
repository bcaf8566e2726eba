package fcb

import (
	"fmt"

	"github.com/flashemu/flashemu/api"
)

// drop marks sector i as unused and dirty (repair mode): it counts the
// bytes that are not erased, and the sector is erased before it is reused.
func (f *FCB) drop(i int) int {
	n, rc := f.nonErased(i)
	if rc != rcOK {
		return rc
	}
	f.dirty[i] = true
	f.dropped = append(f.dropped, DroppedSector{Index: i, Skipped: int(f.sectors[i].Size), NonErasedBytes: n,
		Reason: "sector header is neither erased nor valid"})
	return rcOK
}

// checkErased drops an unused sector (erased header) whose body is not
// erased, e.g. after a torn erase that reached the header first.
func (f *FCB) checkErased(i int) int {
	n, rc := f.nonErased(i)
	if rc != rcOK {
		return rc
	}
	if n > 0 {
		f.dirty[i] = true
		f.dropped = append(f.dropped, DroppedSector{Index: i, Skipped: int(f.sectors[i].Size), NonErasedBytes: n,
			Reason: "sector header is erased but its body is not"})
	}
	return rcOK
}

// dropTail drops the torn tail of sector i from in-sector offset off (the
// torn entry's length field, whose problem f.ioErr describes): entries of
// the sector end there until it is erased. Each tail is reported once (a
// tail found before an earlier one replaces it); the error describing it is
// consumed. The count of non-erased bytes is best effort: unreadable chunks
// count as not erased.
func (f *FCB) dropTail(i, off int) {
	reason := "torn entry"
	if f.ioErr != nil {
		reason = f.ioErr.Error()
		if api.ErrnoOf(f.ioErr) == -int(api.EBADMSG) {
			reason = fmt.Sprintf("torn entry at offset %d of sector %d: unreadable: %v", off, i, f.ioErr)
		}
		f.ioErr = nil
	}
	if f.tail[i] > 0 && off >= f.tail[i] {
		return
	}
	size := int(f.sectors[i].Size)
	n, _ := f.countNonErased(i, off, size, true)
	f.tail[i] = off
	f.dropped = append(f.dropped, DroppedSector{Index: i, Offset: off, Skipped: size - off, NonErasedBytes: n, Reason: reason})
}

// nonErased counts the bytes of sector i that differ from the erase value.
func (f *FCB) nonErased(i int) (int, int) {
	return f.countNonErased(i, 0, int(f.sectors[i].Size), false)
}

// countNonErased counts the bytes of sector i in [from, to) that differ
// from the erase value. A read error fails it with rcEIO, or with
// tolerate counts the chunk as not erased and goes on.
func (f *FCB) countNonErased(i, from, to int, tolerate bool) (int, int) {
	var buf [512]byte
	n := 0
	for off := from; off < to; {
		k := min(to-off, len(buf))
		if rc := f.flashRead(i, off, buf[:k]); rc != rcOK {
			if !tolerate {
				return 0, rcEIO
			}
			f.ioErr = nil
			n += k
			off += k
			continue
		}
		for _, b := range buf[:k] {
			if b != f.ev {
				n++
			}
		}
		off += k
	}
	return n, rcOK
}

// Dropped reports what repair mode gave up (see Options.Repair), in the
// order it was found: whole sectors treated as unused at mount time, and
// torn sector tails, found at mount time in the active sector or later by a
// walk in an older sector (each reported once). It is nil without
// Options.Repair or when nothing was dropped. A dropped sector is erased
// before the FCB writes a header into it.
func (f *FCB) Dropped() []DroppedSector {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]DroppedSector(nil), f.dropped...)
}
