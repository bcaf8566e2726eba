// Package api is the Zephyr-shaped face of flashemu: the flash device API of
// drivers/flash (read, write, erase, parameters, page layout, errno-mapped),
// the flash map (flash_area), and Plan 9 flash(3) partition control.
//
// Packages that port Zephyr subsystems (fcb, streamflash) depend only on this
// package, never on emu directly.
package api

// Parameters mirrors Zephyr's struct flash_parameters.
type Parameters struct {
	// WriteBlockSize is the program unit in bytes (write_block_size).
	WriteBlockSize int
	// EraseValue is the byte value of erased flash (erase_value).
	EraseValue byte
	// NoExplicitErase is caps.no_explicit_erase: RAM-like devices (RRAM,
	// MRAM, FRAM) that can be overwritten without an erase.
	NoExplicitErase bool
}

// PageInfo mirrors Zephyr's struct flash_pages_info: one erase page of the
// device page layout.
type PageInfo struct {
	Index int   // page index from 0
	Start int64 // device offset of the page
	Size  int64 // page size in bytes
}

// Device is the Zephyr flash driver API (drivers/flash) over one device.
// Offsets are device offsets. Every method returns nil or an error for which
// errno.Of gives the negative Zephyr errno a driver would return.
type Device interface {
	// Read is flash_read.
	Read(off int64, p []byte) error
	// Write is flash_write: offset and length aligned to the write block.
	Write(off int64, p []byte) error
	// Erase is flash_erase: whole erase pages.
	Erase(off, size int64) error
	// Parameters is flash_get_parameters.
	Parameters() Parameters
	// Size is the device size in bytes (flash_get_size).
	Size() int64
	// PageCount is flash_get_page_count.
	PageCount() int
	// PageByOffset is flash_get_page_info_by_offs.
	PageByOffset(off int64) (PageInfo, error)
	// PageByIndex is flash_get_page_info_by_idx.
	PageByIndex(i int) (PageInfo, error)
}

// Sector mirrors Zephyr's struct flash_sector: a run of flash that is erased
// as a whole. Off is relative to the flash area it was obtained from.
type Sector struct {
	Off  int64 // fs_off
	Size int64 // fs_size
}

// End is Off + Size.
func (s Sector) End() int64 { return s.Off + s.Size }

// EraseCapability is implemented by devices that can tell whether their
// driver has an erase callback. A Device that does not implement it is
// assumed to have one. flash_flatten and flash_erase use it (ENOSYS path).
type EraseCapability interface {
	HasErase() bool
}

// Protector is implemented by devices with write/erase protection of erase
// units (emu devices). Plan 9 partition control uses it for protectboot.
type Protector interface {
	// Protect write- and erase-protects every erase unit touched by [off, off+n).
	Protect(off, n int64)
	// Unprotect removes the protection of every erase unit touched by [off, off+n).
	Unprotect(off, n int64)
}

// Identity is what the Plan 9 flash control file reports about a chip.
type Identity struct {
	ManufacturerID uint32 // JEDEC manufacturer id
	DeviceID       uint32 // device id
	Width          int    // memory (bus) width in bytes
	NAND           bool   // false: NOR
	// PageSize is, for NAND, the bytes per page including the spare (OOB)
	// bytes; 0 for NOR.
	PageSize int
}

// Identifier is implemented by devices that know their identity (emu devices).
type Identifier interface {
	Identity() Identity
}

// Readier is implemented by devices that can be present but not ready
// (device_is_ready). A Device that does not implement it is ready.
type Readier interface {
	Ready() bool
}

// HasErase reports whether dev's driver implements erase.
func HasErase(dev Device) bool {
	if c, ok := dev.(EraseCapability); ok {
		return c.HasErase()
	}
	return dev != nil
}

// IsReady is device_is_ready: false for a nil device.
func IsReady(dev Device) bool {
	if dev == nil {
		return false
	}
	if r, ok := dev.(Readier); ok {
		return r.Ready()
	}
	return true
}

// WriteBlockSize is flash_get_write_block_size.
func WriteBlockSize(dev Device) int { return dev.Parameters().WriteBlockSize }

// Pages returns the device page layout (flash_page_foreach) as a slice.
func Pages(dev Device) []PageInfo {
	n := dev.PageCount()
	out := make([]PageInfo, 0, n)
	for i := range n {
		p, err := dev.PageByIndex(i)
		if err != nil {
			break
		}
		out = append(out, p)
	}
	return out
}

// PageForeach is flash_page_foreach: it calls cb for every page in order
// until cb returns false.
func PageForeach(dev Device, cb func(PageInfo) bool) {
	for i := range dev.PageCount() {
		p, err := dev.PageByIndex(i)
		if err != nil || !cb(p) {
			return
		}
	}
}

// WithoutErase returns dev with its erase callback removed, like the
// flash_simulator test that copies the driver API with erase = NULL: Erase
// returns ENOSYS and Flatten falls back to filling with the erase value.
func WithoutErase(dev Device) Device { return noErase{dev} }

type noErase struct{ Device }

func (noErase) Erase(off, size int64) error { return ErrNoErase }
func (noErase) HasErase() bool              { return false }
