package api

import (
	"fmt"
	"reflect"
)

// FillBufferSize is CONFIG_FLASH_FILL_BUFFER_SIZE: flash_fill writes in
// chunks of this many bytes.
const FillBufferSize = 32

// Fill is flash_fill: it writes val over [off, off+size) in chunks of
// FillBufferSize bytes through the driver write. It returns EINVAL when the
// fill buffer is smaller than the write block, when off is negative, or when
// off or size is not a multiple of the write block (a power of two is
// assumed, as in Zephyr). It stops at the first write error and returns it.
func Fill(dev Device, val byte, off, size int64) error {
	return FillBuffer(dev, val, off, size, FillBufferSize)
}

// FillBuffer is Fill with a chosen chunk size (Zephyr's Kconfig option).
func FillBuffer(dev Device, val byte, off, size int64, bufSize int) error {
	if dev == nil {
		return fmt.Errorf("%w: nil device", ErrInvalid)
	}
	wbs := int64(dev.Parameters().WriteBlockSize)
	if int64(bufSize) < wbs || bufSize <= 0 {
		return fmt.Errorf("%w: fill buffer %d smaller than write block %d", ErrInvalid, bufSize, wbs)
	}
	if off < 0 || size < 0 {
		return fmt.Errorf("%w: negative offset %d or size %d", ErrInvalid, off, size)
	}
	if wbs > 0 && (size|off)&(wbs-1) != 0 {
		return fmt.Errorf("%w: fill at %d size %d (write block %d)", ErrMisaligned, off, size, wbs)
	}
	var stack [FillBufferSize]byte
	buf := stack[:]
	if bufSize > len(buf) {
		buf = make([]byte, bufSize)
	}
	buf = buf[:bufSize]
	for i := range buf {
		buf[i] = val
	}
	for size > 0 {
		n := min(size, int64(bufSize))
		if err := dev.Write(off, buf[:n]); err != nil {
			return err
		}
		off += n
		size -= n
	}
	return nil
}

// Flatten is flash_flatten: on a device that needs explicit erase and whose
// driver has an erase callback it erases; otherwise (RAM-like devices, or a
// driver without erase) it fills the range with the erase value via Fill.
// (Zephyr builds without any no-erase driver return ENOSYS on the fill path;
// that is a build configuration, not modelled here.)
func Flatten(dev Device, off, size int64) error {
	if dev == nil {
		return fmt.Errorf("%w: nil device", ErrInvalid)
	}
	p := dev.Parameters()
	if !p.NoExplicitErase && HasErase(dev) {
		return dev.Erase(off, size)
	}
	return Fill(dev, p.EraseValue, off, size)
}

// EraseCap is flash_params_get_erase_cap: true (FLASH_ERASE_C_EXPLICIT) when
// the device needs an erase before it can be rewritten.
func EraseCap(p Parameters) bool { return !p.NoExplicitErase }

// CopyDevice is flash_copy: it copies size bytes from src at srcOff to dst
// at dstOff through buf, one len(buf) chunk at a time (read, then write).
// Negative offsets or size, an empty buffer, or overlapping ranges on the same
// device give EINVAL; flash areas (which are Devices) count as their device,
// so two overlapping area views of one device are caught too. The first read or write error is returned unchanged.
func CopyDevice(src Device, srcOff int64, dst Device, dstOff, size int64, buf []byte) error {
	if src == nil || dst == nil || srcOff < 0 || dstOff < 0 || size < 0 || len(buf) == 0 {
		return fmt.Errorf("%w: flash copy arguments", ErrInvalid)
	}
	ps, po := physical(src, srcOff)
	pd, pdo := physical(dst, dstOff)
	if sameDevice(ps, pd) && po < pdo+size && pdo < po+size && size > 0 {
		return fmt.Errorf("%w: overlapping copy [%d,%d) -> [%d,%d)", ErrInvalid, srcOff, srcOff+size, dstOff, dstOff+size)
	}
	for size > 0 {
		n := min(size, int64(len(buf)))
		if err := src.Read(srcOff, buf[:n]); err != nil {
			return err
		}
		if err := dst.Write(dstOff, buf[:n]); err != nil {
			return err
		}
		srcOff += n
		dstOff += n
		size -= n
	}
	return nil
}

// physical resolves a (possibly nested) flash area and an offset in it to
// the underlying device and device offset, so that copies between two area
// views of one device are checked for overlap like copies on the device.
func physical(dev Device, off int64) (Device, int64) {
	for {
		a, ok := dev.(*Area)
		if !ok || a == nil || a.dev == nil {
			return dev, off
		}
		dev, off = a.dev, off+a.offset
	}
}

// sameDevice compares two devices without panicking on non-comparable
// dynamic types (which are then treated as different).
func sameDevice(a, b Device) bool {
	if ea, ok := EmuOf(a); ok {
		eb, ok := EmuOf(b)
		return ok && ea == eb // two adapters of one emu device
	}
	ta, tb := reflect.TypeOf(a), reflect.TypeOf(b)
	if ta != tb || !ta.Comparable() {
		return false
	}
	return a == b
}
