package lua

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	glua "github.com/yuin/gopher-lua"
)

// Sentinel errors a failed Lua run unwraps to (errors.Is). A power cut
// unwraps to PowerLossErr (emu.ErrPowerLoss once the device binding is in).
var (
	// ErrRuntime: the script raised an error (error(), a failed assert or
	// expectation, a bad argument to a binding).
	ErrRuntime = errors.New("lua: runtime error")
	// ErrSyntax: the script does not compile.
	ErrSyntax = errors.New("lua: syntax error")
	// ErrTimeout: the run exceeded its deadline (flashemu --timeout).
	ErrTimeout = errors.New("lua: timeout")
	// ErrCanceled: the run was cancelled (Ctrl-C in the REPL, parent context).
	ErrCanceled = errors.New("lua: interrupted")
	// ErrMemoryLimit: the Go heap grew past Options.MemoryLimit while the run
	// was going; the run is stopped, the host lives on.
	ErrMemoryLimit = errors.New("lua: memory limit exceeded")
	// ErrInternal: a Go panic inside a binding or the interpreter, reported
	// as an error instead of a crash.
	ErrInternal = errors.New("lua: internal error")
	// ErrExit: the script called os.exit(code); Error.Code holds the code.
	ErrExit = errors.New("lua: exit")
)

// Error is a failed Lua run. Error() is one line in Lua's own format,
// "file:line: message" (or just the message when no position is known).
type Error struct {
	// Where is "file:line" of the error, or "" when unknown.
	Where string
	// Msg is the message without the position.
	Msg string
	// Value is the raised Lua value (a string, a power-loss object, any
	// value passed to error()), nil for host-made errors.
	Value glua.LValue
	// Traceback is the Lua stack at the error, when known.
	Traceback string
	// Code is the exit code given to os.exit (Kind ErrExit).
	Code int
	// Kind is one of the sentinel errors above (ErrRuntime, ErrTimeout, ...)
	// or the device's power-loss error.
	Kind error
}

func (e *Error) Error() string {
	if e.Where == "" {
		return e.Msg
	}
	return e.Where + ": " + e.Msg
}

// Unwrap returns the error's kind, so errors.Is(err, lua.ErrTimeout) and
// errors.Is(err, emu.ErrPowerLoss) work.
func (e *Error) Unwrap() error { return e.Kind }

// positionRE splits "file:line: message" (the file may contain colons).
var positionRE = regexp.MustCompile(`(?s)^(.*?:[0-9]+): (.*)$`)

// splitWhere separates the "file:line" prefix Lua puts on error strings.
func splitWhere(s string) (where, msg string) {
	if m := positionRE.FindStringSubmatch(s); m != nil && !strings.Contains(m[1], "\n") {
		return m[1], m[2]
	}
	return "", s
}

// errorFromValue makes an *Error from a raised Lua value.
func errorFromValue(v glua.LValue, traceback string) *Error {
	e := &Error{Value: v, Traceback: traceback, Kind: ErrRuntime}
	switch x := v.(type) {
	case glua.LString:
		e.Where, e.Msg = splitWhere(string(x))
	case *glua.LUserData:
		switch u := x.Value.(type) {
		case *PowerLoss:
			e.Where, e.Msg, e.Kind = u.Where, u.Msg(), PowerLossErr
		default:
			e.Msg = tostring(v)
		}
	case nil:
		e.Msg = "nil"
	default:
		e.Msg = tostring(v)
	}
	return e
}

// tostring converts a value like Lua's tostring without a state (no
// __tostring metamethods except for our own userdata).
func tostring(v glua.LValue) string {
	if ud, ok := v.(*glua.LUserData); ok {
		if s, ok := ud.Value.(fmt.Stringer); ok {
			return s.String()
		}
	}
	if v == nil {
		return "nil"
	}
	if t, ok := v.(*glua.LTable); ok {
		// error{code=..., msg=...}-style tables: show the message if any.
		if m, ok := t.RawGetString("message").(glua.LString); ok {
			return string(m)
		}
		if m, ok := t.RawGetString("msg").(glua.LString); ok {
			return string(m)
		}
		return "(error object is a table value)"
	}
	return v.String()
}

// convertError turns what PCall returned into an *Error, using the context
// to tell timeouts, cancellation and the memory ceiling from script errors.
func convertError(ctx context.Context, err error) *Error {
	if err == nil {
		return nil
	}
	var e *Error
	var api *glua.ApiError
	if errors.As(err, &api) {
		switch api.Type {
		case glua.ApiErrorSyntax:
			return syntaxError(api, 0)
		case glua.ApiErrorPanic:
			e = errorFromValue(api.Object, api.StackTrace)
			e.Msg = "internal error: " + e.Msg
			e.Kind = ErrInternal
			return e
		default:
			e = errorFromValue(api.Object, api.StackTrace)
		}
	} else {
		e = &Error{Msg: err.Error(), Kind: ErrRuntime}
	}
	// Fatal errors the host raised (os.exit, the allocation check).
	var exit *exitRequest
	switch {
	case errors.As(err, &exit):
		e.Where, e.Msg, e.Code, e.Kind = exit.where, exit.Error(), exit.code, ErrExit
		return e
	case errors.Is(err, ErrMemoryLimit):
		var fe *glua.FatalError
		errors.As(err, &fe)
		e.Kind, e.Msg = ErrMemoryLimit, strings.TrimPrefix(fe.Error(), "lua: ")
		return e
	}
	if ctx != nil && ctx.Err() != nil && e.Kind == ErrRuntime {
		cause := context.Cause(ctx)
		switch {
		case errors.Is(cause, ErrMemoryLimit):
			e.Kind, e.Msg = ErrMemoryLimit, cause.Error()
		case errors.Is(cause, ErrTimeout), errors.Is(cause, context.DeadlineExceeded):
			e.Kind, e.Msg = ErrTimeout, cause.Error()
			if errors.Is(cause, context.DeadlineExceeded) && !errors.Is(cause, ErrTimeout) {
				e.Msg = ErrTimeout.Error()
			}
		default:
			e.Kind, e.Msg = ErrCanceled, ErrCanceled.Error()
			if cause != nil && !errors.Is(cause, context.Canceled) {
				e.Msg = cause.Error()
			}
		}
		e.Msg = strings.TrimPrefix(e.Msg, "lua: ")
	}
	return e
}

// syntaxError reformats gopher-lua's parse errors ("x.lua line:3(column:5)
// near 'foo':   syntax error") into Lua's "x.lua:3: syntax error near 'foo'".
// eofLine is the line number to report for errors at the end of the input.
func syntaxError(api *glua.ApiError, eofLine int) *Error {
	msg := strings.TrimSpace(api.Object.String())
	e := &Error{Msg: msg, Kind: ErrSyntax}
	if m := parseErrRE.FindStringSubmatch(msg); m != nil {
		e.Where = m[1] + ":" + m[2]
		e.Msg = strings.TrimSpace(m[5]) + " near '" + m[4] + "'"
	} else if m := eofErrRE.FindStringSubmatch(msg); m != nil {
		e.Where = fmt.Sprintf("%s:%d", m[1], eofLine)
		e.Msg = strings.TrimSpace(m[2]) + " near <eof>"
	} else if m := compileErrRE.FindStringSubmatch(msg); m != nil {
		e.Where = m[2] + ":" + m[1]
		e.Msg = strings.TrimSpace(m[3])
	}
	return e
}

var (
	parseErrRE   = regexp.MustCompile(`(?s)^(.*) line:([0-9]+)\(column:([0-9]+)\) near '(.*?)':\s+(.*)$`)
	eofErrRE     = regexp.MustCompile(`(?s)^(.*) at EOF:\s+(.*)$`)
	compileErrRE = regexp.MustCompile(`(?s)^compile error near line\(([0-9]+)\) (.*?): (.*)$`)
)

// exitRequest is raised by os.exit(code) as a fatal error (pcall cannot
// catch it): it unwinds the script and the host turns it into an exit
// status instead of killing the process.
type exitRequest struct {
	code  int
	where string // file:line of the os.exit call
}

func (x *exitRequest) Error() string { return fmt.Sprintf("os.exit(%d)", x.code) }
