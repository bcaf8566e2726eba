package streamflash

import "github.com/flashemu/flashemu/errno"

// Sentinel errors. errno.Of maps each to the negative Zephyr errno that
// stream_flash returns in the same situation. Errors of the device and of
// the callback are returned unchanged, never wrapped.
var (
	// ErrFault is -EFAULT: a bad argument to New (nil device or buffer,
	// misaligned buffer length, offset or size, buffer larger than a page,
	// offset+size past the device) or a call on a nil *Stream.
	ErrFault = errno.New("streamflash: bad argument", errno.EFAULT)
	// ErrZeroBuffer is -EFAULT for a zero-length buffer. Zephyr 3.4 accepts
	// it and then loops forever in the first write; flashemu rejects it.
	ErrZeroBuffer = errno.New("streamflash: buffer length 0", errno.EFAULT)
	// ErrNoMem is -ENOMEM: the write would take the stream past its size.
	// Nothing of that write is consumed.
	ErrNoMem = errno.New("streamflash: write exceeds the available size", errno.ENOMEM)
	// ErrInvalid is -EINVAL: ErasePage at an offset outside the device.
	ErrInvalid = errno.New("streamflash: offset outside the device", errno.EINVAL)
	// ErrRange is -ERANGE: ErasePage at a device offset outside the
	// stream's [offset, offset+size).
	ErrRange = errno.New("streamflash: offset outside the stream", errno.ERANGE)
	// ErrBadProgress is -EINVAL: the stored progress value is not a
	// size_t (8 bytes, little-endian). The context is left unchanged.
	ErrBadProgress = errno.New("streamflash: malformed progress value", errno.EINVAL)
)
