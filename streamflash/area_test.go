package streamflash_test

import (
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/streamflash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNewArea: a stream inside a partition uses area offsets for its start,
// its size, the callback and ErasePage, and never touches flash outside
// the partition.
func TestNewArea(t *testing.T) {
	d, err := emu.New(emu.Config{Kind: emu.NOR, Units: []emu.Run{{Count: 4, Size: 1024}, {Count: 6, Size: 4096}},
		WriteBlock: 4, EraseValue: 0xff})
	require.NoError(t, err)
	fillDevice(t, d, 0x00)
	rec := &recorder{Device: wrap(d)}
	area, err := api.NewArea(rec, "slot", 2048, 2048+2*4096)
	require.NoError(t, err)

	var cbOffs []int64
	cb := func(_ []byte, off int64) error { cbOffs = append(cbOffs, off); return nil }
	s, err := streamflash.NewArea(area, make([]byte, 1024), 512, 0, cb, streamflash.Options{Erase: true})
	require.NoError(t, err)
	assert.Equal(t, int64(2048+2*4096-512), s.Available(), "size 0: to the end of the area")
	data := streamBytes(int(s.Available()))
	require.NoError(t, s.Write(data, true))
	assert.ErrorIs(t, s.Write([]byte{1}, true), streamflash.ErrNoMem)

	img := dump(t, wrap(d))
	assert.Equal(t, data, img[2048+512:2048+512+len(data)])
	for i := range 2048 {
		require.Zero(t, img[i], "byte %d before the area", i)
	}
	for i := 2048 + 2048 + 2*4096; i < len(img); i++ {
		require.Zero(t, img[i], "byte %d after the area", i)
	}
	// Device operations land inside the area; the callback sees area offsets.
	for _, o := range rec.ops {
		assert.GreaterOrEqual(t, o.Off, int64(2048))
		assert.LessOrEqual(t, o.Off+o.Len, int64(2048+2048+2*4096))
	}
	assert.Equal(t, int64(512), cbOffs[0])
	assert.Equal(t, []flashOp{{"E", 2048, 1024, 0, 0}, {"E", 3072, 1024, 0, 0}}, rec.ops[:2],
		"the first buffer [512, 1536) of the area spans its two 1 KiB pages")

	// ErasePage takes area offsets and refuses offsets outside the area.
	mark := len(rec.ops)
	require.NoError(t, s.ErasePage(2048+100))
	assert.Equal(t, []flashOp{{"E", 4096, 4096, 0, 0}}, rec.ops[mark:])
	assert.ErrorIs(t, s.ErasePage(area.Size()), streamflash.ErrInvalid)
	assert.ErrorIs(t, s.ErasePage(-1), streamflash.ErrInvalid)
	assert.Equal(t, api.Device(area), s.Device(), "the stream's device is the area")
}

// TestNewOnArea: an area is a Device, so New over it behaves exactly like
// NewArea on an aligned area (same flash operations, callback offsets and
// image); NewArea only adds the alignment check.
func TestNewOnArea(t *testing.T) {
	run := func(t *testing.T, open func(*api.Area, []byte, int64, int64, streamflash.Callback, streamflash.Options) (*streamflash.Stream, error)) ([]flashOp, []int64, []byte) {
		d, err := emu.New(emu.Config{Kind: emu.NOR, Units: []emu.Run{{Count: 4, Size: 1024}, {Count: 6, Size: 4096}},
			WriteBlock: 4, EraseValue: 0xff})
		require.NoError(t, err)
		fillDevice(t, d, 0x00)
		rec := &recorder{Device: wrap(d)}
		area, err := api.NewArea(rec, "slot", 3072, 1024+4096)
		require.NoError(t, err)
		var offs []int64
		cb := func(_ []byte, off int64) error { offs = append(offs, off); return nil }
		s, err := open(area, make([]byte, 512), 256, 4096, cb, streamflash.Options{Erase: true})
		require.NoError(t, err)
		require.NoError(t, s.Write(streamBytes(4000), true))
		require.NoError(t, s.ErasePage(1024+3000)) // area page 1, inside the stream [256, 4352)
		return rec.ops, offs, dump(t, wrap(d))
	}
	newOps, newOffs, newImg := run(t, func(a *api.Area, b []byte, o, n int64, cb streamflash.Callback, opt streamflash.Options) (*streamflash.Stream, error) {
		return streamflash.New(a, b, o, n, cb, opt)
	})
	areaOps, areaOffs, areaImg := run(t, streamflash.NewArea)
	assert.Equal(t, areaOps, newOps)
	assert.Equal(t, areaOffs, newOffs)
	assert.Equal(t, areaImg, newImg)
	require.NotEmpty(t, newOps)
	assert.Equal(t, flashOp{"E", 3072, 1024, 0, 0}, newOps[0], "first erase: area page 0 at device 3072")
	assert.Equal(t, []int64{256, 768, 1280, 1792, 2304, 2816, 3328, 3840}, newOffs, "area offsets")
}

func TestNewAreaErrors(t *testing.T) {
	d := newNOR(t, 16<<10, 4096, 4, 0xff)
	for _, tc := range []struct {
		name      string
		off, size int64
	}{
		{"unaligned start", 1024, 8192},
		{"unaligned end", 0, 6000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := api.NewArea(wrap(d), "x", tc.off, tc.size)
			require.NoError(t, err)
			_, err = streamflash.NewArea(a, make([]byte, 256), 0, 0, nil, streamflash.Options{})
			assert.ErrorIs(t, err, streamflash.ErrFault)
		})
	}
	_, err := streamflash.NewArea(nil, make([]byte, 256), 0, 0, nil, streamflash.Options{})
	assert.ErrorIs(t, err, streamflash.ErrFault)
	a, err := api.NewArea(wrap(d), "x", 4096, 8192)
	require.NoError(t, err)
	_, err = streamflash.NewArea(a, make([]byte, 256), 0, 8196, nil, streamflash.Options{})
	assert.ErrorIs(t, err, streamflash.ErrFault, "offset+size past the area")
}
