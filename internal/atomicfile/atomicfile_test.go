package atomicfile

import (
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/flashemu/flashemu/internal/fsroot"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestSet(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	require.NoError(t, WriteFile(a, writeString("old a")))
	var s Set
	require.NoError(t, s.Add(a, writeString("new a")))
	require.NoError(t, s.Add(b, writeString("new b")))
	got, _ := os.ReadFile(a)
	assert.Equal(t, "old a", string(got), "nothing replaced before Commit")
	require.NoError(t, s.Commit())
	got, _ = os.ReadFile(a)
	assert.Equal(t, "new a", string(got))
	got, _ = os.ReadFile(b)
	assert.Equal(t, "new b", string(got))
	ents, _ := os.ReadDir(dir)
	assert.Len(t, ents, 2, "no temporary files left")

	// a failing writer leaves the old file and no temp
	boom := errors.New("boom")
	err := WriteFile(a, func(io.Writer) error { return boom })
	assert.ErrorIs(t, err, boom)
	require.NoError(t, s.Add(b, writeString("discarded")))
	s.Abort()
	got, _ = os.ReadFile(a)
	assert.Equal(t, "new a", string(got))
	got, _ = os.ReadFile(b)
	assert.Equal(t, "new b", string(got))
	ents, _ = os.ReadDir(dir)
	assert.Len(t, ents, 2)
}

func TestCleanStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "img")
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	dead := tempName(path, cmd.Process.Pid)
	live := tempName(path, os.Getppid())
	other := filepath.Join(dir, ".other.tmp.1")
	for _, p := range []string{dead, live, other} {
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
	}
	assert.Equal(t, []string{dead}, CleanStale(path))
	assert.FileExists(t, live, "a running process's temp stays")
	assert.FileExists(t, other, "another file's temp stays")
	// saving cleans up too
	require.NoError(t, os.WriteFile(dead, []byte("x"), 0o644))
	require.NoError(t, WriteFile(path, writeString("v")))
	assert.NoFileExists(t, dead)
}

// TestWriteFileFSStaysInTheRoot: in a Root, a destination behind a
// symbolic link out of the tree is refused and nothing is written there.
func TestWriteFileFSStaysInTheRoot(t *testing.T) {
	base := t.TempDir()
	in, out := filepath.Join(base, "in"), filepath.Join(base, "out")
	require.NoError(t, os.MkdirAll(in, 0o755))
	require.NoError(t, os.MkdirAll(out, 0o755))
	require.NoError(t, os.Symlink(out, filepath.Join(in, "link")))
	r, err := fsroot.Open(in)
	require.NoError(t, err)
	defer r.Close()

	err = WriteFileFS(r, "link/escape.bin", func(w io.Writer) error { _, err := w.Write([]byte("x")); return err })
	require.ErrorIs(t, err, fsroot.ErrOutside)
	ents, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Empty(t, ents, "files written outside the root")

	require.NoError(t, WriteFileFS(r, "ok.bin", func(w io.Writer) error { _, err := w.Write([]byte("y")); return err }))
	b, err := os.ReadFile(filepath.Join(in, "ok.bin"))
	require.NoError(t, err)
	assert.Equal(t, "y", string(b))
}

// TestFileStreams: a File written piecewise replaces the destination only
// at Commit; Abort leaves the old content and no temporary file.
func TestFileStreams(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "trace.jsonl")
	require.NoError(t, os.WriteFile(p, []byte("old"), 0o644))
	f, err := Create(nil, p)
	require.NoError(t, err)
	for i := 0; i < 3; i++ {
		_, err := f.Write([]byte("line\n"))
		require.NoError(t, err)
	}
	b, _ := os.ReadFile(p)
	assert.Equal(t, "old", string(b), "visible before Commit")
	require.NoError(t, f.Commit())
	b, _ = os.ReadFile(p)
	assert.Equal(t, "line\nline\nline\n", string(b))
	_, err = f.Write([]byte("x"))
	assert.ErrorIs(t, err, ErrClosed)

	g, err := Create(nil, p)
	require.NoError(t, err)
	_, _ = g.Write([]byte("discarded"))
	g.Abort()
	b, _ = os.ReadFile(p)
	assert.Equal(t, "line\nline\nline\n", string(b))
	ents, _ := os.ReadDir(dir)
	assert.Len(t, ents, 1, "temporary files left")

	_, err = Create(nil, dir)
	assert.Error(t, err, "a directory as destination")
}

// TestSetJournalRollsForward: a commit that dies after any number of its
// renames is finished by Recover (and by the next Add), so the set is all
// old or all new — never a mix.
func TestSetJournalRollsForward(t *testing.T) {
	for stop := 1; stop <= 2; stop++ {
		dir := t.TempDir()
		img, oob, side := filepath.Join(dir, "f.bin"), filepath.Join(dir, "f.bin.oob"), filepath.Join(dir, "f.bin.json")
		for _, p := range []string{img, oob, side} {
			require.NoError(t, os.WriteFile(p, []byte("old"), 0o644))
		}
		s := Set{Journal: img, stopAfter: stop}
		for _, p := range []string{oob, img, side} {
			require.NoError(t, s.Add(p, writeString("new")))
		}
		require.ErrorIs(t, s.Commit(), errStopped)
		var mixed []string
		for _, p := range []string{oob, img, side} {
			b, _ := os.ReadFile(p)
			mixed = append(mixed, string(b))
		}
		assert.Contains(t, mixed, "old", "the simulated crash left a mix (stop after %d)", stop)
		assert.Contains(t, mixed, "new")
		require.FileExists(t, JournalPath(img))

		require.NoError(t, Recover(nil, img))
		for _, p := range []string{oob, img, side} {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.Equal(t, "new", string(b), "%s after Recover (stop after %d)", p, stop)
		}
		assert.NoFileExists(t, JournalPath(img))
		ents, _ := os.ReadDir(dir)
		assert.Len(t, ents, 3, "no temporary file or journal left")
		require.NoError(t, Recover(nil, img), "nothing to recover is fine")
	}
}
