package api

import (
	"errors"

	"github.com/flashemu/flashemu/errno"
)

// errInMap marks a FlashMap.Add refused because the id or a name is taken
// (wrapped beside ErrInvalid), so the devicetree builder can tell a
// duplicate from a partition that does not fit its device.
var errInMap = errors.New("already in the flash map")

// Sentinel errors of package api. Compare with errors.Is.
var (
	// ErrInvalid: a bad argument (EINVAL).
	ErrInvalid = errno.New("api: invalid argument", errno.EINVAL)
	// ErrOutOfBounds: an offset/length outside a flash area (EINVAL), the
	// overflow-safe flash_area bounds check.
	ErrOutOfBounds = errno.New("api: outside the flash area", errno.EINVAL)
	// ErrMisaligned: offset or size not aligned to the write block (EINVAL),
	// as flash_fill reports it.
	ErrMisaligned = errno.New("api: not aligned to the write block", errno.EINVAL)
	// ErrNoMem: the caller's sector array is too small (ENOMEM).
	ErrNoMem = errno.New("api: sector array too small", errno.ENOMEM)
	// ErrNoArea: no enabled flash area has that id or label (ENOENT).
	ErrNoArea = errno.New("api: no such flash area", errno.ENOENT)
	// ErrNoDevice: the area has no device or the device is not ready (ENODEV).
	ErrNoDevice = errno.New("api: flash area has no ready device", errno.ENODEV)
	// ErrNoMap: there is no flash map at all (EACCES).
	ErrNoMap = errno.New("api: no flash map", errno.EACCES)
	// ErrNoErase: the driver has no erase callback (ENOSYS).
	ErrNoErase = errno.New("api: driver does not implement erase", errno.ENOSYS)
	// ErrIntegrity: the SHA-256 of an area range does not match (EILSEQ).
	ErrIntegrity = errno.New("api: integrity check failed", errno.EILSEQ)
	// ErrProtected: the Plan 9 boot unit protection refused a write or erase (EACCES).
	ErrProtected = errno.New("api: flash region protected", errno.EACCES)
	// ErrBitSet: a partition write would change a programmed bit back to the
	// erased state, which only an erase can do (EIO).
	ErrBitSet = errno.New("api: write would change a programmed bit back to the erased state", errno.EIO)
	// ErrVerify: data read back after a partition write differs from what
	// was programmed (EIO), Plan 9's "fails to be programmed correctly".
	ErrVerify = errno.New("api: flash failed to program correctly", errno.EIO)
	// ErrCtl: a malformed or unknown partition control command (EINVAL).
	ErrCtl = errno.New("api: bad control command", errno.EINVAL)
	// ErrExist: a partition with that name already exists (EINVAL).
	ErrExist = errno.New("api: partition exists", errno.EINVAL)
	// ErrNoPart: no partition has that name (ENOENT).
	ErrNoPart = errno.New("api: no such partition", errno.ENOENT)
	// ErrDTS: a devicetree fragment does not parse or describes an impossible
	// partition layout (EINVAL).
	ErrDTS = errno.New("api: devicetree", errno.EINVAL)
)
