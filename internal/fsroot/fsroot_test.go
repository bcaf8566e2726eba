package fsroot

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRootRefusesEscapes: "..", absolute names and symbolic links that
// lead outside are refused with ErrOutside; links inside work.
func TestRootRefusesEscapes(t *testing.T) {
	base := t.TempDir()
	in, out := filepath.Join(base, "in"), filepath.Join(base, "out")
	require.NoError(t, os.MkdirAll(filepath.Join(in, "sub"), 0o755))
	require.NoError(t, os.MkdirAll(out, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(out, "secret"), []byte("s"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(in, "sub", "ok"), []byte("ok"), 0o644))
	require.NoError(t, os.Symlink(out, filepath.Join(in, "escape")))                        // dir link out
	require.NoError(t, os.Symlink(filepath.Join(out, "secret"), filepath.Join(in, "file"))) // file link out
	require.NoError(t, os.Symlink("sub", filepath.Join(in, "inside")))                      // link inside

	r, err := Open(in)
	require.NoError(t, err)
	defer r.Close()

	for _, name := range []string{"escape/secret", "file", "../out/secret", filepath.Join(out, "secret")} {
		_, err := r.ReadFile(name)
		assert.ErrorIs(t, err, ErrOutside, "read %s", name)
	}
	_, err = r.OpenFile("escape/new", os.O_CREATE|os.O_WRONLY, 0o644)
	assert.ErrorIs(t, err, ErrOutside, "create through a link out")
	_, err = os.Stat(filepath.Join(out, "new"))
	assert.True(t, os.IsNotExist(err), "a file was created outside")

	b, err := r.ReadFile("inside/ok")
	require.NoError(t, err, "a link inside the tree")
	assert.Equal(t, "ok", string(b))

	f, err := r.OpenFile("sub/tmp", os.O_CREATE|os.O_WRONLY, 0o644)
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, r.Rename("sub/tmp", "sub/final"))
	ents, err := r.ReadDir("sub")
	require.NoError(t, err)
	assert.Len(t, ents, 2)
	assert.ErrorIs(t, r.Rename("sub/final", "escape/stolen"), ErrOutside)

	// Not-found is not "outside".
	_, err = r.ReadFile("missing")
	assert.True(t, errors.Is(err, os.ErrNotExist) && !errors.Is(err, ErrOutside), "%v", err)
}

func TestOrIsThePlainFileSystem(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x")
	require.NoError(t, os.WriteFile(p, []byte("x"), 0o644))
	b, err := Or(nil).ReadFile(p)
	require.NoError(t, err)
	assert.Equal(t, "x", string(b))
}
