package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"math"
)

// Area is Zephyr's struct flash_area: a named, contiguous range of one flash
// device. Every operation is bounds-checked against the area with the
// overflow-safe rule of newer Zephyr (off >= 0 && len <= size &&
// off <= size-len, ErrOutOfBounds/EINVAL) and then passed to the device at
// Offset()+off; the device's result is returned unchanged (alignment is the
// driver's business, as in Zephyr).
//
// An *Area is also a Device (see areadev.go): offset 0 is the start of the
// area and its pages are the device pages that start inside it, so device
// code (stream_flash, flash_fill, nested areas) runs inside a partition.
//
// Methods on a nil *Area fail with EINVAL (or report false) instead of
// panicking, mirroring the NULL checks of the C API.
type Area struct {
	id     int
	label  string
	offset int64
	size   int64
	dev    Device
}

// NewArea makes an area of size bytes at device offset off. The range must
// lie inside the device (EINVAL otherwise). A nil device is allowed and
// gives an area whose operations fail with ENODEV, like a flash map entry
// whose device is missing. The area's id is 0; FlashMap assigns ids.
func NewArea(dev Device, label string, off, size int64) (*Area, error) {
	if off < 0 || size < 0 || (dev != nil && (off > dev.Size() || size > dev.Size()-off)) {
		var devSize int64
		if dev != nil {
			devSize = dev.Size()
		}
		return nil, fmt.Errorf("%w: area %q [%#x, +%#x) outside the %#x-byte device", ErrInvalid, label, off, size, devSize)
	}
	return &Area{label: label, offset: off, size: size, dev: dev}, nil
}

// DeviceArea is an area covering the whole device, labelled label.
func DeviceArea(dev Device, label string) (*Area, error) {
	if dev == nil {
		return nil, fmt.Errorf("%w: nil device", ErrNoDevice)
	}
	return NewArea(dev, label, 0, dev.Size())
}

// ID is fa_id: the id the flash map gave the area (0 for a standalone area).
func (a *Area) ID() int {
	if a == nil {
		return -1
	}
	return a.id
}

// Label is the partition label ("" if none).
func (a *Area) Label() string {
	if a == nil {
		return ""
	}
	return a.label
}

// Offset is fa_off: the device offset of the area.
func (a *Area) Offset() int64 {
	if a == nil {
		return 0
	}
	return a.offset
}

// Size is fa_size.
func (a *Area) Size() int64 {
	if a == nil {
		return 0
	}
	return a.size
}

// Device is flash_area_get_device.
func (a *Area) Device() Device {
	if a == nil {
		return nil
	}
	return a.dev
}

// String describes the area, e.g. `storage@0x1e000+0x2000`.
func (a *Area) String() string {
	if a == nil {
		return "<nil area>"
	}
	return fmt.Sprintf("%s@%#x+%#x", a.label, a.offset, a.size)
}

// DeviceIsReady is flash_area_device_is_ready: false for a nil area and for
// an area without a (ready) device.
func (a *Area) DeviceIsReady() bool { return a != nil && IsReady(a.dev) }

// HasDriver is flash_area_has_driver (which returns 1 or -ENODEV).
func (a *Area) HasDriver() bool { return a.DeviceIsReady() }

// InBounds is the overflow-safe is_in_flash_area_bounds check. The length is
// unsigned like size_t, so SIZE_MAX-style values are rejected, not wrapped.
func (a *Area) InBounds(off int64, n uint64) bool {
	if a == nil || off < 0 {
		return false
	}
	size := uint64(a.size)
	return n <= size && uint64(off) <= size-n
}

func (a *Area) check(off int64, n uint64) error {
	if a == nil {
		return fmt.Errorf("%w: nil flash area", ErrInvalid)
	}
	if !a.InBounds(off, n) {
		return fmt.Errorf("%w: offset %d length %d in %q of %d bytes", ErrOutOfBounds, off, n, a.label, a.size)
	}
	if a.dev == nil {
		return fmt.Errorf("%w: %q", ErrNoDevice, a.label)
	}
	return nil
}

func ulen(n int64) uint64 {
	if n < 0 {
		return math.MaxUint64 // a negative size_t is huge
	}
	return uint64(n)
}

// Read is flash_area_read: len(p) bytes at area offset off.
func (a *Area) Read(off int64, p []byte) error {
	if err := a.check(off, uint64(len(p))); err != nil {
		return err
	}
	return a.dev.Read(a.offset+off, p)
}

// Write is flash_area_write: p at area offset off.
func (a *Area) Write(off int64, p []byte) error {
	if err := a.check(off, uint64(len(p))); err != nil {
		return err
	}
	return a.dev.Write(a.offset+off, p)
}

// Erase is flash_area_erase: n bytes at area offset off (whole pages; the
// driver checks). A driver without erase gives ENOSYS.
func (a *Area) Erase(off, n int64) error {
	if err := a.check(off, ulen(n)); err != nil {
		return err
	}
	if !HasErase(a.dev) {
		return ErrNoErase
	}
	return a.dev.Erase(a.offset+off, n)
}

// Flatten is flash_area_flatten: erase where the device needs explicit
// erase, else fill with the erase value (see Flatten).
func (a *Area) Flatten(off, n int64) error {
	if err := a.check(off, ulen(n)); err != nil {
		return err
	}
	return Flatten(a.dev, a.offset+off, n)
}

// Align is flash_area_align: the device write block size.
func (a *Area) Align() int {
	if a == nil || a.dev == nil {
		return 0
	}
	return a.dev.Parameters().WriteBlockSize
}

// ErasedVal is flash_area_erased_val: the device's erase value.
func (a *Area) ErasedVal() byte {
	if a == nil || a.dev == nil {
		return 0xFF
	}
	return a.dev.Parameters().EraseValue
}

// Parameters returns the parameters of the area's device.
func (a *Area) Parameters() Parameters {
	if a == nil || a.dev == nil {
		return Parameters{}
	}
	return a.dev.Parameters()
}

// Sectors returns the device pages that start inside the area, as sectors
// relative to the area (flash_area_sectors / flash_area_get_sectors without
// a capacity limit). Pages starting before the area are skipped; a last page
// running past the end of the area is included, as in Zephyr.
func (a *Area) Sectors() ([]Sector, error) {
	if a == nil {
		return nil, fmt.Errorf("%w: nil flash area", ErrInvalid)
	}
	if a.dev == nil {
		return nil, fmt.Errorf("%w: %q", ErrNoDevice, a.label)
	}
	var out []Sector
	end := a.offset + a.size
	for i := range a.dev.PageCount() {
		p, err := a.dev.PageByIndex(i)
		if err != nil {
			return nil, err
		}
		if p.Start >= end {
			break
		}
		if p.Start >= a.offset {
			out = append(out, Sector{Off: p.Start - a.offset, Size: p.Size})
		}
	}
	return out, nil
}

// GetSectors is the Zephyr-shaped flash_area_sectors(fa, &cnt, sectors):
// it fills buf (whose length is the capacity *cnt) and returns the count.
// More sectors than len(buf) gives ErrNoMem (ENOMEM) and count 0, like
// Zephyr, which leaves *cnt untouched; as in Zephyr's get_sectors_cb, buf
// then holds the first len(buf) sectors.
func (a *Area) GetSectors(buf []Sector) (int, error) {
	s, err := a.Sectors()
	if err != nil {
		return 0, err
	}
	if len(s) > len(buf) {
		copy(buf, s)
		return 0, fmt.Errorf("%w: %d sectors, room for %d", ErrNoMem, len(s), len(buf))
	}
	return copy(buf, s), nil
}

// Copy is flash_area_copy: it copies n bytes from src at srcOff to dst at
// dstOff through buf (read, then write, len(buf) bytes at a time). Both
// ranges are bounds-checked first (EINVAL).
func Copy(src *Area, srcOff int64, dst *Area, dstOff, n int64, buf []byte) error {
	if err := src.check(srcOff, ulen(n)); err != nil {
		return err
	}
	if err := dst.check(dstOff, ulen(n)); err != nil {
		return err
	}
	return CopyDevice(src.dev, src.offset+srcOff, dst.dev, dst.offset+dstOff, n, buf)
}

// IntegrityCheck is struct flash_area_check: the arguments of
// flash_area_check_int_sha256. The read buffer length is rblen.
type IntegrityCheck struct {
	Match []byte // expected SHA-256 (32 bytes)
	Clen  int64  // number of bytes to hash
	Off   int64  // area offset of the range
	Rbuf  []byte // read buffer; len(Rbuf) is the read chunk size (rblen)
}

// CheckSHA256 is flash_area_check_int_sha256: it hashes Clen bytes at Off
// in len(Rbuf) chunks and compares with Match. A nil area or check, a
// missing Match or Rbuf, Clen == 0, an empty Rbuf or a range outside the
// area give EINVAL; a read error is returned; a mismatch gives ErrIntegrity
// (EILSEQ).
func (a *Area) CheckSHA256(c *IntegrityCheck) error {
	if a == nil || c == nil || c.Match == nil || c.Rbuf == nil || c.Clen == 0 || len(c.Rbuf) == 0 {
		return fmt.Errorf("%w: incomplete integrity check", ErrInvalid)
	}
	if len(c.Match) != sha256.Size {
		return fmt.Errorf("%w: match is %d bytes, want %d", ErrInvalid, len(c.Match), sha256.Size)
	}
	if err := a.check(c.Off, ulen(c.Clen)); err != nil {
		return err
	}
	h := sha256.New()
	off, left := c.Off, c.Clen
	for left > 0 {
		n := min(left, int64(len(c.Rbuf)))
		if err := a.dev.Read(a.offset+off, c.Rbuf[:n]); err != nil {
			return err
		}
		h.Write(c.Rbuf[:n])
		off += n
		left -= n
	}
	var sum [sha256.Size]byte
	if subtle.ConstantTimeCompare(h.Sum(sum[:0]), c.Match) != 1 {
		return fmt.Errorf("%w: sha256 of %q [%d, +%d)", ErrIntegrity, a.label, c.Off, c.Clen)
	}
	return nil
}
