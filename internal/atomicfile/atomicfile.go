// Package atomicfile replaces files so that a crash at any instant leaves
// either the old or the new content, never a mix: each file is written to
// a temporary file in the same directory, synced, and renamed over its
// destination, then the directory is synced.
//
// A Set commits several files together (an image, its sidecar and its OOB
// file): every temporary file is written and synced before the first
// rename. The renames are separate steps, so a Set with a Journal first
// writes (atomically) a journal listing them: a crash during the renames
// leaves the journal, and Recover — which readers of the set and the next
// Add run first — finishes the renames. After a crash at any instant a
// reader sees the old set or the new one. (Callers may still record digests
// of the other files in the last one to detect sets mixed by other means.)
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
	FS fsroot.FS
	// Journal, if not empty, names the set (e.g. its main file): Commit
	// then journals its renames in JournalPath(Journal) so that Recover can
	// finish them after a crash.
	Journal string
	files   []*File
	// stopAfter, when positive, makes Commit return after that many
	// renames as if the process had died there (tests).
	stopAfter int
}

// JournalPath is the journal of the set named name: ".<name>.set" beside it.
func JournalPath(name string) string {
	return filepath.Join(filepath.Dir(name), "."+filepath.Base(name)+".set")
}

// errStopped is Commit's error when stopAfter simulated a crash.
var errStopped = errors.New("atomicfile: commit stopped (test)")

// Recover finishes a commit of the set named name that a crash interrupted
// during its renames: every rename its journal lists whose temporary file
// is still there is done, then the journal is removed. Without a journal
// it does nothing.
func Recover(fsys fsroot.FS, name string) error {
	fsys = fsroot.Or(fsys)
	jp := JournalPath(name)
	b, err := fsys.ReadFile(jp)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("atomicfile: journal: %w", err)
	}
	dirs := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		tmp, path, ok := strings.Cut(line, "\t")
		if !ok {
			return fmt.Errorf("atomicfile: journal %s: bad line %q", jp, line)
		}
		if _, err := fsys.Stat(tmp); err != nil {
			continue // renamed before the crash
		}
		if err := fsys.Rename(tmp, path); err != nil {
			return fmt.Errorf("atomicfile: finishing %s: %w", path, err)
		}
		dirs[filepath.Dir(path)] = true
	}
	for d := range dirs {
		syncDir(fsys, d)
	}
	if err := fsys.Remove(jp); err != nil {
		return fmt.Errorf("atomicfile: journal: %w", err)
	}
	syncDir(fsys, filepath.Dir(jp))
	return nil
}

// Add writes the new content of path (through write, buffered) to a
// synced temporary file in path's directory, with mode 0644.
func (s *Set) Add(path string, write func(w io.Writer) error) error {
	if s.Journal != "" && len(s.files) == 0 {
		// An interrupted commit's temporary files belong to a dead
		// process: finish it before they are cleaned up as stale.
		if err := Recover(s.FS, s.Journal); err != nil {
			return err
		}
	}
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
	journaled := s.Journal != "" && len(s.files) > 1
	if journaled {
		var j strings.Builder
		for _, f := range s.files {
			fmt.Fprintf(&j, "%s\t%s\n", f.tmp, f.path)
		}
		if err := WriteFileFS(s.FS, JournalPath(s.Journal), func(w io.Writer) error {
			_, err := io.WriteString(w, j.String())
			return err
		}); err != nil {
			s.Abort()
			return err
		}
	}
	dirs := map[string]bool{}
	for i, f := range s.files {
		if s.stopAfter > 0 && i == s.stopAfter {
			return errStopped
		}
		if err := f.rename(); err != nil {
			s.files = s.files[i+1:]
			s.Abort()
			return err
		}
		dirs[filepath.Dir(f.path)] = true
	}
	s.files = nil
	fsys := fsroot.Or(s.FS)
	for d := range dirs {
		syncDir(fsys, d)
	}
	if journaled {
		if err := fsys.Remove(JournalPath(s.Journal)); err != nil {
			return fmt.Errorf("atomicfile: journal: %w", err)
		}
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
