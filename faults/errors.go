package faults

import (
	"errors"
	"fmt"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
)

// ErrPowerLoss is the power-loss sentinel: the error a cut operation returns
// and every later operation returns until power-on. It is emu.ErrPowerLoss
// itself (the same value), re-exported so users of faults need not import
// emu; test for it with errors.Is or IsPowerLoss.
var ErrPowerLoss = emu.ErrPowerLoss

// Sentinel errors of package faults.
var (
	// ErrBadPlan: a fault plan, fault or plan string is malformed.
	ErrBadPlan = errno.New("faults: bad fault plan", errno.EINVAL)
	// ErrInjected: an operation failure injected by a "fail" or "wear" fault.
	// The error returned to the caller matches it with errors.Is and carries
	// the errno the fault chose (errno.Of gives it).
	ErrInjected = errno.New("faults: injected failure", errno.EIO)
	// ErrBadSweep: a sweep definition or option is invalid.
	ErrBadSweep = errno.New("faults: bad sweep", errno.EINVAL)
	// ErrTimeout: a check or workload exceeded Options.CheckTimeout (EAGAIN,
	// what Zephyr's kernel waits return on a timeout).
	ErrTimeout = errno.New("faults: timed out", errno.EAGAIN)
	// ErrBadID: a branch ID does not parse or names no branch of the sweep.
	ErrBadID = errno.New("faults: bad branch ID", errno.EINVAL)
	// ErrMemoryLimit: a sweep's heap passed Options.MemoryLimit while it
	// recorded cut points; the sweep stopped rather than grow past it.
	ErrMemoryLimit = errno.New("faults: sweep memory limit exceeded", errno.ENOMEM)
)

// IsPowerLoss reports whether err is (or wraps) the power-loss sentinel.
func IsPowerLoss(err error) bool { return errors.Is(err, ErrPowerLoss) }

// injectedError is an injected failure with a chosen errno.
type injectedError struct {
	errno errno.Errno
	msg   string
}

func (e *injectedError) Error() string { return e.msg }

// Errno reports the chosen errno (errno.Of uses it).
func (e *injectedError) Errno() errno.Errno { return e.errno }

// Is makes errors.Is(err, ErrInjected) true.
func (e *injectedError) Is(target error) bool { return target == ErrInjected }

func injected(en errno.Errno, format string, a ...any) error {
	if en < 0 {
		en = -en
	}
	if en == 0 {
		en = errno.EIO
	}
	return &injectedError{errno: en, msg: fmt.Sprintf("faults: injected %s: ", en.Name()) + fmt.Sprintf(format, a...)}
}

func badPlan(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrBadPlan, fmt.Sprintf(format, a...))
}
