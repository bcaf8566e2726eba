package faults

import (
	"errors"
	"fmt"

	"github.com/flashemu/flashemu/emu"
)

// ErrPowerLoss is the power-loss sentinel: the error a cut operation returns
// and every later operation returns until power-on. It is emu.ErrPowerLoss
// itself (the same value), re-exported so users of faults need not import
// emu; test for it with errors.Is or IsPowerLoss.
var ErrPowerLoss = emu.ErrPowerLoss

// Sentinel errors of package faults.
var (
	// ErrBadPlan: a fault plan, fault or plan string is malformed.
	ErrBadPlan = emu.NewError("faults: bad fault plan", emu.EINVAL)
	// ErrInjected: an operation failure injected by a "fail" or "wear" fault.
	// The error returned to the caller matches it with errors.Is and carries
	// the errno the fault chose (emu.ErrnoOf gives it).
	ErrInjected = emu.NewError("faults: injected failure", emu.EIO)
	// ErrBadSweep: a sweep definition or option is invalid.
	ErrBadSweep = emu.NewError("faults: bad sweep", emu.EINVAL)
	// ErrTimeout: a check or workload exceeded Options.CheckTimeout (EAGAIN,
	// what Zephyr's kernel waits return on a timeout).
	ErrTimeout = emu.NewError("faults: timed out", emu.EAGAIN)
	// ErrBadID: a branch ID does not parse or names no branch of the sweep.
	ErrBadID = emu.NewError("faults: bad branch ID", emu.EINVAL)
	// ErrMemoryLimit: a sweep's heap passed Options.MemoryLimit while it
	// recorded cut points; the sweep stopped rather than grow past it.
	ErrMemoryLimit = emu.NewError("faults: sweep memory limit exceeded", emu.ENOMEM)
)

// IsPowerLoss reports whether err is (or wraps) the power-loss sentinel.
func IsPowerLoss(err error) bool { return errors.Is(err, ErrPowerLoss) }

// injectedError is an injected failure with a chosen errno.
type injectedError struct {
	errno emu.Errno
	msg   string
}

func (e *injectedError) Error() string { return e.msg }

// Errno reports the chosen errno (emu.ErrnoOf uses it).
func (e *injectedError) Errno() emu.Errno { return e.errno }

// Is makes errors.Is(err, ErrInjected) true.
func (e *injectedError) Is(target error) bool { return target == ErrInjected }

func injected(errno emu.Errno, format string, a ...any) error {
	if errno < 0 {
		errno = -errno
	}
	if errno == 0 {
		errno = emu.EIO
	}
	return &injectedError{errno: errno, msg: fmt.Sprintf("faults: injected %s: ", errno.Name()) + fmt.Sprintf(format, a...)}
}

func badPlan(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadPlan, fmt.Sprintf(format, a...))
}
