// Package atomicfile replaces files so that a crash at any instant leaves
// either the old or the new content, never a mix: each file is written to
// a temporary file in the same directory, synced, and renamed over its
// destination, then the directory is synced.
//
// A Set commits several files together (an image, its sidecar and its OOB
// file): every temporary file is written and synced before the first
// rename. The renames themselves are separate steps, so a crash between
// them can leave some files new and others old; callers that need the set
// to agree record a digest of the other files in the last one committed
// (the sidecar) and verify it on load.
//
// Temporary files are named ".<name>.tmp.<pid>" so that stale ones
// (from a process that was killed) are recognisable: CleanStale removes
// those whose process is gone, and every WriteFile and Set.Add calls it.
//
// Every operation goes through an fsroot.FS (Set.FS, WriteFileFS): a
// sandboxed caller passes a Root, so neither the file nor its temporary
// file can land outside the tree.
package atomicfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/flashemu/flashemu/internal/fsroot"
)

// tempName is the temporary file of path for process pid.
func tempName(path string, pid int) string {
	return filepath.Join(filepath.Dir(path), tempPrefix(path)+strconv.Itoa(pid))
}

func tempPrefix(path string) string { return "." + filepath.Base(path) + ".tmp." }

// CleanStale removes the temporary files of path left by processes that no
// longer run. It returns the paths removed.
func CleanStale(path string) []string { return cleanStale(fsroot.OS(), path) }

func cleanStale(fsys fsroot.FS, path string) []string {
	dir, base := filepath.Dir(path), tempPrefix(path)
	ents, err := fsys.ReadDir(dir)
	if err != nil {
		return nil
	}
	var removed []string
	for _, e := range ents {
		n := e.Name()
		if !strings.HasPrefix(n, base) {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimPrefix(n, base))
		// our own temps are in flight (or removed by their error path)
		if err != nil || pid <= 0 || pid == os.Getpid() || alive(pid) {
			continue
		}
		p := filepath.Join(dir, n)
		if fsys.Remove(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}

// File is one file being replaced atomically: what is written goes to a
// temporary file (".<name>.tmp.<pid>") in the destination's directory, and
// Commit syncs it and renames it over the destination (then syncs the
// directory). A process killed before Commit leaves the destination as it
// was. Abort discards the temporary file. The first write error sticks.
type File struct {
	fsys      fsroot.FS
	tmp, path string
	f         *os.File
	bw        *bufio.Writer
	err       error
	done      bool
}

// ErrClosed is returned by writes to a File after Commit or Abort.
var ErrClosed = errors.New("atomicfile: file already committed or aborted")

// Create starts replacing path in fsys (nil: the plain file system). Its
// directory must exist; a directory at path is refused.
func Create(fsys fsroot.FS, path string) (*File, error) {
	fsys = fsroot.Or(fsys)
	if st, err := fsys.Stat(path); err == nil && st.IsDir() {
		return nil, &fs.PathError{Op: "create", Path: path, Err: syscall.EISDIR}
	}
	cleanStale(fsys, path)
	tmp := tempName(path, os.Getpid())
	f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("atomicfile: %w", err)
	}
	return &File{fsys: fsys, tmp: tmp, path: path, f: f, bw: bufio.NewWriterSize(f, 1<<16)}, nil
}

// Path is the destination.
func (a *File) Path() string { return a.path }

// Write implements io.Writer.
func (a *File) Write(p []byte) (int, error) {
	if a.done {
		return 0, ErrClosed
	}
	if a.err != nil {
		return 0, a.err
	}
	n, err := a.bw.Write(p)
	if err != nil {
		a.err = fmt.Errorf("atomicfile: %w", err)
	}
	return n, a.err
}

// sync flushes and syncs the temporary file and closes it.
func (a *File) sync() error {
	if a.done {
		return ErrClosed
	}
	err := a.err
	if err == nil {
		err = a.bw.Flush()
	}
	if err == nil {
		err = a.f.Sync()
	}
	if cerr := a.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		a.done = true
		_ = a.fsys.Remove(a.tmp)
		if !errors.Is(err, a.err) || a.err == nil {
			err = fmt.Errorf("atomicfile: %w", err)
		}
		return err
	}
	return nil
}

// rename moves the synced temporary file over the destination.
func (a *File) rename() error {
	a.done = true
	if err := a.fsys.Rename(a.tmp, a.path); err != nil {
		_ = a.fsys.Remove(a.tmp)
		return fmt.Errorf("atomicfile: %w", err)
	}
	return nil
}

// Commit makes the written content the destination's.
func (a *File) Commit() error {
	if err := a.sync(); err != nil {
		return err
	}
	if err := a.rename(); err != nil {
		return err
	}
	syncDir(a.fsys, filepath.Dir(a.path))
	return nil
}

// Abort discards what was written; the destination is unchanged. It is a
// no-op after Commit or Abort.
func (a *File) Abort() {
	if a.done {
		return
	}
	a.done = true
	_ = a.f.Close()
	_ = a.fsys.Remove(a.tmp)
}

// Set is a group of files replaced together. Add writes and syncs each
// temporary file; Commit renames them in the order added; Abort (or a
// failed Add or Commit) removes the temporary files left.
type Set struct {
	// FS is where the files are (nil: the plain file system).
	FS    fsroot.FS
	files []*File
}

// Add writes the new content of path (through write, buffered) to a
// synced temporary file in path's directory, with mode 0644.
func (s *Set) Add(path string, write func(w io.Writer) error) error {
	f, err := Create(s.FS, path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Abort()
		return err
	}
	if err := f.sync(); err != nil {
		return err
	}
	s.files = append(s.files, f)
	return nil
}

// Commit renames every temporary file over its destination, in the order
// added, then syncs the directories. After an error the files not yet
// renamed are removed.
func (s *Set) Commit() error {
	dirs := map[string]bool{}
	for i, f := range s.files {
		if err := f.rename(); err != nil {
			s.files = s.files[i+1:]
			s.Abort()
			return err
		}
		dirs[filepath.Dir(f.path)] = true
	}
	s.files = nil
	for d := range dirs {
		syncDir(fsroot.Or(s.FS), d)
	}
	return nil
}

// Abort removes the temporary files not yet committed.
func (s *Set) Abort() {
	for _, f := range s.files {
		if !f.done {
			f.done = true
			_ = f.fsys.Remove(f.tmp)
		}
	}
	s.files = nil
}

// WriteFile replaces path atomically with what write produces.
func WriteFile(path string, write func(w io.Writer) error) error {
	return WriteFileFS(nil, path, write)
}

// WriteData replaces path in fsys (nil: the plain file system) with data,
// atomically, making missing parent directories.
func WriteData(fsys fsroot.FS, path string, data []byte) error {
	if err := fsroot.Or(fsys).MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	return WriteFileFS(fsys, path, func(w io.Writer) error { _, err := w.Write(data); return err })
}

// WriteFileFS is WriteFile in fsys (nil: the plain file system).
func WriteFileFS(fsys fsroot.FS, path string, write func(w io.Writer) error) error {
	s := Set{FS: fsys}
	if err := s.Add(path, write); err != nil {
		return err
	}
	return s.Commit()
}

// syncDir makes the renames in dir durable where the platform can; some
// file systems and platforms refuse to sync a directory, and the renames
// are done either way, so failures are ignored.
func syncDir(fsys fsroot.FS, dir string) {
	if df, err := fsys.Open(dir); err == nil {
		_ = df.Sync()
		_ = df.Close()
	}
}
