package streamflash

import "github.com/flashemu/flashemu/api"

// Sentinel errors. api.ErrnoOf maps each to the negative Zephyr errno that
// stream_flash returns in the same situation. Errors of the device and of
// the callback are returned unchanged, never wrapped.
var (
	// ErrFault is -EFAULT: a bad argument to New (nil device or buffer,
	// misaligned buffer length, offset or size, buffer larger than a page,
	// offset+size past the device) or a call on a nil *Stream.
	ErrFault = api.NewError("streamflash: bad argument", api.EFAULT)
	// ErrZeroBuffer is -EFAULT for a zero-length buffer. Zephyr 3.4 accepts
	// it and then loops forever in the first write; flashemu rejects it.
	ErrZeroBuffer = api.NewError("streamflash: buffer length 0", api.EFAULT)
	// ErrNoMem is -ENOMEM: the write would take the stream past its size.
	// Nothing of that write is consumed.
	ErrNoMem = api.NewError("streamflash: write exceeds the available size", api.ENOMEM)
	// ErrInvalid is -EINVAL: ErasePage at an offset outside the device.
	ErrInvalid = api.NewError("streamflash: offset outside the device", api.EINVAL)
	// ErrRange is -ERANGE: ErasePage at a device offset outside the
	// stream's [offset, offset+size).
	ErrRange = api.NewError("streamflash: offset outside the stream", api.ERANGE)
	// ErrBadProgress is -EINVAL: the stored progress value is not a
	// size_t (8 bytes, little-endian). The context is left unchanged.
	ErrBadProgress = api.NewError("streamflash: malformed progress value", api.EINVAL)
)
