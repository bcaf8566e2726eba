package lua

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Every file flashemu writes (images, sidecars, traces, reports, JUnit XML)
// goes through AtomicFile: readers, and a later run after a crash, see the
// old file or the complete new one, never a partial file.

// AtomicFile is a file being written atomically: the data goes to a
// temporary file in the target's directory, and Commit moves it over the
// target (write, fsync, close, rename, fsync of the directory). A process
// killed before Commit leaves the target as it was (and a stray temporary
// file named ".NAME.tmp*" next to it). Abort discards the temporary file.
type AtomicFile struct {
	path string
	f    *os.File
	w    *bufio.Writer
	err  error
	done bool
}

// ErrAtomicClosed is returned by writes to an AtomicFile after Commit or
// Abort.
var ErrAtomicClosed = errors.New("lua: atomic file already committed or aborted")

// CreateAtomic starts writing path atomically. Missing parent directories
// are created.
func CreateAtomic(path string) (*AtomicFile, error) {
	dir := filepath.Dir(path)
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory", path)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return &AtomicFile{path: path, f: f, w: bufio.NewWriterSize(f, 1<<16)}, nil
}

// Path is the file's final path.
func (a *AtomicFile) Path() string { return a.path }

// Write implements io.Writer. The first error sticks: later writes and
// Commit return it.
func (a *AtomicFile) Write(p []byte) (int, error) {
	if a.done {
		return 0, ErrAtomicClosed
	}
	if a.err != nil {
		return 0, a.err
	}
	n, err := a.w.Write(p)
	if err != nil {
		a.err = err
	}
	return n, err
}

// Commit makes the written data the content of the target path. After an
// error the target is unchanged and the temporary file removed.
func (a *AtomicFile) Commit() (err error) {
	if a.done {
		return ErrAtomicClosed
	}
	a.done = true
	tmp := a.f.Name()
	defer func() {
		if err != nil {
			_ = a.f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if a.err != nil {
		return a.err
	}
	if err = a.w.Flush(); err != nil {
		return err
	}
	if err = a.f.Sync(); err != nil {
		return err
	}
	if err = a.f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, a.path); err != nil {
		return err
	}
	if df, derr := os.Open(filepath.Dir(a.path)); derr == nil {
		_ = df.Sync() // not supported everywhere; the rename is done
		_ = df.Close()
	}
	return nil
}

// Abort discards what was written; the target is unchanged. Aborting a
// committed file does nothing.
func (a *AtomicFile) Abort() {
	if a.done {
		return
	}
	a.done = true
	_ = a.f.Close()
	_ = os.Remove(a.f.Name())
}

// WriteFileAtomic writes data to path atomically (see AtomicFile).
func WriteFileAtomic(path string, data []byte) error {
	a, err := CreateAtomic(path)
	if err != nil {
		return err
	}
	if _, err := a.Write(data); err != nil {
		a.Abort()
		return err
	}
	return a.Commit()
}
