package native_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/lua"
	"github.com/flashemu/flashemu/luasweep"
	"github.com/flashemu/flashemu/native"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// buildLib compiles C sources into dir/out with the system cc and
// flashemu's cc-flags; it skips the test when there is no C compiler or
// loading is not supported in this build.
func buildLib(t testing.TB, dir, out string, extra ...string) string {
	t.Helper()
	cc := needCC(t)
	flags, err := native.CCFlags()
	require.NoError(t, err)
	args := append(strings.Fields(flags), "-O2", "-Wall", "-Werror", "-shared", "-fPIC", "-o", filepath.Join(dir, out))
	args = append(args, extra...)
	cmd := exec.Command(cc, args...)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "cc %s\n%s", strings.Join(args, " "), b)
	return filepath.Join(dir, out)
}

// needCC returns the C compiler, or skips the test.
func needCC(t testing.TB) string {
	t.Helper()
	cc, err := exec.LookPath("cc")
	if err != nil {
		t.Skip("no C compiler (cc) on PATH: skipping the native tests")
	}
	if _, err := native.Load("/nonexistent", native.Options{}); errors.Is(err, native.ErrUnsupported) {
		t.Skip("native loading is not supported in this build: ", err)
	}
	return cc
}

func exampleDir(t testing.TB) string {
	d, err := filepath.Abs("../examples/c")
	require.NoError(t, err)
	return d
}

// sweepScript copies script into a fresh directory with the library built
// from kv.c, runs the script's definition pass and binds its only sweep.
func sweepScript(t *testing.T, script, name, lib string, define ...string) (*lua.State, *luasweep.Binding) {
	t.Helper()
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join(exampleDir(t), script))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, script), src, 0o644))
	buildLib(t, dir, lib, append(define, filepath.Join(exampleDir(t), "kv.c"))...)
	prog, err := lua.Compile(filepath.Join(dir, script))
	require.NoError(t, err)
	s, err := luasweep.Load(context.Background(), prog, lua.Options{})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	def := luasweep.Find(s, name)
	require.NotNil(t, def, "%s defines no sweep %q", script, name)
	b, err := luasweep.Bind(context.Background(), s, def, luasweep.Config{})
	require.NoError(t, err)
	t.Cleanup(b.Close)
	return s, b
}

func TestExampleKVPassesEveryCutAtDepth2(t *testing.T) {
	_, b := sweepScript(t, "kv_sweep.lua", "ckv", "libkv.so")
	res, err := faults.Run(context.Background(), b.Sweep, faults.Options{Jobs: 2})
	require.NoError(t, err)
	assert.Empty(t, res.Failures)
	require.Len(t, res.Levels, 2)
	assert.Greater(t, res.Levels[0].Checked, 20, "depth 1 cuts the workload's programs")
	assert.Greater(t, res.Levels[1].Checked, 20, "depth 2 cuts the C recovery's writes")
	assert.Equal(t, 6, res.Acked)
}

func TestExampleKVBrokenFailsWithReplayableID(t *testing.T) {
	_, b := sweepScript(t, "kv_broken_sweep.lua", "ckv_broken", "libkv_broken.so", "-DKV_BROKEN")
	res, err := faults.Run(context.Background(), b.Sweep, faults.Options{Jobs: 2})
	require.NoError(t, err)
	require.NotEmpty(t, res.Failures, "the broken variant takes torn records as written")
	f := res.Failures[0]
	t.Logf("first failure %s: %s", f.ID, f.Error)
	assert.Contains(t, f.Error, "value")

	// Replaying the ID alone (fresh states, fresh private copies of the
	// library) reproduces the failure with byte-identical flash.
	var after [][]byte
	for range 2 {
		_, rb := sweepScript(t, "kv_broken_sweep.lua", "ckv_broken", "libkv_broken.so", "-DKV_BROKEN")
		r, err := faults.Replay(rb.Sweep, f.ID, faults.ReplayOptions{})
		require.NoError(t, err)
		require.Error(t, r.Err)
		assert.Equal(t, f.Error, r.Err.Error())
		after = append(after, deviceBytes(t, r.After))
	}
	assert.True(t, bytes.Equal(after[0], after[1]), "two replays of %s left different flash", f.ID)
}

func deviceBytes(t testing.TB, s *emu.Snapshot) []byte {
	d := emu.FromSnapshot(s)
	d.PowerOn()
	b := make([]byte, d.Size())
	require.NoError(t, d.Read(0, b))
	return b
}

func TestIsolationRestoresStatics(t *testing.T) {
	dir := t.TempDir()
	src := `#include <flashemu.h>
static int counter;
static int big[1000];
int bump(void) { big[999] += 1; return ++counter + big[999]; }
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s.c"), []byte(src), 0o644))
	path := buildLib(t, dir, "libs.so", filepath.Join(dir, "s.c"))
	l1, err := native.Load(path, native.Options{})
	require.NoError(t, err)
	defer l1.Close()
	l2, err := native.Load(path, native.Options{})
	require.NoError(t, err)
	defer l2.Close()
	d := newDev(t)
	for range 3 {
		rc, err := l1.Call("bump", native.Env{Dev: d})
		require.NoError(t, err)
		assert.Equal(t, int64(2), rc, "every call starts from the load-time statics")
	}
	rc, err := l2.Call("bump", native.Env{Dev: d})
	require.NoError(t, err)
	assert.Equal(t, int64(2), rc)
	_, err = l1.Call("nope", native.Env{Dev: d})
	assert.ErrorIs(t, err, native.ErrNoSymbol)
}

func newDev(t testing.TB) *emu.Device {
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff})
	require.NoError(t, err)
	return d
}

func TestPowerLossInsideCIsLatched(t *testing.T) {
	dir := t.TempDir()
	src := `#include <flashemu.h>
#include <zephyr/drivers/flash.h>
int twice(void) {
	const struct device *dev = DEVICE_DT_GET(DT_CHOSEN(zephyr_flash_controller));
	uint32_t w = 0;
	int a = flash_write(dev, 0, &w, 4);
	flashemu_log("first %d", a);
	int b = flash_write(dev, 4, &w, 4);
	flashemu_log("second %d", b);
	return b;
}
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.c"), []byte(src), 0o644))
	path := buildLib(t, dir, "libp.so", filepath.Join(dir, "p.c"))
	var log bytes.Buffer
	l, err := native.Load(path, native.Options{Log: &log})
	require.NoError(t, err)
	defer l.Close()
	d := newDev(t)
	d.SetHook(cutOnce{})
	rc, err := l.Call("twice", native.Env{Dev: d})
	assert.ErrorIs(t, err, emu.ErrPowerLoss)
	assert.Equal(t, int64(-5), rc)
	assert.Equal(t, "first -5\nsecond -5\n", log.String())
}

// cutOnce loses power at the first program and powers the device back on,
// so only the C runtime's latch can fail the second program.
type cutOnce struct{}

func (cutOnce) Before(d *emu.Device, op *emu.Op) error {
	if op.Kind == emu.OpProgram && op.Off == 0 {
		return emu.ErrPowerLoss
	}
	return nil
}
func (cutOnce) After(d *emu.Device, op *emu.Op, err error) error { return err }

func TestAssertFailsTheCall(t *testing.T) {
	dir := t.TempDir()
	src := `#include <zephyr/kernel.h>
int f(void) { __ASSERT(1 + 1 == 3, "math is %s", "broken"); return 7; }
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.c"), []byte(src), 0o644))
	path := buildLib(t, dir, "liba.so", filepath.Join(dir, "a.c"))
	l, err := native.Load(path, native.Options{})
	require.NoError(t, err)
	defer l.Close()
	_, err = l.Call("f", native.Env{Dev: newDev(t)})
	require.ErrorIs(t, err, native.ErrFailed)
	assert.Contains(t, err.Error(), "a.c:2: ASSERTION FAIL [1 + 1 == 3]: math is broken")
}

func TestLoadRejectsLibraryWithoutRuntime(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "n.c"), []byte("int f(void){return 1;}\n"), 0o644))
	cmd := exec.Command(needCC(t), "-shared", "-fPIC", "-o", filepath.Join(dir, "libn.so"), filepath.Join(dir, "n.c"))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	_, err = native.Load(filepath.Join(dir, "libn.so"), native.Options{})
	require.ErrorIs(t, err, native.ErrLoad)
	assert.Contains(t, err.Error(), "cc-flags")
}

// TestZephyrStorageSweeps compiles Zephyr's own NVS and ZMS sources,
// unmodified, from $ZEPHYR_BASE with flashemu's headers and sweeps them. It
// skips without ZEPHYR_BASE (Zephyr's sources are not part of this
// repository).
func TestZephyrStorageSweeps(t *testing.T) {
	zb := os.Getenv("ZEPHYR_BASE")
	if zb == "" {
		t.Skip("ZEPHYR_BASE not set: skipping the sweeps of Zephyr's NVS and ZMS")
	}
	for _, sub := range []string{"nvs", "zms"} {
		t.Run(sub, func(t *testing.T) {
			src := filepath.Join(zb, "subsys", "fs", sub, sub+".c")
			if _, err := os.Stat(src); err != nil {
				t.Skipf("no %s: %v", src, err)
			}
			dir := t.TempDir()
			script := sub + "_sweep.lua"
			lsrc, err := os.ReadFile(filepath.Join(exampleDir(t), script))
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(filepath.Join(dir, script), lsrc, 0o644))
			cc := needCC(t)
			flags, err := native.CCFlags()
			require.NoError(t, err)
			args := append(strings.Fields(flags), "-I"+filepath.Join(zb, "include"), "-I"+filepath.Join(zb, "subsys", "fs", sub),
				"-Wall", "-shared", "-fPIC", "-o", filepath.Join(dir, "lib"+sub+".so"), src, filepath.Join(exampleDir(t), "zephyr_fs_check.c"))
			if sub == "zms" {
				args = append(args, "-DFS_ZMS")
			}
			out, err := exec.Command(cc, args...).CombinedOutput()
			require.NoError(t, err, "cc %s\n%s", strings.Join(args, " "), out)
			assert.Empty(t, strings.TrimSpace(string(out)), "warnings compiling %s", sub)

			prog, err := lua.Compile(filepath.Join(dir, script))
			require.NoError(t, err)
			s, err := luasweep.Load(context.Background(), prog, lua.Options{})
			require.NoError(t, err)
			defer s.Close()
			b, err := luasweep.Bind(context.Background(), s, luasweep.Find(s, sub), luasweep.Config{})
			require.NoError(t, err)
			defer b.Close()
			res, err := faults.Run(context.Background(), b.Sweep, faults.Options{Jobs: 2})
			require.NoError(t, err)
			t.Logf("%s: %d workload ops, %d branches checked, %d failures", sub, res.WorkloadOps, res.Levels[0].Checked, len(res.Failures))
			for i, f := range res.Failures {
				if i < 5 {
					t.Logf("  %s: %s", f.ID, f.Error)
				}
			}
			assert.Equal(t, 40, res.Acked)
			assert.Greater(t, res.WorkloadOps, 100)
			assert.Empty(t, res.Failures, "%s recovers every acknowledged counter at op cuts", sub)
		})
	}
}
