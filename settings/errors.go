package settings

import "github.com/flashemu/flashemu/api"

// Sentinel errors; api.ErrnoOf gives the Zephyr errno. Errors of the FCB and
// of the device are returned as they come (fcb.ErrIO, emu.ErrPowerLoss, ...).
var (
	// ErrInvalidKey: an empty key, or one containing '=' or NUL (EINVAL).
	ErrInvalidKey = api.NewError("settings: invalid key", api.EINVAL)
	// ErrTooLarge: the record cannot fit in one FCB sector (EINVAL).
	ErrTooLarge = api.NewError("settings: record too large", api.EINVAL)
	// ErrFull: the live records leave no room even after compressing every
	// sector (ENOSPC; Zephyr returns -EINVAL here).
	ErrFull = api.NewError("settings: store full", api.ENOSPC)
)
