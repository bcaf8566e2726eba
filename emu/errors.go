package emu

import "github.com/flashemu/flashemu/errno"

// Sentinel errors of the device layer.
var (
	// ErrInvalid: bad argument (negative length, bad option, ...).
	ErrInvalid = errno.New("emu: invalid argument", errno.EINVAL)
	// ErrOutOfRange: offset/length outside the device (overflow-safe check).
	ErrOutOfRange = errno.New("emu: out of range", errno.EINVAL)
	// ErrMisaligned: offset or length not aligned to the write block, page or erase unit.
	ErrMisaligned = errno.New("emu: misaligned", errno.EINVAL)
	// ErrProgramViolation: a program asked a programmed bit to return to the erased state.
	ErrProgramViolation = errno.New("emu: program would return a bit to the erased state (erase first)", errno.EIO)
	// ErrProgramLimit: the per-write-block program limit (max_programs) or NAND NOP limit was reached.
	ErrProgramLimit = errno.New("emu: program limit reached before erase", errno.EIO)
	// ErrPageOrder: NAND pages of a block must be programmed in ascending order.
	ErrPageOrder = errno.New("emu: NAND page programmed out of order", errno.EIO)
	// ErrProtected: the range is write/erase protected.
	ErrProtected = errno.New("emu: protected", errno.EACCES)
	// ErrPowerLoss: power was cut during the operation, or the device is powered off.
	ErrPowerLoss = errno.New("emu: power loss", errno.EIO)
	// ErrBadMsg: an ECC step had more bit errors than the code corrects (raw data returned).
	ErrBadMsg = errno.New("emu: uncorrectable ECC error", errno.EBADMSG)
	// ErrBadBlock: the NAND block is marked bad.
	ErrBadBlock = errno.New("emu: bad block", errno.EIO)
	// ErrNotSupported: the operation does not exist on this kind of device (e.g. OOB on NOR).
	ErrNotSupported = errno.New("emu: not supported on this device", errno.ENOTSUP)
	// ErrCorruptImage: an image or sidecar file does not match the geometry or is malformed.
	ErrCorruptImage = errno.New("emu: corrupt image", errno.EINVAL)
	// ErrUnknownChip: no chip preset has that name.
	ErrUnknownChip = errno.New("emu: unknown chip", errno.EINVAL)
)
