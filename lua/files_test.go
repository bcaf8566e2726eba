package lua

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSandboxSymlinks: without --allow-io, every path a script opens
// (require, flash.load, dev:save, dev:trace, report files) resolves inside
// the working directory (modules: the script's directory) after following
// symbolic links; links that stay inside work; with AllowIO all work (#15).
func TestSandboxSymlinks(t *testing.T) {
	base := t.TempDir()
	work, outside := filepath.Join(base, "work"), filepath.Join(base, "outside")
	require.NoError(t, os.MkdirAll(filepath.Join(work, "data"), 0o755))
	require.NoError(t, os.MkdirAll(outside, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "evil.lua"), []byte("return 'evil'"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(work, "data", "good.lua"), []byte("return 'good'"), 0o644))
	require.NoError(t, os.Symlink(outside, filepath.Join(work, "lib")))   // a directory link out
	require.NoError(t, os.Symlink("data", filepath.Join(work, "inside"))) // a directory link in
	t.Chdir(work)

	run := func(allowIO bool, src string) (string, error) {
		prog, err := CompileString("main.lua", src)
		require.NoError(t, err)
		var out bytes.Buffer
		err = prog.Exec(context.Background(), Options{Stdout: &out, AllowIO: allowIO})
		return out.String(), err
	}
	outsideEntries := func() []string {
		ents, err := os.ReadDir(outside)
		require.NoError(t, err)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		return names
	}

	_, err := run(false, `require("lib.evil")`)
	require.Error(t, err, "require through a link out")
	assert.Contains(t, err.Error(), "outside the sandbox")

	out, err := run(false, `
local d = flash.nor{size = 4096, sector = 4096}
print(flash.load("lib/evil.lua"))
print(d:save("lib/escape.bin"))
print(d:trace("lib/t.jsonl"))
print(report.wear{dev = d, svg = "lib/w.svg"})
print(require("inside.good"), assert(d:save("inside/ok.bin")), flash.load("inside/ok.bin", {sector = 4096}) ~= nil)`)
	require.NoError(t, err, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5, out)
	for _, l := range lines[:4] {
		assert.Regexp(t, `^nil\t.*path outside the sandbox \(use --allow-io\).*\t-13$`, l)
	}
	assert.Equal(t, "good\ttrue\ttrue", lines[4])
	assert.Equal(t, []string{"evil.lua"}, outsideEntries(), "a sandboxed script wrote outside the working directory")

	out, err = run(true, `
local d = flash.nor{size = 4096, sector = 4096}
print(require("lib.evil"), d:save("lib/escape.bin"))`)
	require.NoError(t, err)
	assert.Equal(t, "evil\ttrue\n", out)
	assert.Contains(t, outsideEntries(), "escape.bin")
}
