package native_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/flashemu/flashemu/lua"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runScript writes src as t.lua next to a library built from csrc and runs
// it with opts (Dir is the script's directory).
func runScript(t *testing.T, csrc, src string, opts lua.Options) (string, error) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "l.c"), []byte(csrc), 0o644))
	buildLib(t, dir, "libl.so", filepath.Join(dir, "l.c"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "t.lua"), []byte(src), 0o644))
	prog, err := lua.Compile(filepath.Join(dir, "t.lua"))
	require.NoError(t, err)
	var out bytes.Buffer
	opts.Stdout = &out
	err = prog.Exec(context.Background(), opts)
	return out.String(), err
}

const areaLib = `#include <zephyr/storage/flash_map.h>
#include <zephyr/logging/log.h>
int probe(void) {
	const struct flash_area *fa;
	int id = FIXED_PARTITION_ID(log_partition);
	if (id < 0 || flash_area_open(id, &fa) != 0) return -1;
	LOG_ERR("%s off=%ld size=%zu id=%d", fa->fa_label, (long)fa->fa_off, fa->fa_size, id);
	uint32_t w = 0x12345678;
	if (flash_area_write(fa, 0, &w, 4) != 0) return -2;
	if (flash_area_write(fa, fa->fa_size, &w, 4) != -EINVAL) return -3;
	return 7;
}
`

func TestLuaCallWithAreas(t *testing.T) {
	out, err := runScript(t, areaLib, `
local lib = native.load("libl.so", {areas = {{id = 3, label = "log_partition", offset = "4K", size = "4K"}}})
local dev = flash.nor{size = 8192, sector = 4096, write_block = 4}
print(lib:call("probe", dev))
print(string.format("%02x%02x%02x%02x", dev:read(4096, 4):byte(1, 4)))
`, lua.Options{})
	require.NoError(t, err)
	assert.Equal(t, "<err> log_partition off=4096 size=4096 id=3\n7\n78563412\n", out)
}

func TestLuaLoadSandbox(t *testing.T) {
	_, err := runScript(t, areaLib, `native.load("/bin/../lib/x.so")`, lua.Options{})
	require.Error(t, err)
	_, err = runScript(t, areaLib, `native.load("../outside.so")`, lua.Options{})
	require.Error(t, err)

	// A library outside the script's directory and the working directory.
	other := t.TempDir()
	buildLib(t, other, "libo.so", filepath.Join(exampleDir(t), "kv.c"))
	src := `native.load("` + filepath.Join(other, "libo.so") + `")`
	_, err = runScript(t, areaLib, src, lua.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "outside the script's directory and the working directory (sandbox: pass --allow-io to load it)")
	_, err = runScript(t, areaLib, src, lua.Options{AllowIO: true})
	assert.NoError(t, err)

	// Through a symbolic link out of the working directory (#15): refused,
	// though the name is relative and "local".
	t.Chdir(t.TempDir())
	require.NoError(t, os.Symlink(other, "lib"))
	_, err = runScript(t, areaLib, `native.load("lib/libo.so")`, lua.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "a link out of the working directory")
	_, err = runScript(t, areaLib, `native.load("lib/libo.so")`, lua.Options{AllowIO: true})
	assert.NoError(t, err)
}
