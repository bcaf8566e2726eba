package api

import "github.com/flashemu/flashemu/emu"

// Errno is a Zephyr errno number (positive). It is emu's type, re-exported so
// that packages built on api (fcb, streamflash) need not import emu.
type Errno = emu.Errno

// Zephyr minimal-libc errno values used by the device API, the flash map and
// the subsystems built on them.
const (
	ENOENT  = emu.ENOENT
	ESRCH   = emu.ESRCH
	EIO     = emu.EIO
	EAGAIN  = emu.EAGAIN
	ENOMEM  = emu.ENOMEM
	EACCES  = emu.EACCES
	EFAULT  = emu.EFAULT
	ENODEV  = emu.ENODEV
	EINVAL  = emu.EINVAL
	EFBIG   = emu.EFBIG
	ENOSPC  = emu.ENOSPC
	ERANGE  = emu.ERANGE
	ENOMSG  = emu.ENOMSG
	EBADMSG = emu.EBADMSG
	ENOSYS  = emu.ENOSYS
	ENOTSUP = emu.ENOTSUP
	EILSEQ  = emu.EILSEQ
)

// NewError makes a sentinel error with a package-prefixed message that maps
// to errno (see ErrnoOf). Packages above api use it for their sentinels.
func NewError(msg string, errno Errno) error { return emu.NewError(msg, errno) }

// ErrnoOf maps any error to the negative Zephyr errno a Zephyr API would
// return: 0 for nil, the errno of the first errno-carrying error in the
// chain, -EIO otherwise.
func ErrnoOf(err error) int { return emu.ErrnoOf(err) }

// ErrnoName returns the symbolic name of a (positive or negative) errno
// number, e.g. "ENOMSG" for -35.
func ErrnoName(errno int) string { return Errno(errno).Name() }

// Sentinel errors of package api. Compare with errors.Is.
var (
	// ErrInvalid: a bad argument (EINVAL).
	ErrInvalid = NewError("api: invalid argument", EINVAL)
	// ErrOutOfBounds: an offset/length outside a flash area (EINVAL), the
	// overflow-safe flash_area bounds check.
	ErrOutOfBounds = NewError("api: outside the flash area", EINVAL)
	// ErrMisaligned: offset or size not aligned to the write block (EINVAL),
	// as flash_fill reports it.
	ErrMisaligned = NewError("api: not aligned to the write block", EINVAL)
	// ErrNoMem: the caller's sector array is too small (ENOMEM).
	ErrNoMem = NewError("api: sector array too small", ENOMEM)
	// ErrNoArea: no enabled flash area has that id or label (ENOENT).
	ErrNoArea = NewError("api: no such flash area", ENOENT)
	// ErrNoDevice: the area has no device or the device is not ready (ENODEV).
	ErrNoDevice = NewError("api: flash area has no ready device", ENODEV)
	// ErrNoMap: there is no flash map at all (EACCES).
	ErrNoMap = NewError("api: no flash map", EACCES)
	// ErrNoErase: the driver has no erase callback (ENOSYS).
	ErrNoErase = NewError("api: driver does not implement erase", ENOSYS)
	// ErrIntegrity: the SHA-256 of an area range does not match (EILSEQ).
	ErrIntegrity = NewError("api: integrity check failed", EILSEQ)
	// ErrProtected: the Plan 9 boot unit protection refused a write or erase (EACCES).
	ErrProtected = NewError("api: flash region protected", EACCES)
	// ErrBitSet: a partition write would change a programmed bit back to the
	// erased state, which only an erase can do (EIO).
	ErrBitSet = NewError("api: write would change a programmed bit back to the erased state", EIO)
	// ErrVerify: data read back after a partition write differs from what
	// was programmed (EIO), Plan 9's "fails to be programmed correctly".
	ErrVerify = NewError("api: flash failed to program correctly", EIO)
	// ErrCtl: a malformed or unknown partition control command (EINVAL).
	ErrCtl = NewError("api: bad control command", EINVAL)
	// ErrExist: a partition with that name already exists (EINVAL).
	ErrExist = NewError("api: partition exists", EINVAL)
	// ErrNoPart: no partition has that name (ENOENT).
	ErrNoPart = NewError("api: no such partition", ENOENT)
	// ErrDTS: a devicetree fragment does not parse or describes an impossible
	// partition layout (EINVAL).
	ErrDTS = NewError("api: devicetree", EINVAL)
)
