package fcb

import (
	"fmt"

	"github.com/flashemu/flashemu/errno"
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
		if errno.Of(f.ioErr) == -int(errno.EBADMSG) {
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

// repairEnds (repair mode) checks the oldest and newest sectors Zephyr's
// header scan chose, given ids (the id of every used sector, -1 for unused
// ones), against what a torn header write leaves: a sector opened after the
// newest one whose magic landed but whose id did not. In every history FCB
// can write, a used sector without entries is the newest sector, and the
// newest sector's id follows the id of a used sector before it. So an empty
// oldest sector (other than the newest), or an empty newest sector whose id
// does not follow its used predecessor's, is a torn header: it is dropped
// (erased before reuse) and the ends are chosen again. Only empty sectors
// are dropped, so no entry is lost.
func (f *FCB) repairEnds(ids []int, oldestSec, newestSec *int) int {
	n := len(f.sectors)
	for range n {
		o, nw := *oldestSec, *newestSec
		if o == nw {
			return rcOK
		}
		victim, reason := -1, ""
		empty, rc := f.emptySector(o)
		if rc != rcOK {
			return rc
		}
		if empty {
			victim = o
			reason = fmt.Sprintf("torn sector header: empty sector with id %#04x would be the oldest", ids[o])
		} else if p := (nw + n - 1) % n; ids[p] >= 0 && uint16(ids[nw]) != uint16(ids[p]+1) {
			if empty, rc = f.emptySector(nw); rc != rcOK {
				return rc
			}
			if empty {
				victim = nw
				reason = fmt.Sprintf("torn sector header: empty newest sector with id %#04x, sector %d before it has id %#04x",
					ids[nw], p, ids[p])
			}
		}
		if victim < 0 {
			return rcOK
		}
		cnt, rc := f.nonErased(victim)
		if rc != rcOK {
			return rc
		}
		f.dirty[victim] = true
		f.dropped = append(f.dropped, DroppedSector{Index: victim, Skipped: int(f.sectors[victim].Size),
			NonErasedBytes: cnt, Reason: reason})
		ids[victim] = -1
		*oldestSec, *newestSec = selectEnds(ids)
	}
	return rcOK
}

// selectEnds is fcb_init's choice of the oldest and newest sector among the
// used sectors (ids[i] >= 0), in sector order as Zephyr makes it.
func selectEnds(ids []int) (oldestSec, newestSec int) {
	oldestSec, newestSec = -1, -1
	for i, id := range ids {
		switch {
		case id < 0:
		case oldestSec < 0:
			oldestSec, newestSec = i, i
		case idGT(uint16(id), uint16(ids[newestSec])):
			newestSec = i
		case idGT(uint16(ids[oldestSec]), uint16(id)):
			oldestSec = i
		}
	}
	return oldestSec, newestSec
}

// emptySector reports whether everything of sector i after its header is
// erased. The first length field is read first, so a sector with entries
// costs one small read.
func (f *FCB) emptySector(i int) (bool, int) {
	hdr := f.lenInFlash(HeaderSize)
	size := int(f.sectors[i].Size)
	if k := min(2, size-hdr); k > 0 {
		b := f.tmp[:k]
		if rc := f.flashRead(i, hdr, b); rc != rcOK {
			return false, rcEIO
		}
		for _, c := range b {
			if c != f.ev {
				return false, rcOK
			}
		}
	}
	cnt, rc := f.countNonErased(i, hdr, size, false)
	return cnt == 0 && rc == rcOK, rc
}
