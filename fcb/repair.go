package fcb

// drop marks sector i as unused and dirty (repair mode): it counts the
// bytes that are not erased, and the sector is erased before it is reused.
func (f *FCB) drop(i int) int {
	n, rc := f.nonErased(i)
	if rc != rcOK {
		return rc
	}
	f.dirty[i] = true
	f.dropped = append(f.dropped, DroppedSector{Index: i, NonErasedBytes: n})
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
		f.dropped = append(f.dropped, DroppedSector{Index: i, NonErasedBytes: n})
	}
	return rcOK
}

// nonErased counts the bytes of sector i that differ from the erase value.
func (f *FCB) nonErased(i int) (int, int) {
	var buf [512]byte
	size := int(f.sectors[i].Size)
	n := 0
	for off := 0; off < size; {
		k := min(size-off, len(buf))
		if rc := f.flashRead(i, off, buf[:k]); rc != rcOK {
			return 0, rcEIO
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

// Dropped reports the sectors repair mode treated as unused at mount time,
// with how many of their bytes were not erased. It is nil without
// Options.Repair or when nothing was dropped. A dropped sector is erased
// before the FCB writes a header into it.
func (f *FCB) Dropped() []DroppedSector {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]DroppedSector(nil), f.dropped...)
}
