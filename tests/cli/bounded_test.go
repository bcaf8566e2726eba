package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/cmd/flashemu/cli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runCLI runs flashemu in-process and returns its status, stdout, stderr.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(args, cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	return code, out.String(), errb.String()
}

// A raw image that happens to start with ':' and hex digits is read raw:
// the format comes from the name (or --format), never from the content.
func TestFCBWalkReadsRawImagesRaw(t *testing.T) {
	dir := t.TempDir()
	img := append([]byte(":0123456789abcdef"), bytes.Repeat([]byte{0xff}, 8192)...)
	path := filepath.Join(dir, "colon.bin")
	require.NoError(t, os.WriteFile(path, img, 0o644))
	code, _, stderr := runCLI(t, "fcb", "walk", path, "--sector-size", "4096")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "magic 0x3231303a", "the first four bytes ':012' read as the sector magic")
	code, _, stderr = runCLI(t, "fcb", "walk", path, "--sector-size", "4096", "--format", "hex")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "give --format raw")
	code, _, stderr = runCLI(t, "image", "info", path)
	assert.Equal(t, 0, code, stderr)
	code, _, stderr = runCLI(t, "image", "info", path, "--format", "ihex")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `--format: "ihex": want raw or hex`)
}

// Reading a device file that never ends stops at a bound with a clear
// message, instead of growing until the machine swaps.
func TestImageReadsAreBounded(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/dev/zero")
	}
	code, _, stderr := runCLI(t, "fcb", "walk", "/dev/zero", "--sector-size", "4096", "--sectors", "2")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "/dev/zero: larger than 8K")
	if testing.Short() {
		return
	}
	code, _, stderr = runCLI(t, "image", "info", "/dev/zero")
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "/dev/zero: larger than 256M")
}

// A trace line longer than 16 MiB ends the replay with that reason, not a
// JSON error about a line cut short.
func TestImageReplayBoundsTraceLines(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "long.jsonl")
	line := `{"op":"program","data":"` + strings.Repeat("a", 17<<20) + `"}` + "\n"
	require.NoError(t, os.WriteFile(path, []byte(line), 0o644))
	code, _, stderr := runCLI(t, "image", "replay", "--nor", "size=64K", path, "-o", filepath.Join(dir, "out.bin"))
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, "line 1: line longer than 16 MiB: not an emu trace")
}

// image convert HEX -> raw keeps addresses relative to --base (it was
// silently ignored: the data landed at offset 0), and refuses a base above
// the data (#13 item 1).
func TestImageConvertHexToRawBase(t *testing.T) {
	dir := t.TempDir()
	hexPath := filepath.Join(dir, "app.hex")
	// 4 bytes at 0x08001000 (extended linear address 0x0800).
	require.NoError(t, os.WriteFile(hexPath, []byte(":020000040800F2\n:0410000044415441D2\n:00000001FF\n"), 0o644))
	out := filepath.Join(dir, "r.bin")
	code, stdout, stderr := runCLI(t, "image", "convert", hexPath, out, "--base", "0x08000000")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "Intel HEX from 0x08000000")
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Len(t, b, 0x1004)
	assert.Equal(t, "DATA", string(b[0x1000:]))
	assert.Equal(t, byte(0xff), b[0])

	code, _, stderr = runCLI(t, "image", "convert", hexPath, out, "--base", "0x08002000")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, "below it")

	code, _, _ = runCLI(t, "image", "convert", hexPath, out) // no base: the lowest address is offset 0
	require.Equal(t, 0, code)
	b, err = os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, "DATA", string(b))
}
