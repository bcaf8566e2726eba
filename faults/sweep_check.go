package faults

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/flashemu/flashemu/emu"
)

// checker runs one worker's checks: it makes the check from the sweep's
// factory on first use, bounds every call by the timeout and, when a check
// had to be abandoned, makes a fresh one for the next call.
type checker struct {
	s       *Sweep
	worker  int
	timeout time.Duration
	fn      CheckContextFunc
}

// makeCheck returns worker's check as a CheckContextFunc.
func (s *Sweep) makeCheck(worker int) (CheckContextFunc, error) {
	switch {
	case s.CheckContextFactory != nil:
		c, err := s.CheckContextFactory(worker)
		if err == nil && c == nil {
			err = fmt.Errorf("%w: check factory returned no check", ErrBadSweep)
		}
		return c, err
	case s.CheckContext != nil:
		return s.CheckContext, nil
	case s.CheckFactory != nil:
		c, err := s.CheckFactory(worker)
		if err == nil && c == nil {
			err = fmt.Errorf("%w: check factory returned no check", ErrBadSweep)
		}
		if err != nil {
			return nil, err
		}
		return plainCheck(c), nil
	}
	return plainCheck(s.Check), nil
}

func plainCheck(c CheckFunc) CheckContextFunc {
	return func(_ context.Context, d *emu.Device, acked []any) error { return c(d, acked) }
}

// shared reports whether the sweep's check is one function for every
// worker (Check, CheckContext) rather than made per worker.
func (s *Sweep) shared() bool { return s.CheckContextFactory == nil && s.CheckFactory == nil }

// timeoutError is the verdict of a check that exceeded its time.
func timeoutError(what string, d time.Duration) error {
	return fmt.Errorf("%w: %s timed out after %v", ErrTimeout, what, d)
}

// timeoutAt is timeoutError keeping what the check itself reported when
// its cancelled context stopped it (for a Lua check, the file:line it was
// at), so that a hang is reported with its place.
func timeoutAt(what string, d time.Duration, stopped error) error {
	if stopped == nil {
		return timeoutError(what, d)
	}
	return fmt.Errorf("%w: %s timed out after %v (stopped at %w)", ErrTimeout, what, d, stopped)
}

// graceFor is how long a check past its timeout may take to notice its
// cancelled context before it is abandoned.
func graceFor(timeout time.Duration) time.Duration { return max(timeout/4, 100*time.Millisecond) }

// run runs the check on d. fatal reports that no check could be made (the
// factory failed): the sweep cannot go on. verdict is the check's result,
// a timeout error, or the parent context's error when it was cancelled.
func (c *checker) run(ctx context.Context, d *emu.Device, acked []any) (verdict, fatal error) {
	if c.fn == nil {
		fn, err := c.s.makeCheck(c.worker)
		if err != nil {
			return nil, err
		}
		c.fn = fn
	}
	if c.timeout <= 0 {
		return callCheck(ctx, c.fn, d, acked), nil
	}
	cctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	done := make(chan error, 1)
	fn := c.fn
	go func() { done <- callCheck(cctx, fn, d, acked) }()
	select {
	case err := <-done:
		if ctx.Err() == nil && errors.Is(cctx.Err(), context.DeadlineExceeded) {
			return timeoutAt("check", c.timeout, err), nil
		}
		return err, nil
	case <-cctx.Done():
	}
	select {
	case err := <-done:
		if ctx.Err() == nil {
			return timeoutAt("check", c.timeout, err), nil
		}
	case <-time.After(graceFor(c.timeout)):
		// The check ignores its context: leave it running on its device
		// and never call this check again (it may hold state it is
		// still changing, e.g. a Lua state).
		if !c.s.shared() {
			c.fn = nil
		}
	}
	if err := ctx.Err(); err != nil {
		return err, nil
	}
	return timeoutError("check", c.timeout), nil
}

func callCheck(ctx context.Context, check CheckContextFunc, d *emu.Device, acked []any) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = panicErr("check", v)
		}
	}()
	return check(ctx, d, acked)
}
