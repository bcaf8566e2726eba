package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/cmd/flashemu/cli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vectorEntry is one entry of a reference vector's walk.
type vectorEntry struct {
	Sector  int    `json:"sector"`
	ElemOff int    `json:"elem_off"`
	DataOff int    `json:"data_off"`
	Len     int    `json:"len"`
	Data    string `json:"data"`
}

// TestFCBWalkReferenceVectors runs `flashemu fcb walk --json` over every
// FCB image that Zephyr's own code produced (fcb/testdata/vectors) and
// compares the entries with the walk Zephyr recorded, field by field.
func TestFCBWalkReferenceVectors(t *testing.T) {
	jsons, err := filepath.Glob(filepath.Join("..", "..", "fcb", "testdata", "vectors", "fcb_image_*.json"))
	require.NoError(t, err)
	if len(jsons) == 0 {
		t.Skip("no FCB reference vectors in fcb/testdata/vectors")
	}
	for _, jf := range jsons {
		t.Run(filepath.Base(jf), func(t *testing.T) {
			raw, err := os.ReadFile(jf)
			require.NoError(t, err)
			var v struct {
				Params struct {
					SectorCount    int    `json:"sector_count"`
					SectorSize     int    `json:"sector_size"`
					WriteBlockSize int    `json:"write_block_size"`
					EraseValue     int    `json:"erase_value"`
					Magic          string `json:"magic"`
				} `json:"params"`
				ImageFile string          `json:"image_file"`
				WalkRC    string          `json:"walk_rc"`
				Walk      json.RawMessage `json:"walk"`
				InitRC    string          `json:"init_rc"`
			}
			require.NoError(t, json.Unmarshal(raw, &v))
			if v.ImageFile == "" || v.Walk == nil {
				t.Skip("vector has no image walk")
			}
			var want []vectorEntry
			require.NoError(t, json.Unmarshal(v.Walk, &want))
			p := v.Params
			args := []string{"fcb", "walk", filepath.Join(filepath.Dir(jf), v.ImageFile), "--json",
				"--sector-size", fmt.Sprint(p.SectorSize), "--sectors", fmt.Sprint(p.SectorCount),
				"--magic", p.Magic, "--align", fmt.Sprint(p.WriteBlockSize), "--erase-value", fmt.Sprint(p.EraseValue)}
			var stdout, stderr bytes.Buffer
			code := cli.Main(args, cli.Env{Stdout: &stdout, Stderr: &stderr})
			require.Equal(t, 0, code, "stderr: %s", stderr.String())
			var got []vectorEntry
			require.NoError(t, json.Unmarshal(stdout.Bytes(), &got), stdout.String())
			if want == nil {
				want = []vectorEntry{}
			}
			assert.Equal(t, want, got)
			assert.True(t, strings.HasSuffix(stdout.String(), "]\n"))
		})
	}
}

// TestFCBWalkMountFailureErrno checks the errno in the one-line error.
func TestFCBWalkMountFailureErrno(t *testing.T) {
	img := make([]byte, 4*4096)
	for i := range img {
		img[i] = 0xff
	}
	copy(img, []byte{0xde, 0xad, 0xbe, 0xef, 0x01, 0xff, 0x00, 0x00}) // a foreign header
	path := filepath.Join(t.TempDir(), "foreign.bin")
	require.NoError(t, os.WriteFile(path, img, 0o644))
	var stdout, stderr bytes.Buffer
	code := cli.Main([]string{"fcb", "walk", path, "--sector-size", "4K", "--magic", "0x12345678"}, cli.Env{Stdout: &stdout, Stderr: &stderr})
	assert.Equal(t, 1, code)
	assert.Regexp(t, `^flashemu: fcb walk: .*foreign.bin: mount failed: .*: ENOMSG \(-35\)\n$`, stderr.String())
	assert.Empty(t, stdout.String())
}
