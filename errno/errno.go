// Package errno is the Zephyr errno vocabulary of flashemu: the Errno
// numbers, the sentinel error type every package builds its sentinels
// with, and Of, which maps any error of the project to the negative errno
// a Zephyr API would return. It imports nothing of the project, so every
// layer (emu, api, fcb, streamflash, settings, faults, lua, the CLI) can
// use it.
package errno

import (
	"errors"
	"fmt"
)

// Errno is a Zephyr errno number (positive, as in errno.h). APIs that follow
// Zephyr return it negated; Of does that conversion for any error.
type Errno int

// Zephyr minimal-libc errno values (zephyr/lib/libc/minimal/include/errno.h).
const (
	ENOENT  Errno = 2
	ESRCH   Errno = 3
	EIO     Errno = 5
	EAGAIN  Errno = 11
	ENOMEM  Errno = 12
	EACCES  Errno = 13
	EFAULT  Errno = 14
	ENODEV  Errno = 19
	EINVAL  Errno = 22
	EFBIG   Errno = 27
	ENOSPC  Errno = 28
	ERANGE  Errno = 34
	ENOMSG  Errno = 35
	EBADMSG Errno = 77
	ENOSYS  Errno = 88
	ENOTSUP Errno = 134
	EILSEQ  Errno = 138
)

var names = map[Errno]string{
	ENOENT: "ENOENT", ESRCH: "ESRCH", EIO: "EIO", EAGAIN: "EAGAIN", ENOMEM: "ENOMEM",
	EACCES: "EACCES", EFAULT: "EFAULT", ENODEV: "ENODEV", EINVAL: "EINVAL", EFBIG: "EFBIG",
	ENOSPC: "ENOSPC", ERANGE: "ERANGE", ENOMSG: "ENOMSG", EBADMSG: "EBADMSG", ENOSYS: "ENOSYS",
	ENOTSUP: "ENOTSUP", EILSEQ: "EILSEQ",
}

// Name returns the symbolic name, e.g. "EINVAL", or "E<n>" for unknown numbers.
func (e Errno) Name() string {
	if e < 0 {
		e = -e
	}
	if n, ok := names[e]; ok {
		return n
	}
	return fmt.Sprintf("E%d", int(e))
}

// Error makes an Errno usable as an error: "EINVAL (-22)".
func (e Errno) Error() string { return fmt.Sprintf("%s (-%d)", e.Name(), abs(int(e))) }

// Errno returns e itself, so an Errno satisfies Errnoer.
func (e Errno) Errno() Errno { return e }

// NameOf returns the symbolic name of a (positive or negative) errno
// number, e.g. "ENOMSG" for -35.
func NameOf(errno int) string { return Errno(errno).Name() }

// ByName returns the errno for a symbolic name like "ENOSPC" or "-ENOSPC".
func ByName(name string) (Errno, bool) {
	if len(name) > 0 && name[0] == '-' {
		name = name[1:]
	}
	for k, v := range names {
		if v == name {
			return k, true
		}
	}
	return 0, false
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// Errnoer is implemented by errors that carry a Zephyr errno. Every
// package's sentinels (made with New) have it, so Of maps any error of the
// project to a Zephyr code.
type Errnoer interface {
	error
	Errno() Errno
}

// Error is a sentinel error with a package-prefixed message and a Zephyr errno.
// Compare with errors.Is; wrap with fmt.Errorf("%w: detail", ErrX).
type Error struct {
	msg   string
	errno Errno
}

// New makes a sentinel error carrying errno; msg carries the package
// prefix, e.g. errno.New("fcb: no space", errno.ENOSPC).
func New(msg string, errno Errno) *Error { return &Error{msg: msg, errno: errno} }

// Error returns the message, e.g. "emu: out of range".
func (e *Error) Error() string { return e.msg }

// Errno reports the Zephyr errno this error maps to.
func (e *Error) Errno() Errno { return e.errno }

// Of maps an error to the negative Zephyr errno that a Zephyr API would
// return: 0 for nil, the errno carried by the first Errnoer in the chain,
// and -EIO for any other error.
func Of(err error) int {
	if err == nil {
		return 0
	}
	var e Errnoer
	if errors.As(err, &e) {
		return -abs(int(e.Errno()))
	}
	return -int(EIO)
}
