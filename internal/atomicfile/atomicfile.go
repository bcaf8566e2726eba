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
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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

// pending is a synced temporary file waiting for its rename.
type pending struct {
	tmp, path string
}

// Set is a group of files replaced together. Add writes and syncs each
// temporary file; Commit renames them in the order added; Abort (or a
// failed Add or Commit) removes the temporary files left.
type Set struct {
	// FS is where the files are (nil: the plain file system).
	FS    fsroot.FS
	files []pending
}

// Add writes the new content of path (through write, buffered) to a
// synced temporary file in path's directory, with mode 0644.
func (s *Set) Add(path string, write func(w io.Writer) error) (err error) {
	fsys := fsroot.Or(s.FS)
	cleanStale(fsys, path)
	tmp := tempName(path, os.Getpid())
	f, err := fsys.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = fsys.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("atomicfile: %w", err)
	}
	s.files = append(s.files, pending{tmp: tmp, path: path})
	return nil
}

// Commit renames every temporary file over its destination, in the order
// added, then syncs the directories. After an error the files not yet
// renamed are removed.
func (s *Set) Commit() error {
	fsys := fsroot.Or(s.FS)
	dirs := map[string]bool{}
	for i, p := range s.files {
		if err := fsys.Rename(p.tmp, p.path); err != nil {
			s.files = s.files[i:]
			s.Abort()
			return fmt.Errorf("atomicfile: %w", err)
		}
		dirs[filepath.Dir(p.path)] = true
	}
	s.files = nil
	for d := range dirs {
		syncDir(fsys, d)
	}
	return nil
}

// Abort removes the temporary files not yet committed.
func (s *Set) Abort() {
	for _, p := range s.files {
		_ = fsroot.Or(s.FS).Remove(p.tmp)
	}
	s.files = nil
}

// WriteFile replaces path atomically with what write produces.
func WriteFile(path string, write func(w io.Writer) error) error {
	return WriteFileFS(nil, path, write)
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
