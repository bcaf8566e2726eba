package api_test

import (
	"flag"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var areaSeed = flag.Uint64("area-seed", 0, "seed of TestAreaDeviceRandom (0: time; env FLASHEMU_AREA_SEED)")

// mixedLayout: 4 x 1 KiB, 2 x 4 KiB, 1 x 16 KiB, 2 x 4 KiB (36 KiB). Page
// starts: 0 1024 2048 3072 | 4096 8192 | 12288 | 28672 32768 (end 36864).
func mixedLayout(t testing.TB) (*emu.Device, api.Device) {
	return newEmu(t, emu.Config{Kind: emu.NOR, WriteBlock: 4, EraseValue: 0xFF,
		Units: []emu.Run{{Count: 4, Size: 1024}, {Count: 2, Size: 4096}, {Count: 1, Size: 16384}, {Count: 2, Size: 4096}}})
}

// oracleAreaPages is an independent model of flash_area_get_sectors: every
// device page (linear walk) whose start lies in [off, off+size).
func oracleAreaPages(dev api.Device, off, size int64) []api.PageInfo {
	var out []api.PageInfo
	for _, p := range api.Pages(dev) {
		if p.Start >= off && p.Start < off+size {
			out = append(out, api.PageInfo{Index: len(out), Start: p.Start - off, Size: p.Size})
		}
	}
	return out
}

// checkAreaDevice checks the Device page layout of a against the oracle, the
// area's Sectors and PageByOffset at every page boundary (and one byte
// either side).
func checkAreaDevice(t *testing.T, dev api.Device, a *api.Area) {
	t.Helper()
	want := oracleAreaPages(dev, a.Offset(), a.Size())
	require.Equal(t, len(want), a.PageCount())
	secs, err := a.Sectors()
	require.NoError(t, err)
	require.Len(t, secs, len(want), "PageCount is len(Sectors())")
	for i, w := range want {
		p, err := a.PageByIndex(i)
		require.NoError(t, err)
		assert.Equal(t, w, p, "page %d", i)
		assert.Equal(t, api.Sector{Off: p.Start, Size: p.Size}, secs[i], "page %d is sector %d", i, i)
	}
	for _, i := range []int{-1, len(want), len(want) + 1} {
		_, err := a.PageByIndex(i)
		assert.ErrorIs(t, err, api.ErrInvalid, "index %d", i)
	}

	// PageByOffset: the area page holding off, if any.
	probe := map[int64]bool{0: true, -1: true, a.Size() - 1: true, a.Size(): true}
	for _, p := range api.Pages(dev) {
		for _, d := range []int64{-1, 0, 1, p.Size - 1} {
			probe[p.Start-a.Offset()+d] = true
		}
	}
	for off := range probe {
		var exp *api.PageInfo
		for i := range want {
			if off >= 0 && off < a.Size() && off >= want[i].Start && off < want[i].Start+want[i].Size {
				exp = &want[i]
			}
		}
		got, err := a.PageByOffset(off)
		if exp == nil {
			assert.ErrorIs(t, err, api.ErrInvalid, "offset %d has no area page", off)
			assert.Equal(t, -int(errno.EINVAL), errno.Of(err))
			continue
		}
		require.NoError(t, err, "offset %d", off)
		assert.Equal(t, *exp, got, "offset %d", off)
	}
}

func TestAreaDevicePages(t *testing.T) {
	_, dev := mixedLayout(t)
	for _, tc := range []struct {
		name      string
		off, size int64
		wantPages []api.PageInfo // explicit expectation (nil: none)
	}{
		{"whole device", 0, dev.Size(), nil},
		{"aligned small pages", 1024, 3072, []api.PageInfo{{0, 0, 1024}, {1, 1024, 1024}, {2, 2048, 1024}}},
		{"aligned mixed", 2048, 2048 + 8192 + 16384, []api.PageInfo{{0, 0, 1024}, {1, 1024, 1024}, {2, 2048, 4096}, {3, 6144, 4096}, {4, 10240, 16384}}},
		// Starts mid page 1: page 1 is not an area page; pages 2..4 are
		// (page 4 starts at 4096 < 4500 and runs past the end).
		{"unaligned start", 1500, 3000, []api.PageInfo{{0, 548, 1024}, {1, 1572, 1024}, {2, 2596, 4096}}},
		// Ends inside the 16 KiB page: it is an area page with its full size.
		{"last page runs past the end", 8192, 6000, []api.PageInfo{{0, 0, 4096}, {1, 4096, 16384}}},
		{"inside one page", 12300, 100, []api.PageInfo{}},
		{"empty", 4096, 0, []api.PageInfo{}},
		{"empty at the end", dev.Size(), 0, []api.PageInfo{}},
		{"tail", dev.Size() - 4096, 4096, []api.PageInfo{{0, 0, 4096}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := api.NewArea(dev, tc.name, tc.off, tc.size)
			require.NoError(t, err)
			if tc.wantPages != nil {
				require.Equal(t, len(tc.wantPages), a.PageCount())
				for i, w := range tc.wantPages {
					p, err := a.PageByIndex(i)
					require.NoError(t, err)
					assert.Equal(t, w, p)
				}
			}
			checkAreaDevice(t, dev, a)
		})
	}
}

// TestAreaDeviceRandom compares the area page layout with the oracle and
// Sectors for random non-uniform layouts and random (also nested) areas.
func TestAreaDeviceRandom(t *testing.T) {
	seed := *areaSeed
	if s := os.Getenv("FLASHEMU_AREA_SEED"); seed == 0 && s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err)
		seed = v
	}
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed=%d (rerun with -area-seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	for iter := range 200 {
		var runs []emu.Run
		for range 1 + rng.IntN(4) {
			runs = append(runs, emu.Run{Count: 1 + rng.IntN(5), Size: 256 << rng.IntN(5)})
		}
		_, dev := newEmu(t, emu.Config{Kind: emu.NOR, WriteBlock: 4, EraseValue: 0xFF, Units: runs})
		off := rng.Int64N(dev.Size() + 1)
		size := rng.Int64N(dev.Size() - off + 1)
		a, err := api.NewArea(dev, "a", off, size)
		require.NoError(t, err)
		ok := t.Run(strconv.Itoa(iter), func(t *testing.T) {
			checkAreaDevice(t, dev, a)
			// An area inside the area: its pages are the area's pages
			// that start inside it.
			noff := rng.Int64N(size + 1)
			nsize := rng.Int64N(size - noff + 1)
			n, err := api.NewArea(a, "nested", noff, nsize)
			require.NoError(t, err)
			checkAreaDevice(t, a, n)
			direct, err := api.NewArea(dev, "direct", off+noff, nsize)
			require.NoError(t, err)
			assert.Equal(t, oracleAreaPages(dev, off+noff, nsize), oracleAreaPages(a, noff, nsize),
				"nested area pages are the device pages starting inside it")
			assert.Equal(t, direct.PageCount(), n.PageCount())
		})
		require.True(t, ok, "seed=%d runs=%v area [%d,+%d)", seed, runs, off, size)
	}
}

// TestAreaAsDevice: Device code run on an area uses area offsets, stays in
// the area and sees the device's parameters.
func TestAreaAsDevice(t *testing.T) {
	d, dev := mixedLayout(t)
	a, err := api.NewArea(dev, "slot", 4096, 8192)
	require.NoError(t, err)
	var ad api.Device = a
	assert.Equal(t, int64(8192), ad.Size())
	assert.Equal(t, dev.Parameters(), ad.Parameters())
	assert.True(t, api.HasErase(ad))
	assert.True(t, api.IsReady(ad))

	// Write/Read/Erase through the Device interface land at 4096+off.
	require.NoError(t, api.Fill(ad, 0x5A, 4092, 8))
	got := make([]byte, 12)
	require.NoError(t, d.Read(4096+4090, got))
	assert.Equal(t, []byte{0xFF, 0xFF, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0x5A, 0xFF, 0xFF}, got)
	require.NoError(t, ad.Read(4092, got[:8]))
	assert.Equal(t, fillBytes(8, 0x5A), got[:8])
	require.NoError(t, api.Flatten(ad, 4096, 4096))
	require.NoError(t, d.Read(4096+4092, got[:8]))
	assert.Equal(t, []byte{0x5A, 0x5A, 0x5A, 0x5A, 0xFF, 0xFF, 0xFF, 0xFF}, got[:8], "only area page 1 erased")

	// Out of the area: EINVAL, the device is not touched.
	before := d.Stats()
	assert.ErrorIs(t, ad.Write(8192, []byte{0, 0, 0, 0}), api.ErrOutOfBounds)
	assert.ErrorIs(t, ad.Erase(-4096, 4096), api.ErrOutOfBounds)
	assert.Equal(t, before.Programs, d.Stats().Programs)
	assert.Equal(t, before.Erases, d.Stats().Erases)

	// The driver's capabilities show through.
	nd, err := api.NewArea(api.WithoutErase(dev), "noerase", 0, 4096)
	require.NoError(t, err)
	assert.False(t, api.HasErase(nd))
	assert.ErrorIs(t, nd.Erase(0, 1024), api.ErrNoErase)
}

func TestAreaDeviceNil(t *testing.T) {
	var a *api.Area
	var d api.Device = a // a typed nil behaves like Zephyr's NULL checks
	assert.Zero(t, d.PageCount())
	_, err := d.PageByIndex(0)
	assert.ErrorIs(t, err, api.ErrInvalid)
	_, err = d.PageByOffset(0)
	assert.ErrorIs(t, err, api.ErrInvalid)
	assert.False(t, api.HasErase(d))
	assert.False(t, api.IsReady(d))
	assert.Equal(t, api.Parameters{}, d.Parameters())

	noDev, err := api.NewArea(nil, "nodev", 0, 4096)
	require.NoError(t, err)
	assert.Zero(t, noDev.PageCount())
	_, err = noDev.PageByIndex(0)
	assert.ErrorIs(t, err, api.ErrNoDevice)
	_, err = noDev.PageByOffset(0)
	assert.ErrorIs(t, err, api.ErrNoDevice)
	assert.False(t, noDev.HasErase())
	assert.False(t, noDev.Ready())
}

// TestCopyDeviceAreas: flash_copy between two area views of one device
// catches an overlap on the device, not only equal Device values.
func TestCopyDeviceAreas(t *testing.T) {
	_, dev := mixedLayout(t)
	a, err := api.NewArea(dev, "a", 4096, 8192)
	require.NoError(t, err)
	b, err := api.NewArea(dev, "b", 8192, 8192)
	require.NoError(t, err)
	nested, err := api.NewArea(b, "nested", 4096, 4096) // device [12288, 16384)
	require.NoError(t, err)
	buf := make([]byte, 64)
	for _, tc := range []struct {
		name         string
		src          api.Device
		srcOff       int64
		dst          api.Device
		dstOff, size int64
		wantErr      bool
	}{
		{"areas overlapping on the device", a, 4096, b, 0, 256, true},     // both at device 8192
		{"area and device overlapping", a, 0, dev, 4096 + 100, 256, true}, // [4096,4352) vs [4196,4452)
		{"nested area touching", nested, 0, a, 8000, 192, false},          // [12288,+192) vs [12096, 12288)
		{"nested area overlapping by one", nested, 0, a, 8000, 193, true}, // [12096, 12289) vs [12288, ...)
		{"disjoint views", a, 0, b, 4096, 256, false},                     // 4096 vs 12288
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := api.CopyDevice(tc.src, tc.srcOff, tc.dst, tc.dstOff, tc.size, buf)
			if tc.wantErr {
				assert.ErrorIs(t, err, api.ErrInvalid)
			} else {
				assert.NoError(t, err)
			}
		})
	}
}

// BenchmarkAreaPageByOffset looks up pages of a 1 MiB area in the middle of
// a 16 MiB device of 4 KiB pages (stream_flash does one lookup per buffer).
func BenchmarkAreaPageByOffset(b *testing.B) {
	d, err := emu.NewChip("w25q128jv")
	require.NoError(b, err)
	a, err := api.NewArea(api.FromEmu(d), "slot1", 8<<20, 1<<20)
	require.NoError(b, err)
	b.ReportAllocs()
	for i := range b.N {
		if _, err := a.PageByOffset(int64(i*4096+100) & (1<<20 - 1)); err != nil {
			b.Fatal(err)
		}
	}
}
