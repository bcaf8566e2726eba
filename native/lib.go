package native

import (
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/internal/fsroot"
)

// Sentinel errors of the package.
var (
	// ErrUnsupported: loading C libraries is not available in this build
	// (not linux/amd64 or linux/arm64, or built without cgo).
	ErrUnsupported = errno.New("native: loading C libraries needs flashemu built with cgo on linux/amd64 or linux/arm64", errno.ENOTSUP)
	// ErrLoad: the library could not be loaded (not found, not a shared
	// library, not built with flashemu's runtime).
	ErrLoad = errno.New("native: cannot load library", errno.EINVAL)
	// ErrNoSymbol: the library does not define the entry point.
	ErrNoSymbol = errno.New("native: no such entry point", errno.ENOENT)
	// ErrFailed: the C code called flashemu_fail, failed an __ASSERT or
	// returned non-zero from flashemu_workload or flashemu_check.
	ErrFailed = errno.New("native: C code failed", errno.EIO)
	// ErrClosed: the library was closed.
	ErrClosed = errno.New("native: library closed", errno.EINVAL)
)

// Area is a flash area the C code can open with flash_area_open(ID) or
// FIXED_PARTITION_ID(Label).
type Area struct {
	ID     int
	Label  string
	Offset int64
	// Size in bytes; 0 means up to the end of the device.
	Size int64
}

// Options configure a loaded library.
type Options struct {
	// Areas is the flash map the C code sees. Empty means one area, ID 0,
	// label "storage_partition", the whole device.
	Areas []Area
	// Log receives flashemu_log and LOG_ERR/LOG_WRN lines (nil discards).
	Log io.Writer
	// FS is where path is opened (nil: the plain file system); the Lua
	// binding passes the sandbox's.
	FS fsroot.FS
}

// Env is what one call into the library runs against.
type Env struct {
	// Dev is the device the C code's flash operations go to.
	Dev *emu.Device
	// Ack receives flashemu_ack values (nil: flashemu_ack is ignored).
	Ack func(v int64) error
	// Acked are the values flashemu_acked_count/flashemu_acked return:
	// integers (int, int64, uint64, or float64 with an integral value).
	Acked []any
}

// Lib is one private copy of a shared library. Its calls are serialised;
// load one Lib per goroutine (sweep worker) to run checks in parallel.
type Lib struct {
	// Path is the library's path as given to Load.
	Path string

	opts Options
	mu   sync.Mutex
	h    *handle
	id   uintptr
	cur  *callState
	st   callState // the state of every call (reused: calls are serialised)
}

// callState is the state of the call in progress.
type callState struct {
	env    Env
	cut    bool   // a flash operation hit a power loss: every later one fails
	failed bool   // flashemu_fail or __ASSERT
	msg    string // the first failure message
	err    error  // a host-side error (an ack that failed)
}

// Load makes a private copy of the shared library at path, loads it and
// records its writable data segment, which is restored before every call.
// The library must be built with flashemu's runtime (CCFlags).
func Load(path string, o Options) (*Lib, error) {
	l := &Lib{Path: path, opts: o}
	h, err := openLib(fsroot.Or(o.FS), path)
	if err != nil {
		return nil, err
	}
	l.h = h
	l.id = register(l)
	return l, nil
}

// Close unloads the library. Calls after Close return ErrClosed.
func (l *Lib) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h == nil {
		return nil
	}
	unregister(l.id)
	err := l.h.close()
	l.h = nil
	return err
}

// Has reports whether the library defines the symbol.
func (l *Lib) Has(sym string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.h != nil && l.h.sym(sym) != 0
}

// Call runs the int(void) function sym with the library's data segment
// restored and its flash operations bound to e.Dev. It returns the
// function's result; the error is non-nil when the call could not run
// (ErrNoSymbol, ErrClosed), when the C code failed (ErrFailed: flashemu_fail,
// __ASSERT) or when power was lost during the call (wrapping
// emu.ErrPowerLoss; the result is then meaningless).
func (l *Lib) Call(sym string, e Env) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.h == nil {
		return 0, ErrClosed
	}
	fn := l.h.sym(sym)
	if fn == 0 {
		return 0, fmt.Errorf("%w: %s in %s", ErrNoSymbol, sym, l.Path)
	}
	return l.call(sym, fn, e)
}

func (l *Lib) call(sym string, fn uintptr, e Env) (int64, error) {
	if e.Dev == nil {
		return 0, fmt.Errorf("%w: %s: no device", emu.ErrInvalid, sym)
	}
	l.h.restore()
	st := &l.st
	*st = callState{env: e}
	l.cur = st
	rc := l.h.enter(fn, l.id)
	l.cur = nil
	defer func() { *st = callState{} }() // drop the device and acked values
	switch {
	case st.cut:
		return rc, fmt.Errorf("native: %s: %w during the call (its result is ignored)", sym, emu.ErrPowerLoss)
	case st.err != nil:
		return rc, fmt.Errorf("native: %s: %w", sym, st.err)
	case st.failed:
		return rc, fmt.Errorf("%w: %s: %s", ErrFailed, sym, st.msg)
	}
	return rc, nil
}

// Run calls sym and turns a non-zero result into an ErrFailed error.
func (l *Lib) Run(sym string, e Env) error {
	rc, err := l.Call(sym, e)
	if err == nil && rc != 0 {
		err = fmt.Errorf("%w: %s returned %d", ErrFailed, sym, rc)
	}
	return err
}

// Workload returns flashemu_workload as a sweep workload: flashemu_ack
// values reach the sweep as int64.
func (l *Lib) Workload() func(d *emu.Device, ack func(any)) error {
	return func(d *emu.Device, ack func(any)) error {
		return l.Run("flashemu_workload", Env{Dev: d, Ack: func(v int64) error { ack(v); return nil }})
	}
}

// Check returns flashemu_check as a sweep check.
func (l *Lib) Check() func(d *emu.Device, acked []any) error {
	return func(d *emu.Device, acked []any) error {
		return l.Run("flashemu_check", Env{Dev: d, Acked: acked})
	}
}

// ---- the registry the C runtime's callback finds a library through ----

var (
	regMu   sync.Mutex
	regLibs atomic.Pointer[[]*Lib] // copy on write; handle i+1 is regLibs[i]
)

func register(l *Lib) uintptr {
	regMu.Lock()
	defer regMu.Unlock()
	var libs []*Lib
	if p := regLibs.Load(); p != nil {
		libs = append(libs, *p...)
	}
	for i, x := range libs {
		if x == nil {
			libs[i] = l
			regLibs.Store(&libs)
			return uintptr(i + 1)
		}
	}
	libs = append(libs, l)
	regLibs.Store(&libs)
	return uintptr(len(libs))
}

func unregister(id uintptr) {
	regMu.Lock()
	defer regMu.Unlock()
	libs := append([]*Lib(nil), *regLibs.Load()...)
	libs[id-1] = nil
	regLibs.Store(&libs)
}

func lookup(id uintptr) *Lib {
	p := regLibs.Load()
	if p == nil || id == 0 || id > uintptr(len(*p)) {
		return nil
	}
	return (*p)[id-1]
}

// ackedInt converts an acknowledged value to the int64 flashemu_acked returns.
func ackedInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int64:
		return x, true
	case int:
		return int64(x), true
	case int32:
		return int64(x), true
	case uint64:
		return int64(x), true
	case uint32:
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && math.Abs(x) <= 1<<63 {
			return int64(x), true
		}
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}
