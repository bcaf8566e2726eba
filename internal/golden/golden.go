// Package golden is the tests' one way to compare output with a golden file:
// Check compares, and `go test ./pkg -update` rewrites the files with the
// actual output instead (review the diff before committing it).
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite golden files with the actual output")

// Update reports whether the test run was asked to rewrite golden files
// (-update), for tests that write their golden files themselves.
func Update() bool { return *update }

// Check compares got with the golden file at path. With -update it writes
// got there first (creating directories), so the comparison passes and the
// file shows up in the diff.
func Check(t testing.TB, path string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file %s (go test -update writes it)", path)
	assert.Equal(t, string(want), string(got), "output differs from %s (go test -update accepts it)", path)
}
