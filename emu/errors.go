package emu

import (
	"errors"
	"fmt"
)

// Errno is a Zephyr errno number (positive, as in errno.h). APIs that follow
// Zephyr return it negated; ErrnoOf does that conversion for any error.
type Errno int

// Zephyr minimal-libc errno values (zephyr/lib/libc/minimal/include/errno.h).
const (
	ENOENT  Errno = 2
	ESRCH   Errno = 3
	EIO     Errno = 5
	EAGAIN  Errno = 11
	ENOMEM  Errno = 12
	EACCES  Errno = 13
	EFAULT  Errno = 14
	ENODEV  Errno = 19
	EINVAL  Errno = 22
	EFBIG   Errno = 27
	ENOSPC  Errno = 28
	ERANGE  Errno = 34
	ENOMSG  Errno = 35
	EBADMSG Errno = 77
	ENOSYS  Errno = 88
	ENOTSUP Errno = 134
	EILSEQ  Errno = 138
)

var errnoNames = map[Errno]string{
	ENOENT: "ENOENT", ESRCH: "ESRCH", EIO: "EIO", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM",
	EACCES: "EACCES", EFAULT: "EFAULT", ENODEV: "ENODEV", EINVAL: "EINVAL", EFBIG: "EFBIG",
	ENOSPC: "ENOSPC", ERANGE: "ERANGE", ENOMSG: "ENOMSG", EBADMSG: "EBADMSG", ENOSYS: "ENOSYS",
	ENOTSUP: "ENOTSUP", EILSEQ: "EILSEQ",
}

// Name returns the symbolic name, e.g. "EINVAL", or "E<n>" for unknown numbers.
func (e Errno) Name() string {
	if e < 0 {
		e = -e
	}
	if n, ok := errnoNames[e]; ok {
		return n
	}
	return fmt.Sprintf("E%d", int(e))
}

// Error makes an Errno usable as an error: "EINVAL (-22)".
func (e Errno) Error() string { return fmt.Sprintf("%s (-%d)", e.Name(), int(abs(int(e)))) }

// Errno returns e itself, so an Errno satisfies Errnoer.
func (e Errno) Errno() Errno { return e }

// ErrnoByName returns the errno for a symbolic name like "ENOSPC" or "-ENOSPC".
func ErrnoByName(name string) (Errno, bool) {
	if len(name) > 0 && name[0] == '-' {
		name = name[1:]
	}
	for k, v := range errnoNames {
		if v == name {
			return k, true
		}
	}
	return 0, false
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// Errnoer is implemented by errors that carry a Zephyr errno. Packages above
// emu (faults, api, fcb, streamflash) give their sentinels this method so one
// function, ErrnoOf, maps any error of the project to a Zephyr code.
type Errnoer interface {
	error
	Errno() Errno
}

// Error is a sentinel error with a package-prefixed message and a Zephyr errno.
// Compare with errors.Is; wrap with fmt.Errorf("%w: detail", ErrX).
type Error struct {
	msg   string
	errno Errno
}

// NewError makes a sentinel error carrying errno. Other packages use it for
// their own sentinels (message with their package prefix).
func NewError(msg string, errno Errno) *Error { return &Error{msg: msg, errno: errno} }

// Error returns the message, e.g. "emu: out of range".
func (e *Error) Error() string { return e.msg }

// Errno reports the Zephyr errno this error maps to.
func (e *Error) Errno() Errno { return e.errno }

// Sentinel errors of the device layer.
var (
	// ErrInvalid: bad argument (negative length, bad option, ...).
	ErrInvalid = NewError("emu: invalid argument", EINVAL)
	// ErrOutOfRange: offset/length outside the device (overflow-safe check).
	ErrOutOfRange = NewError("emu: out of range", EINVAL)
	// ErrMisaligned: offset or length not aligned to the write block, page or erase unit.
	ErrMisaligned = NewError("emu: misaligned", EINVAL)
	// ErrProgramViolation: a program asked a programmed bit to return to the erased state.
	ErrProgramViolation = NewError("emu: program would return a bit to the erased state (erase first)", EIO)
	// ErrProgramLimit: the per-write-block program limit (max_programs) or NAND NOP limit was reached.
	ErrProgramLimit = NewError("emu: program limit reached before erase", EIO)
	// ErrPageOrder: NAND pages of a block must be programmed in ascending order.
	ErrPageOrder = NewError("emu: NAND page programmed out of order", EIO)
	// ErrProtected: the range is write/erase protected.
	ErrProtected = NewError("emu: protected", EACCES)
	// ErrPowerLoss: power was cut during the operation, or the device is powered off.
	ErrPowerLoss = NewError("emu: power loss", EIO)
	// ErrBadMsg: an ECC step had more bit errors than the code corrects (raw data returned).
	ErrBadMsg = NewError("emu: uncorrectable ECC error", EBADMSG)
	// ErrBadBlock: the NAND block is marked bad.
	ErrBadBlock = NewError("emu: bad block", EIO)
	// ErrNotSupported: the operation does not exist on this kind of device (e.g. OOB on NOR).
	ErrNotSupported = NewError("emu: not supported on this device", ENOTSUP)
	// ErrCorruptImage: an image or sidecar file does not match the geometry or is malformed.
	ErrCorruptImage = NewError("emu: corrupt image", EINVAL)
	// ErrUnknownChip: no chip preset has that name.
	ErrUnknownChip = NewError("emu: unknown chip", EINVAL)
)

// ErrnoOf maps an error to the negative Zephyr errno that a Zephyr API would
// return: 0 for nil, the errno carried by the first Errnoer in the chain,
// and -EIO for any other error.
func ErrnoOf(err error) int {
	if err == nil {
		return 0
	}
	var e Errnoer
	if errors.As(err, &e) {
		return -abs(int(e.Errno()))
	}
	return -int(EIO)
}
