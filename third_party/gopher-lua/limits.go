package lua

// PATCH(limits): interruptible, bounded builtins. See PATCHES.md.

import (
	"errors"
	"fmt"
)

// FatalError wraps an error that pcall, xpcall and coroutine.resume must not
// catch: it unwinds the whole script and is returned by DoString/PCall at the
// host. A cancelled context (L.SetContext) is raised as a FatalError; a host
// raises its own (os.exit, memory limit) with RaiseFatal or by returning one
// from the allocation check.
type FatalError struct {
	Err error
}

// Error returns the wrapped error's message.
func (e *FatalError) Error() string { return e.Err.Error() }

// Unwrap returns the wrapped error, so errors.Is(err, context.DeadlineExceeded)
// works on what DoString returns.
func (e *FatalError) Unwrap() error { return e.Err }

// IsFatal reports whether err carries a *FatalError (anywhere in its chain,
// including the Cause of an *ApiError).
func IsFatal(err error) bool {
	var fe *FatalError
	return errors.As(err, &fe)
}

// Unwrap returns the Go error an *ApiError was raised with (Cause), if any.
func (e *ApiError) Unwrap() error { return e.Cause }

// RaiseFatal raises err as an error no pcall/xpcall can catch. The Lua
// message is "<position> <err>", as RaiseError would make it.
func (ls *LState) RaiseFatal(err error) {
	var fe *FatalError
	if !errors.As(err, &fe) {
		fe = &FatalError{Err: err}
	}
	msg := err.Error()
	if where := ls.where(0, true); where != "" {
		msg = fmt.Sprintf("%v %v", where, msg)
	}
	panic(&ApiError{Type: ApiErrorRun, Object: LString(msg), StackTrace: ls.stackTrace(0), Cause: fe})
}

// CheckInterrupt raises a fatal error if the state's context is done. Long
// running Go functions (builtins and host bindings) call it periodically.
func (ls *LState) CheckInterrupt() {
	if ls.ctx == nil {
		return
	}
	select {
	case <-ls.ctx.Done():
		ls.RaiseFatal(ls.ctx.Err())
	default:
	}
}

// SetAllocCheck installs fn as the allocation budget of this state and all
// its coroutines. Builtins call it with the number of bytes they are about to
// allocate before a large allocation (string.rep, string.format, gsub results,
// concatenation, table.concat, coroutine creation); if fn returns an error the
// allocation is not made and the error is raised (uncatchable if it is a
// *FatalError). nil removes the check.
func (ls *LState) SetAllocCheck(fn func(n int64) error) { ls.G.allocCheck = fn }

// allocCheckMin is the size below which builtins do not consult the
// allocation check (small allocations are not worth the call).
const allocCheckMin = 1 << 16

// CheckAlloc asks the allocation check (SetAllocCheck) whether n more bytes
// may be allocated and raises its error if not. It also checks the context,
// since it is called before long copies.
func (ls *LState) CheckAlloc(n int64) {
	ls.CheckInterrupt()
	if fn := ls.G.allocCheck; fn != nil && n >= allocCheckMin {
		if err := fn(n); err != nil {
			if IsFatal(err) {
				ls.RaiseFatal(err)
			}
			ls.RaiseError("%s", err.Error())
		}
	}
}

// interruptFunc returns a check for long Go loops (the pattern matcher): nil
// when the state has no context, else a func returning the context's error
// once it is done.
func (ls *LState) interruptFunc() func() error {
	ctx := ls.ctx
	if ctx == nil {
		return nil
	}
	return func() error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		default:
			return nil
		}
	}
}

// threadAllocEstimate is roughly what a new coroutine allocates up front.
func threadAllocEstimate(o Options) int64 {
	rs, cs := o.RegistrySize, o.CallStackSize
	if rs < 1 {
		rs = RegistrySize
	}
	if cs < 1 {
		cs = CallStackSize
	}
	return int64(rs)*16 + int64(cs)*128
}

// resumeFatal runs th for LState.Resume and returns a fatal error raised in it
// instead of letting it unwind the Go caller.
func resumeFatal(th *LState) (err error) {
	defer func() {
		if rcv := recover(); rcv != nil {
			if ae, ok := rcv.(*ApiError); ok && IsFatal(ae) {
				err = ae
				return
			}
			panic(rcv)
		}
	}()
	threadRun(th)
	return nil
}

// followContext makes a coroutine resumed from Lua run under the context of
// the thread that resumes it. v1.1.2 gave each coroutine a child of its
// creator's context at creation, so a coroutine made during one protected
// call was dead ("context canceled") when a later call resumed it, and a
// timeout set for the later call did not reach it. PATCH(limits).
func (th *LState) followContext(parent *LState) {
	th.ctx = parent.ctx
	if parent.ctx != nil {
		th.mainLoop = mainLoopWithContext
	} else {
		th.mainLoop = mainLoop
	}
}
