package fcb

import (
	"fmt"

	"github.com/flashemu/flashemu/crc8"
	"github.com/flashemu/flashemu/errno"
)

// readLen reads and decodes the length field at loc.ElemOff and fills in
// loc.DataOff and loc.Len. It returns the count of length bytes (in
// f.tmp[:cnt]) or rcENOTSUP / rcEIO (and, in repair mode only, rcTorn). It
// is the common head of fcb_elem_crc8 and fcb_elem_endmarker_fixed.
func (f *FCB) readLen(loc *Loc) int {
	if f.repair && (f.dirty[loc.Sector] || f.tail[loc.Sector] > 0 && loc.ElemOff >= f.tail[loc.Sector]) {
		// Repair: a dropped sector reads as empty until it is reused, and
		// a sector whose torn tail was dropped ends at the torn entry.
		return rcENOTSUP
	}
	if int64(loc.ElemOff)+2 > f.sectors[loc.Sector].Size {
		return rcENOTSUP
	}
	if rc := f.flashRead(loc.Sector, loc.ElemOff, f.tmp[:2]); rc != rcOK {
		return rcEIO
	}
	n, cnt := getLen(f.tmp[:2], f.ev)
	if cnt < 0 {
		return cnt
	}
	loc.DataOff = loc.ElemOff + f.lenInFlash(cnt)
	loc.Len = n
	if f.repair {
		// Zephyr reads the payload and then the end marker, and fails with
		// EIO when that runs past the sector (a torn 2-byte length decodes
		// to at least 32640). Repair mode names the case up front.
		if end := int64(loc.DataOff) + int64(f.lenInFlash(n)) + 1; end > f.sectors[loc.Sector].Size {
			f.ioErr = fmt.Errorf("torn entry at offset %d of sector %d: length %d runs past the %d-byte sector",
				loc.ElemOff, loc.Sector, n, f.sectors[loc.Sector].Size)
			return rcTorn
		}
	}
	return cnt
}

// elemCRC8 is fcb_elem_crc8: the CRC over the stored length bytes and the
// payload, read in 32-byte chunks.
func (f *FCB) elemCRC8(loc *Loc) (byte, int) {
	cnt := f.readLen(loc)
	if cnt < 0 {
		return 0, cnt
	}
	c := crc8.Update(crc8.InitialValue, f.tmp[:cnt])
	for off, end := loc.DataOff, loc.DataOff+loc.Len; off < end; {
		blk := min(end-off, crcChunk)
		if rc := f.flashRead(loc.Sector, off, f.tmp[:blk]); rc != rcOK {
			return 0, rcEIO
		}
		c = crc8.Update(c, f.tmp[:blk])
		off += blk
	}
	return c, rcOK
}

// endMarker is fcb_elem_endmarker: the expected end marker of the entry.
func (f *FCB) endMarker(loc *Loc) (byte, int) {
	if !f.crc {
		if cnt := f.readLen(loc); cnt < 0 {
			return 0, cnt
		}
		return FixedEndMarker, rcOK
	}
	return f.elemCRC8(loc)
}

// elemInfo is fcb_elem_info: rcOK for a valid entry at loc.ElemOff,
// rcEBADMSG for a wrong end marker, rcENOTSUP for no entry, rcEIO.
// Built as with CONFIG_FCB_ALLOW_FIXED_ENDMARKER: on a mismatch the CRC is
// (re)computed and accepted too.
//
// In repair mode a torn tail (see tornTail) ends the sector's entries: it is
// dropped (dropTail) and reported as rcENOTSUP, so mounts and walks go on.
func (f *FCB) elemInfo(loc *Loc) int {
	rc := f.elemInfoZephyr(loc)
	if f.repair && f.tornTail(rc) {
		f.dropTail(loc.Sector, loc.ElemOff)
		return rcENOTSUP
	}
	return rc
}

// tornTail reports whether rc, from reading the entry at the end of a
// sector's entries, means the entry is torn: its length runs past the sector
// (rcTorn), or the device cannot read its bits (EBADMSG: NAND ECC failure
// of a torn page). Other device errors (a power loss, EIO) say nothing about
// the flash contents and are returned as errors.
func (f *FCB) tornTail(rc int) bool {
	return rc == rcTorn || rc == rcEIO && errno.Of(f.ioErr) == -int(errno.EBADMSG)
}

// elemInfoZephyr is fcb_elem_info as Zephyr has it.
func (f *FCB) elemInfoZephyr(loc *Loc) int {
	em, rc := f.endMarker(loc)
	if rc != rcOK {
		return rc
	}
	fl := f.one[:]
	if rc := f.flashRead(loc.Sector, loc.DataOff+f.lenInFlash(loc.Len), fl); rc != rcOK {
		return rcEIO
	}
	if fl[0] != em {
		if em, rc = f.elemCRC8(loc); rc != rcOK {
			return rc
		}
	}
	if fl[0] != em {
		return rcEBADMSG
	}
	return rcOK
}

// getnextInSector is fcb_getnext_in_sector: from a valid (or bad) entry at
// loc, move to the next valid entry of the same sector, skipping bad ones.
// It returns rcOK, rcENOTSUP or an I/O error, never rcEBADMSG.
func (f *FCB) getnextInSector(loc *Loc) int {
	rc := f.elemInfo(loc)
	for rc == rcOK || rc == rcEBADMSG {
		loc.ElemOff = loc.DataOff + f.lenInFlash(loc.Len) + f.lenInFlash(1)
		if rc = f.elemInfo(loc); rc != rcEBADMSG {
			break
		}
	}
	return rc
}

// getnextNolock is fcb_getnext_nolock. It differs from Zephyr in one place
// (interface.md): when the in-sector step from a given entry hits an I/O
// error, Zephyr returns 0 with a garbage location; this returns the error.
func (f *FCB) getnextNolock(loc *Loc) int {
	if loc.Sector < 0 {
		loc.Sector = f.oldest
	}
	loc.SectorOff = f.sectors[loc.Sector].Off
	var rc int
	if loc.ElemOff == 0 {
		// First entry of the sector.
		loc.ElemOff = f.lenInFlash(HeaderSize)
		rc = f.elemInfo(loc)
		if rc == rcOK {
			return rcOK
		}
	} else {
		rc = f.getnextInSector(loc)
		switch rc {
		case rcOK:
			return rcOK
		case rcENOTSUP:
		default:
			return rc // Zephyr: return 0 with loc pointing at garbage
		}
	}
	for {
		if rc == rcEBADMSG {
			// Skip the bad entries of this sector.
			if rc = f.getnextInSector(loc); rc == rcOK {
				return rcOK
			}
		}
		// Next sector; the active one is the last.
		if loc.Sector == f.active.Sector {
			return rcENOTSUP
		}
		loc.Sector = f.next(loc.Sector)
		loc.SectorOff = f.sectors[loc.Sector].Off
		loc.ElemOff = f.lenInFlash(HeaderSize)
		if rc = f.elemInfo(loc); rc == rcOK {
			return rcOK
		}
	}
}
