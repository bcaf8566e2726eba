package lua

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/internal/atomicfile"
	"github.com/flashemu/flashemu/internal/fsroot"
)

// Files a script reads and writes (images, traces, reports, modules, native
// libraries) go through the state's file system: without AllowIO it is the
// working directory opened as an fsroot.Root, so no path — "..", an
// absolute name, or a symbolic link anywhere on the way — reaches a file
// outside it, and the check cannot be raced (the directory handle is
// resolved beneath, not re-checked by name). With AllowIO it is the plain
// file system. Modules (require) and native libraries are looked up under
// the script's directory the same way.

// FS is the state's file system for the paths a script names (see above);
// bindings outside this package open files through it.
func (s *State) FS() (fsroot.FS, error) { return s.fsys() }

// fsys is the state's file system for paths a script names.
func (s *State) fsys() (fsroot.FS, error) {
	if s.opts.AllowIO {
		return fsroot.OS(), nil
	}
	if s.root == nil {
		r, err := fsroot.Open(".")
		if err != nil {
			return nil, fmt.Errorf("%w: opening the working directory: %v", ErrSandbox, err)
		}
		s.root = r
	}
	return s.root, nil
}

// ScriptFS returns the file system the script's own files (modules,
// native libraries) are read from: its directory as a Root in the sandbox,
// the plain file system with AllowIO, and false if the state has no
// script directory. Names are relative to the directory (with AllowIO they
// are joined to it).
func (s *State) ScriptFS() (fsroot.FS, string, bool) {
	if s.opts.Dir == "" {
		return nil, "", false
	}
	if s.opts.AllowIO {
		return fsroot.OS(), s.opts.Dir, true
	}
	if s.scriptRoot == nil {
		r, err := fsroot.Open(s.opts.Dir)
		if err != nil {
			return nil, "", false
		}
		s.scriptRoot = r
	}
	return s.scriptRoot, "", true
}

// closeFS releases the directory handles (Close).
func (s *State) closeFS() {
	for _, r := range []*fsroot.Root{s.root, s.scriptRoot} {
		if r != nil {
			_ = r.Close()
		}
	}
	s.root, s.scriptRoot = nil, nil
}

// readFile reads a file a script named, refusing files larger than the
// largest device (flash.load, traces).
func (s *State) readFile(path string) ([]byte, error) {
	f, err := s.openFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fileError(err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%w: %s is a directory", errFileIO, path)
	}
	if st.Size() > emu.MaxDeviceSize {
		return nil, fmt.Errorf("%s: %w: %d bytes", path, emu.ErrCorruptImage, st.Size())
	}
	b, err := io.ReadAll(io.LimitReader(f, emu.MaxDeviceSize+1))
	if err != nil {
		return nil, fileError(err)
	}
	return b, nil
}

// openFile opens a file a script named for reading.
func (s *State) openFile(path string) (*os.File, error) {
	fsys, err := s.fsys()
	if err != nil {
		return nil, err
	}
	f, err := fsys.Open(path)
	if err != nil {
		return nil, fileError(err)
	}
	return f, nil
}

// exists reports whether a file a script named exists.
func (s *State) exists(path string) bool {
	fsys, err := s.fsys()
	if err != nil {
		return false
	}
	_, err = fsys.Stat(path)
	return err == nil
}

// createFile starts replacing a file a script named, atomically (Commit or
// Abort it); missing directories on the way are made.
func (s *State) createFile(path string) (*atomicfile.File, error) {
	fsys, err := s.fsys()
	if err != nil {
		return nil, err
	}
	if err := fsys.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fileError(err)
	}
	f, err := atomicfile.Create(fsys, path)
	if err != nil {
		return nil, fileError(err)
	}
	return f, nil
}

// writeFile replaces a file a script named with data, atomically.
func (s *State) writeFile(path string, data []byte) error {
	f, err := s.createFile(path)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fileError(err)
	}
	if err := f.Commit(); err != nil {
		return fileError(err)
	}
	return nil
}

// imageOptions completes emu image options with the state's file system
// and makes the image's directory.
func (s *State) imageOptions(path string, opts emu.ImageOptions, mkdir bool) (emu.ImageOptions, error) {
	fsys, err := s.fsys()
	if err != nil {
		return opts, err
	}
	if mkdir {
		if err := fsys.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return opts, fileError(err)
		}
	}
	opts.FS = fsys
	return opts, nil
}

// fileError gives an OS error an errno (ENOENT, EACCES, else EIO) for the
// Lua nil, msg, errno convention.
func fileError(err error) error {
	var en errno.Errnoer
	switch {
	case isOutside(err):
		return fmt.Errorf("%w: %v", ErrSandbox, err)
	case errors.As(err, &en):
		return err
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%w: %v", errNoEnt, err)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("%w: %v", errAccess, err)
	}
	return fmt.Errorf("%w: %v", errFileIO, err)
}

var (
	errNoEnt  = errno.New("lua: no such file", errno.ENOENT)
	errAccess = errno.New("lua: permission denied", errno.EACCES)
	errFileIO = errno.New("lua: file error", errno.EIO)
)

// isOutside reports a path the sandbox's Root refused.
func isOutside(err error) bool { return errors.Is(err, fsroot.ErrOutside) }

// ErrSandbox is reported when a sandboxed script names a file outside its
// working directory.
var ErrSandbox = errno.New("lua: path outside the sandbox (use --allow-io)", errno.EACCES)

// checkPath checks a file path argument: with AllowIO any path; in the
// sandbox a relative path that stays inside the current directory.
func (s *State) checkPath(a args, n int) string {
	p := a.str(n)
	if !s.opts.AllowIO && !filepath.IsLocal(p) {
		a.argError(n, fmt.Sprintf("%q: %v", p, ErrSandbox))
	}
	return p
}
