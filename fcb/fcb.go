package fcb

import (
	"fmt"
	"sync"

	"github.com/flashemu/flashemu/api"
)

// Options configures New (the fields of struct fcb the user fills in).
type Options struct {
	// Magic is f_magic. With 0xFFFFFFFF every sector looks unused.
	Magic uint32
	// Version is f_version: written to headers, never checked.
	Version uint8
	// Sectors is the sector table (f_sectors), offsets relative to the area.
	// Nil means the area's own sectors (api.Area.Sectors).
	Sectors []api.Sector
	// ScratchCount is f_scratch_cnt: sectors kept free for AppendToScratch.
	ScratchCount int
	// NoCRC selects the fixed end marker 0xAB instead of the CRC-8
	// (FCB_FLAGS_CRC_DISABLED). Such an FCB still accepts entries that carry
	// a valid CRC.
	NoCRC bool
	// Repair mounts what a power cut can leave behind where Zephyr does
	// not, reporting everything it gives up through Dropped:
	//   - sector headers that are neither erased nor valid (a torn header
	//     write, or a torn erase of the oldest sector during Rotate), and
	//     sectors whose header reads erased but whose body is not: such
	//     sectors are treated as unused and erased before they are reused
	//     (Zephyr fails New with ENOMSG on a foreign header);
	//   - a torn entry at the end of a sector's entries: a length field
	//     whose decoded length runs past the sector (a torn 2-byte length,
	//     the len2half vectors), or whose bits the device cannot read
	//     (EBADMSG). The sector's entries end there: every complete entry
	//     before it is kept, and when it is in the active sector the rest of
	//     that sector counts as used, so the next append opens a new sector
	//     (Zephyr fails New with EIO; walks of such a sector fail too).
	//   - a torn sector header whose magic is complete but whose id is not
	//     (e.g. still erased, 0xFFFF): when such a sector holds nothing and
	//     would be chosen as the oldest sector (where Zephyr leaves no free
	//     sector and the settings store would then erase the real newest
	//     one), or as the newest sector although its id does not follow the
	//     id of the sector before it, it is treated as unused. A sector
	//     with anything in its body is never dropped this way.
	// Without anything to repair, repair mode writes exactly what Zephyr
	// writes (it reads more).
	Repair bool
}

// Loc is struct fcb_entry: where an entry is. ElemOff and DataOff are
// relative to the start of the sector.
type Loc struct {
	Sector    int   // index into the sector table (NoSector: none)
	SectorOff int64 // area offset of the sector (fs_off)
	ElemOff   int   // offset of the length field (fe_elem_off)
	DataOff   int   // offset of the payload (fe_data_off)
	Len       int   // payload length (fe_data_len)
}

// AreaOff is FCB_ENTRY_FA_DATA_OFF: the area offset of the payload.
func (l Loc) AreaOff() int64 { return l.SectorOff + int64(l.DataOff) }

// DroppedSector reports flash that repair mode gave up: a whole sector
// treated as unused (Offset 0), or the torn tail of a sector from the torn
// entry at Offset to the end of the sector.
type DroppedSector struct {
	Index int `json:"index"` // index into the sector table
	// Offset is the in-sector offset where the dropped bytes start: 0 for a
	// whole sector, else the offset of the torn entry's length field (the
	// entries before it are kept).
	Offset int `json:"offset"`
	// Skipped is the number of bytes given up: the sector size minus Offset.
	Skipped int `json:"skipped"`
	// NonErasedBytes is how many of the skipped bytes were not the erase
	// value when they were dropped (bytes that could not be read count as
	// not erased).
	NonErasedBytes int `json:"non_erased_bytes"`
	// Reason says what was found.
	Reason string `json:"reason"`
}

// State is the FCB's position, as the vectors record it.
type State struct {
	Oldest        int    `json:"oldest_sector"`
	Active        int    `json:"active_sector"`
	ActiveElemOff int    `json:"active_elem_off"`
	ActiveID      uint16 `json:"active_id"`
	FreeSectors   int    `json:"free_sector_cnt"`
	Empty         bool   `json:"is_empty"`
	Align         int    `json:"align"`
	EraseValue    byte   `json:"erase_value"`
}

// FCB is a mounted flash circular buffer (struct fcb after fcb_init). Its
// methods are safe for concurrent use: every device access of the FCB runs
// under its mutex (Zephyr's f_mtx, taken everywhere), so the device needs no
// locking of its own as long as nothing else uses it at the same time. Walk
// callbacks run without the lock and may append.
type FCB struct {
	mu sync.Mutex

	area      *api.Area
	sectors   []api.Sector
	magic     uint32 // user magic
	diskMagic uint32
	version   uint8
	scratch   int
	crc       bool
	repair    bool

	align int // f_align, 1..255
	ev    byte

	oldest   int
	active   Loc // Sector, SectorOff, ElemOff
	activeID uint16

	dirty   []bool // repair: sector must be erased before reuse
	tail    []int  // repair: offset of a dropped torn tail per sector (0: none)
	dropped []DroppedSector

	ioErr  error // device error behind the last rcEIO
	tmp    [crcChunk]byte
	one    [1]byte // end marker as read
	hdr    []byte  // A(8) bytes
	lenBuf []byte  // max(8, align) bytes
	marker []byte  // align bytes
	data   []byte  // WriteData staging
}

// New is fcb_init: it scans the sector headers of area, picks the oldest and
// newest sector, formats sector 0 when no sector is in use, and recovers the
// append point by walking the newest sector.
//
// Errors: ErrInvalid (no sectors, ScratchCount leaves no sector, nil area or
// device not ready, write block 0 mod 256), ErrForeignSector (ENOMSG: a
// sector header that is neither erased nor ours), ErrIO (a read or write
// failed, or a torn length field points past its sector).
func New(area *api.Area, opt Options) (*FCB, error) {
	if area == nil || !area.DeviceIsReady() {
		return nil, fmt.Errorf("%w: no flash area", ErrInvalid)
	}
	sectors := opt.Sectors
	if sectors == nil {
		s, err := area.Sectors()
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
		sectors = s
	}
	switch {
	case len(sectors) == 0:
		return nil, fmt.Errorf("%w: no sectors", ErrInvalid)
	case len(sectors) > 0xFFFF:
		return nil, fmt.Errorf("%w: %d sectors (max 65535)", ErrInvalid, len(sectors))
	case opt.ScratchCount < 0 || opt.ScratchCount > 0xFF:
		return nil, fmt.Errorf("%w: scratch count %d", ErrInvalid, opt.ScratchCount)
	case len(sectors)-opt.ScratchCount < 1:
		return nil, fmt.Errorf("%w: %d sectors with %d scratch", ErrInvalid, len(sectors), opt.ScratchCount)
	}
	ev := area.ErasedVal()
	align := int(uint8(area.Align())) // f_align is a u8 in Zephyr
	if align == 0 {
		return nil, fmt.Errorf("%w: write block size %d truncates to 0 in fcb's u8 f_align", ErrInvalid, area.Align())
	}
	f := &FCB{
		area:      area,
		sectors:   append([]api.Sector(nil), sectors...),
		magic:     opt.Magic,
		diskMagic: DiskMagic(opt.Magic, ev),
		version:   opt.Version,
		scratch:   opt.ScratchCount,
		crc:       !opt.NoCRC,
		repair:    opt.Repair,
		align:     align,
		ev:        ev,
	}
	f.hdr = make([]byte, f.lenInFlash(HeaderSize))
	f.lenBuf = make([]byte, max(8, align))
	f.marker = make([]byte, align)
	if f.repair {
		f.dirty = make([]bool, len(sectors))
		f.tail = make([]int, len(sectors))
	}
	if rc := f.init(); rc != rcOK {
		return nil, f.mountErr(rc)
	}
	return f, nil
}

// mountErr adds the failing sector to ENOMSG errors.
func (f *FCB) mountErr(rc int) error {
	if rc == rcENOMSG && f.ioErr != nil {
		err := f.ioErr
		f.ioErr = nil
		return err
	}
	return f.errOf(rc)
}

// init is the body of fcb_init after the argument checks.
func (f *FCB) init() int {
	oldest, newest := -1, -1
	oldestSec, newestSec := -1, -1
	var ids []int // repair: the id of every used sector, -1 for unused ones
	if f.repair {
		ids = make([]int, len(f.sectors))
		for i := range ids {
			ids[i] = -1
		}
	}
	for i := range f.sectors {
		h, rc := f.sectorHdrRead(i)
		if rc < 0 {
			if rc == rcENOMSG && f.repair {
				if rc := f.drop(i); rc != rcOK {
					return rc
				}
				continue
			}
			if rc == rcENOMSG {
				f.ioErr = fmt.Errorf("%w: sector %d magic %#08x, want %#08x (or erased)",
					ErrForeignSector, i, h.Magic, f.diskMagic)
			}
			return rc
		}
		if rc == 0 {
			if f.repair {
				if rc := f.checkErased(i); rc != rcOK {
					return rc
				}
			}
			continue
		}
		id := int(h.ID)
		if f.repair {
			ids[i] = id
		}
		if oldest < 0 {
			oldest, newest = id, id
			oldestSec, newestSec = i, i
			continue
		}
		if idGT(uint16(id), uint16(newest)) {
			newest, newestSec = id, i
		} else if idGT(uint16(oldest), uint16(id)) {
			oldest, oldestSec = id, i
		}
	}
	if f.repair && oldest >= 0 {
		if rc := f.repairEnds(ids, &oldestSec, &newestSec); rc != rcOK {
			return rc
		}
		newest = ids[newestSec]
	}
	if oldest < 0 {
		// No initialised sector: format sector 0 (assumed erased).
		oldestSec, newestSec = 0, 0
		if rc := f.sectorHdrInit(0, 0); rc != rcOK {
			return rc
		}
		newest = 0
	}
	f.oldest = oldestSec
	f.active = Loc{Sector: newestSec, SectorOff: f.sectors[newestSec].Off, ElemOff: f.lenInFlash(HeaderSize)}
	f.activeID = uint16(newest)
	for {
		rc := f.getnextInSector(&f.active)
		if rc == rcENOTSUP {
			break
		}
		if rc != rcOK {
			return rc
		}
	}
	if f.repair && f.tail[newestSec] > 0 {
		// Repair: the active sector ends in a dropped torn tail; the rest
		// of it counts as used, so the next append opens a new sector.
		f.active.ElemOff = int(f.sectors[newestSec].Size)
	}
	return rcOK
}

// lenInFlash is fcb_len_in_flash: n rounded up to the write block
// (Zephyr's formula, which assumes a power of two).
func (f *FCB) lenInFlash(n int) int {
	if f.align <= 1 {
		return n
	}
	a := f.align - 1
	return (n + a) &^ a
}

// next is fcb_getnext_sector.
func (f *FCB) next(i int) int {
	i++
	if i >= len(f.sectors) {
		i = 0
	}
	return i
}

func (f *FCB) loc(sector, elemOff int) Loc {
	return Loc{Sector: sector, SectorOff: f.sectors[sector].Off, ElemOff: elemOff}
}

// flashRead is fcb_flash_read: EINVAL past the sector, EIO on any error.
func (f *FCB) flashRead(sector, off int, p []byte) int {
	s := f.sectors[sector]
	if int64(off)+int64(len(p)) > s.Size {
		f.ioErr = fmt.Errorf("read of %d bytes at offset %d past the end of %d-byte sector %d", len(p), off, s.Size, sector)
		return rcEINVAL
	}
	if err := f.area.Read(s.Off+int64(off), p); err != nil {
		f.ioErr = err
		return rcEIO
	}
	return rcOK
}

// flashWrite is fcb_flash_write.
func (f *FCB) flashWrite(sector, off int, p []byte) int {
	s := f.sectors[sector]
	if int64(off)+int64(len(p)) > s.Size {
		f.ioErr = fmt.Errorf("write of %d bytes at offset %d past the end of %d-byte sector %d", len(p), off, s.Size, sector)
		return rcEINVAL
	}
	if err := f.area.Write(s.Off+int64(off), p); err != nil {
		f.ioErr = err
		return rcEIO
	}
	return rcOK
}

// eraseSector is fcb_erase_sector (flash_area_flatten).
func (f *FCB) eraseSector(sector int) int {
	s := f.sectors[sector]
	if err := f.area.Flatten(s.Off, s.Size); err != nil {
		f.ioErr = err
		return rcEIO
	}
	if f.repair {
		f.dirty[sector] = false
		f.tail[sector] = 0
	}
	return rcOK
}

// sectorHdrInit is fcb_sector_hdr_init. The 8-byte header is padded with
// the erase value to a whole write block when the write block exceeds 8
// (see the package doc); otherwise exactly 8 bytes are written, as in Zephyr.
// In repair mode a dropped sector is erased first.
func (f *FCB) sectorHdrInit(sector int, id uint16) int {
	if f.dirty != nil && f.dirty[sector] {
		if rc := f.eraseSector(sector); rc != rcOK {
			return rcEIO
		}
	}
	for i := range f.hdr {
		f.hdr[i] = f.ev
	}
	Header{Magic: f.diskMagic, Version: f.version, Pad: f.ev, ID: id}.Encode(f.hdr)
	if rc := f.flashWrite(sector, 0, f.hdr); rc != rcOK {
		return rcEIO
	}
	return rcOK
}

// sectorHdrRead is fcb_sector_hdr_read: 0 unused, 1 valid, rcENOMSG foreign,
// rcEIO on a read error.
func (f *FCB) sectorHdrRead(sector int) (Header, int) {
	b := f.tmp[:HeaderSize]
	if rc := f.flashRead(sector, 0, b); rc != rcOK {
		return Header{}, rcEIO
	}
	h := ParseHeader(b)
	switch h.Magic {
	case mk32(f.ev):
		return h, 0
	case f.diskMagic:
		return h, 1
	}
	return h, rcENOMSG
}

// Area is the flash area the FCB lives in.
func (f *FCB) Area() *api.Area { return f.area }

// Sectors returns a copy of the sector table.
func (f *FCB) Sectors() []api.Sector { return append([]api.Sector(nil), f.sectors...) }

// Align is f_align: the write block size as the FCB uses it.
func (f *FCB) Align() int { return f.align }

// EraseValue is f_erase_value, taken from the device.
func (f *FCB) EraseValue() byte { return f.ev }

// Magic is f_magic.
func (f *FCB) Magic() uint32 { return f.magic }

// CRC reports whether entries end in a CRC-8 (false: fixed end marker).
func (f *FCB) CRC() bool { return f.crc }

// Oldest is the index of f_oldest.
func (f *FCB) Oldest() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.oldest
}

// Active is f_active: the sector and offset where the next entry goes.
func (f *FCB) Active() Loc {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.active
}

// ActiveID is f_active_id, the id of the active sector.
func (f *FCB) ActiveID() uint16 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.activeID
}

// State returns the FCB's position and counters in one snapshot.
func (f *FCB) State() State {
	f.mu.Lock()
	defer f.mu.Unlock()
	return State{
		Oldest:        f.oldest,
		Active:        f.active.Sector,
		ActiveElemOff: f.active.ElemOff,
		ActiveID:      f.activeID,
		FreeSectors:   f.freeSectorCount(),
		Empty:         f.isEmpty(),
		Align:         f.align,
		EraseValue:    f.ev,
	}
}
