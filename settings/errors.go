package settings

import "github.com/flashemu/flashemu/errno"

// Sentinel errors; errno.Of gives the Zephyr errno. Errors of the FCB and
// of the device are returned as they come (fcb.ErrIO, emu.ErrPowerLoss, ...).
var (
	// ErrInvalidKey: an empty key, or one containing '=' or NUL (EINVAL).
	ErrInvalidKey = errno.New("settings: invalid key", errno.EINVAL)
	// ErrTooLarge: the record cannot fit in one FCB sector (EINVAL).
	ErrTooLarge = errno.New("settings: record too large", errno.EINVAL)
	// ErrFull: the live records leave no room even after compressing every
	// sector (ENOSPC; Zephyr returns -EINVAL here).
	ErrFull = errno.New("settings: store full", errno.ENOSPC)
)
