// Package fsroot names the file system a caller reads and writes: the plain
// one (paths as given), or a directory tree that no path can leave — not
// with "..", not with an absolute path, not through a symbolic link, and not
// by racing a rename against the check. This is Go's os.Root: from an open
// handle of the directory it walks a path one component at a time with
// openat and O_NOFOLLOW, resolving symbolic links itself and refusing any
// step above the root (the per-component equivalent of Linux's openat2
// RESOLVE_BENEATH).
//
// Packages that open files on a caller's behalf (images, traces, reports,
// Lua modules) take an FS; nil means the plain file system.
package fsroot

import (
	"errors"
	"io/fs"
	"os"
	"strings"
)

// ErrOutside reports a path that leaves the tree of a Root.
var ErrOutside = errors.New("fsroot: path leaves the directory")

// FS is the file operations flashemu needs.
type FS interface {
	Open(name string) (*os.File, error)
	OpenFile(name string, flag int, perm os.FileMode) (*os.File, error)
	Stat(name string) (os.FileInfo, error)
	ReadFile(name string) ([]byte, error)
	ReadDir(name string) ([]os.DirEntry, error)
	Rename(oldname, newname string) error
	Remove(name string) error
	MkdirAll(name string, perm os.FileMode) error
}

// OS is the plain file system.
func OS() FS { return osFS{} }

// Or returns f, or the plain file system if f is nil.
func Or(f FS) FS {
	if f == nil {
		return osFS{}
	}
	return f
}

type osFS struct{}

func (osFS) Open(name string) (*os.File, error) { return os.Open(name) }
func (osFS) OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
}
func (osFS) Stat(name string) (os.FileInfo, error)        { return os.Stat(name) }
func (osFS) ReadFile(name string) ([]byte, error)         { return os.ReadFile(name) }
func (osFS) ReadDir(name string) ([]os.DirEntry, error)   { return os.ReadDir(name) }
func (osFS) Rename(oldname, newname string) error         { return os.Rename(oldname, newname) }
func (osFS) Remove(name string) error                     { return os.Remove(name) }
func (osFS) MkdirAll(name string, perm os.FileMode) error { return os.MkdirAll(name, perm) }

// Root is a directory tree paths cannot leave. Paths are relative to it.
type Root struct{ r *os.Root }

// Open opens the directory dir as a Root. Close it when done.
func Open(dir string) (*Root, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &Root{r: r}, nil
}

// Name is the directory the Root was opened with.
func (r *Root) Name() string { return r.r.Name() }

// Close releases the Root's directory handle.
func (r *Root) Close() error { return r.r.Close() }

// Open opens name for reading.
func (r *Root) Open(name string) (*os.File, error) { f, err := r.r.Open(name); return f, outside(err) }

// OpenFile opens name with flag and perm.
func (r *Root) OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := r.r.OpenFile(name, flag, perm)
	return f, outside(err)
}

// Stat describes name, following symbolic links inside the tree.
func (r *Root) Stat(name string) (os.FileInfo, error) {
	fi, err := r.r.Stat(name)
	return fi, outside(err)
}

// ReadFile reads the whole file name.
func (r *Root) ReadFile(name string) ([]byte, error) {
	b, err := r.r.ReadFile(name)
	return b, outside(err)
}

// ReadDir lists the directory name.
func (r *Root) ReadDir(name string) ([]os.DirEntry, error) {
	f, err := r.r.Open(name)
	if err != nil {
		return nil, outside(err)
	}
	defer f.Close()
	return f.ReadDir(-1)
}

// Rename renames oldname to newname, both inside the tree.
func (r *Root) Rename(oldname, newname string) error { return outside(r.r.Rename(oldname, newname)) }

// Remove removes name.
func (r *Root) Remove(name string) error { return outside(r.r.Remove(name)) }

// MkdirAll makes name and its missing parents.
func (r *Root) MkdirAll(name string, perm os.FileMode) error {
	return outside(r.r.MkdirAll(name, perm))
}

// outside marks os.Root's refusals (a path escaping the tree, by "..",
// an absolute name or a symbolic link) with ErrOutside. The os package has
// no exported sentinel for them, so its message is the signal.
func outside(err error) error {
	if err == nil {
		return nil
	}
	escapes := func(e error) bool {
		m := e.Error()
		return strings.Contains(m, "escapes from parent") || strings.Contains(m, "outside of root")
	}
	var pe *fs.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe) && escapes(pe.Err):
		return &fs.PathError{Op: pe.Op, Path: pe.Path, Err: ErrOutside}
	case errors.As(err, &le) && escapes(le.Err):
		return &os.LinkError{Op: le.Op, Old: le.Old, New: le.New, Err: ErrOutside}
	}
	return err
}
