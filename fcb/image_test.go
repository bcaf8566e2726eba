package fcb_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/fcb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWalkImageVectors: Zephyr's images walk to exactly the recorded
// entries through the field-dump walker (`flashemu fcb walk`).
func TestWalkImageVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(vecDir, "fcb_image_*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		name := filepath.Base(file)
		t.Run(strings.TrimSuffix(name, ".json"), func(t *testing.T) {
			var v struct {
				Params    vecParams  `json:"params"`
				ImageFile string     `json:"image_file"`
				ImageSHA  string     `json:"image_sha256"`
				Walk      []vecEntry `json:"walk"`
			}
			require.True(t, readVector(t, name, &v))
			img := readBin(t, v.ImageFile)
			require.Equal(t, v.ImageSHA, shaHex(img))
			opt := fcb.DefaultImageOptions(v.Params.SectorSize)
			opt.Magic = vecMagic
			opt.EraseValue = byte(v.Params.EraseValue)
			opt.Align = v.Params.WriteBlockSize
			entries, err := fcb.WalkImage(img, opt)
			require.NoError(t, err)
			b, err := json.Marshal(entries)
			require.NoError(t, err)
			var got []vecEntry
			require.NoError(t, json.Unmarshal(b, &got))
			for i := range got {
				if got[i].Len == 0 {
					got[i].Data = ""
				}
			}
			assert.Equal(t, v.Walk, got)
			// The walk never modifies the caller's image.
			assert.Equal(t, v.ImageSHA, shaHex(img))
		})
	}
}

func TestWalkImageJSONShape(t *testing.T) {
	r := newRig(t, 2, 4096, 1, 0xFF)
	f, err := r.mount(fcb.Options{})
	require.NoError(t, err)
	_, err = f.Push([]byte{1, 2, 3})
	require.NoError(t, err)
	_, err = f.Push(nil)
	require.NoError(t, err)
	entries, err := fcb.WalkImage(r.image(), fcb.DefaultImageOptions(4096))
	require.NoError(t, err)
	b, err := json.Marshal(entries)
	require.NoError(t, err)
	assert.JSONEq(t, `[{"sector":0,"elem_off":8,"data_off":9,"len":3,"data":"010203"},
		{"sector":0,"elem_off":13,"data_off":14,"len":0,"data":""}]`, string(b))
	// Worked bytes of zephyr-reference §2.2.2: 03 01 02 03 A3, then 00 F3.
	assert.Equal(t, []byte{0x03, 1, 2, 3, 0xA3, 0x00, 0xF3}, r.image()[8:15])

	var back []fcb.ImageEntry
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, entries, back)
}

func TestWalkImageErrors(t *testing.T) {
	blank := make([]byte, 4*4096)
	for i := range blank {
		blank[i] = 0xFF
	}
	entries, err := fcb.WalkImage(blank, fcb.DefaultImageOptions(4096))
	require.NoError(t, err, "a blank image mounts (the format write goes to a private copy)")
	assert.Empty(t, entries)
	assert.NotNil(t, entries, "an empty JSON array, not null")
	for _, b := range blank {
		require.Equal(t, byte(0xFF), b)
	}

	foreign := append([]byte(nil), blank...)
	copy(foreign[4096:], []byte{1, 2, 3, 4})
	_, err = fcb.WalkImage(foreign, fcb.DefaultImageOptions(4096))
	require.ErrorIs(t, err, fcb.ErrForeignSector)
	assert.Equal(t, -int(errno.ENOMSG), errno.Of(err))
	assert.Equal(t, "ENOMSG (-35)", errno.Errno(errno.Of(err)).Error())
	assert.Contains(t, err.Error(), "sector 1")

	opt := fcb.DefaultImageOptions(4096)
	opt.Repair = true
	f, err := fcb.MountImage(foreign, opt)
	require.NoError(t, err)
	assert.Equal(t, []fcb.DroppedSector{{Index: 1, Skipped: 4096, NonErasedBytes: 4, Reason: reasonForeign}}, f.Dropped())

	bad := []fcb.ImageOptions{
		{SectorSize: 0, EraseValue: 0xFF},
		{SectorSize: 4096, Offset: -1},
		{SectorSize: 4096, Offset: 1 << 20},
		{SectorSize: 4096, Sectors: 5},
		{SectorSize: 4096, Sectors: -1},
		{SectorSize: 4096, Align: -4},
		{SectorSize: 8192 * 4},
	}
	for _, o := range bad {
		_, err := fcb.WalkImage(blank, o)
		assert.ErrorIs(t, err, fcb.ErrInvalid, "%+v", o)
	}
	_, err = fcb.WalkImage(blank, fcb.ImageOptions{SectorSize: 4096, EraseValue: 0xFF, Align: 256})
	assert.ErrorIs(t, err, fcb.ErrInvalid, "write block 256 truncates to 0")
}

func TestWalkImageOffsetAndSectors(t *testing.T) {
	img := readBin(t, "fcb_image_1_basic.bin")
	padded := append(make([]byte, 1000), img...)
	opt := fcb.DefaultImageOptions(4096)
	opt.Magic = vecMagic
	opt.Offset = 1000
	all, err := fcb.WalkImage(padded, opt)
	require.NoError(t, err)
	assert.Len(t, all, 176)
	opt.Sectors = 2
	two, err := fcb.WalkImage(padded, opt)
	require.NoError(t, err)
	assert.Len(t, two, 87+37, "sectors 0 and 1 only")
}

// TestReadsZephyrAndMynewtImages: an image laid out by the reference encoder
// with 0xFF erase (Mynewt FCB v1 and Zephyr are byte-identical there) walks
// back whatever magic and version were used; the version is never checked.
func TestReadsForeignVersions(t *testing.T) {
	for _, ver := range []byte{0, 1, 0xFE} {
		ref := newRefLayout(2, 1024, 1, 0xFF)
		ref.version = ver
		ref.img = make([]byte, len(ref.img))
		for i := range ref.img {
			ref.img[i] = 0xFF
		}
		ref.header(0)
		for k := range 10 {
			_, rc := ref.add(payload(k, k*3))
			require.Equal(t, "0", rc)
		}
		opt := fcb.DefaultImageOptions(1024)
		opt.Magic = vecMagic
		got, err := fcb.WalkImage(ref.img, opt)
		require.NoError(t, err, "version %d", ver)
		require.Len(t, got, 10)
		for k, e := range got {
			assert.Equal(t, hex.EncodeToString(payload(k, k*3)), hex.EncodeToString(e.Data), fmt.Sprint(k))
		}
	}
}

func TestMain(m *testing.M) { os.Exit(m.Run()) }
