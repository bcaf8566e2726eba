package api_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Port of Zephyr's tests/subsys/storage/flash_map (zephyr-reference §6.4)
// over an emu device with native_sim's flash (2 MiB, 4 KiB pages, write
// block 1) and its partitions, for erase values 0xFF and 0x00 and for a
// RAM-like (no explicit erase) device.

type fmVariant struct {
	name string
	cfg  emu.Config
}

func fmVariants() []fmVariant {
	base := emu.Config{Kind: emu.NOR, Size: 2 << 20, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xFF}
	ev00 := base
	ev00.EraseValue = 0x00
	ram := base
	ram.NoExplicitErase = true
	wb4 := base
	wb4.WriteBlock = 4
	return []fmVariant{{"ev_ff", base}, {"ev_00", ev00}, {"ramlike", ram}, {"wbs4", wb4}}
}

type fmFix struct {
	dev   api.Device
	emu   *emu.Device
	m     *api.FlashMap
	slot1 *api.Area
	id    int
}

func newFMFix(t *testing.T, cfg emu.Config) *fmFix {
	d, dev := newEmu(t, cfg)
	m, err := api.ParseDTS(dev, readDTS(t, "native_sim.dts", "disabled.dts"))
	require.NoError(t, err)
	id, ok := m.ID("slot1_partition")
	require.True(t, ok)
	a, err := m.Open(id)
	require.NoError(t, err)
	return &fmFix{dev: dev, emu: d, m: m, slot1: a, id: id}
}

func TestZephyrFlashMap(t *testing.T) {
	for _, v := range fmVariants() {
		t.Run(v.name, func(t *testing.T) {
			tests := []struct {
				name string
				fn   func(*testing.T, *fmFix)
			}{
				{"test_flash_area_disabled_device", testFlashAreaDisabledDevice},
				{"test_flash_area_device_is_ready", testFlashAreaDeviceIsReady},
				{"test_flash_area_get_sectors", testFlashAreaGetSectors},
				{"test_flash_area_sectors", testFlashAreaSectors},
				{"test_flash_area_erased_val", testFlashAreaErasedVal},
				{"test_flash_area_erase_and_flatten", testFlashAreaEraseAndFlatten},
				{"test_flash_area_copy", testFlashAreaCopy},
				{"test_parameter_overflows", testParameterOverflows},
				{"test_flash_area_check_int_sha256", testFlashAreaCheckIntSHA256},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) { tt.fn(t, newFMFix(t, v.cfg)) })
			}
		})
	}
}

func testFlashAreaDisabledDevice(t *testing.T, f *fmFix) {
	names := []string{"disabled_a", "disabled_a_a", "disabled_a_b", "disabled_b", "disabled_b_a", "disabled_b_b"}
	for _, n := range names {
		_, err := f.m.OpenLabel(n)
		assert.ErrorIs(t, err, api.ErrNoArea, n)
		assert.Equal(t, neg(errno.ENOENT), rc(err), n)
		id, ok := f.m.ID(n)
		require.True(t, ok, "disabled partitions keep their id: %s", n)
		_, err = f.m.Open(id)
		assert.Equal(t, neg(errno.ENOENT), rc(err), n)
	}
	_, err := f.m.OpenLabel("disabled-a")
	assert.Equal(t, neg(errno.ENOENT), rc(err), "by label property too")
}

func testFlashAreaDeviceIsReady(t *testing.T, f *fmFix) {
	var nilArea *api.Area
	assert.False(t, nilArea.DeviceIsReady())
	noDev, err := api.NewArea(nil, "nodev", 0, 0x1000)
	require.NoError(t, err)
	assert.False(t, noDev.DeviceIsReady())
	assert.True(t, f.slot1.DeviceIsReady())
	assert.True(t, f.slot1.HasDriver())
}

func checkSectors(t *testing.T, f *fmFix, secs []api.Sector) {
	require.NotEmpty(t, secs)
	off := f.slot1.Offset()
	var sum int64
	for _, s := range secs {
		pg, err := f.dev.PageByOffset(off + sum)
		require.NoError(t, err)
		assert.Equal(t, s.Off+off, pg.Start)
		assert.Equal(t, s.Size, pg.Size)
		sum += s.Size
	}
	assert.Equal(t, f.slot1.Size(), sum)
}

func testFlashAreaGetSectors(t *testing.T, f *fmFix) {
	buf := make([]api.Sector, 2048)
	n, err := f.m.GetSectors(f.id, buf)
	require.NoError(t, err)
	assert.Equal(t, 0x69000/4096, n)
	checkSectors(t, f, buf[:n])

	// ENOMEM when the array is too small, with the array holding the
	// first sectors as Zephyr's get_sectors_cb leaves it; an unknown id is
	// EINVAL.
	small := make([]api.Sector, 3)
	_, err = f.m.GetSectors(f.id, small)
	assert.Equal(t, neg(errno.ENOMEM), rc(err))
	assert.Equal(t, buf[:3], small)
	_, err = f.m.GetSectors(999, buf)
	assert.Equal(t, neg(errno.EINVAL), rc(err))
}

func testFlashAreaSectors(t *testing.T, f *fmFix) {
	buf := make([]api.Sector, 2048)
	n, err := f.slot1.GetSectors(buf)
	require.NoError(t, err)
	checkSectors(t, f, buf[:n])
	secs, err := f.slot1.Sectors()
	require.NoError(t, err)
	assert.Equal(t, buf[:n], secs)
}

func testFlashAreaErasedVal(t *testing.T, f *fmFix) {
	assert.Equal(t, f.dev.Parameters().EraseValue, f.slot1.ErasedVal())
	assert.Equal(t, f.dev.Parameters().WriteBlockSize, f.slot1.Align())
}

func allIs(t *testing.T, a *api.Area, v byte) {
	t.Helper()
	buf := make([]byte, a.Size())
	require.NoError(t, a.Read(0, buf))
	for i, b := range buf {
		if b != v {
			t.Fatalf("byte %#x is %#02x, want %#02x", i, b, v)
		}
	}
}

func testFlashAreaEraseAndFlatten(t *testing.T, f *fmFix) {
	a := f.slot1
	ev := a.ErasedVal()
	require.NoError(t, f.dev.Erase(a.Offset(), a.Size()))
	require.NoError(t, api.Fill(f.dev, 0xAA, a.Offset(), a.Size()))
	require.NoError(t, a.Erase(0, a.Size()))
	allIs(t, a, ev)

	require.NoError(t, api.Fill(f.dev, 0xAA, a.Offset(), a.Size()))
	require.NoError(t, a.Flatten(0, a.Size()))
	allIs(t, a, ev)
}

func testFlashAreaCopy(t *testing.T, f *fmFix) {
	a := f.slot1
	require.NoError(t, a.Erase(0, a.Size()))
	n := min(a.Size()/2, 128)
	src := fillBytes(int(n), 0xAB)
	require.NoError(t, a.Write(0, src))
	buf := make([]byte, 32)
	require.NoError(t, api.Copy(a, 0, a, 128, 128, buf))
	got := make([]byte, n)
	require.NoError(t, a.Read(128, got))
	assert.Equal(t, src, got)

	// Bounds are checked on both sides, and the buffer must not be empty.
	assert.Equal(t, neg(errno.EINVAL), rc(api.Copy(a, a.Size()-64, a, 0, 128, buf)))
	assert.Equal(t, neg(errno.EINVAL), rc(api.Copy(a, 0, a, a.Size()-64, 128, buf)))
	assert.Equal(t, neg(errno.EINVAL), rc(api.Copy(a, 0, a, 4096, 128, nil)))
	assert.Equal(t, neg(errno.EINVAL), rc(api.Copy(a, 0, a, 64, 128, buf)), "overlapping copy")
}

func testParameterOverflows(t *testing.T, f *fmFix) {
	a := f.slot1
	const sizeMax = math.MaxUint64
	assert.False(t, a.InBounds(1, sizeMax))
	assert.False(t, a.InBounds(a.Size()-1, sizeMax))
	assert.False(t, a.InBounds(-1, 1))
	assert.True(t, a.InBounds(a.Size()-1, 1))
	assert.True(t, a.InBounds(a.Size(), 0))
	assert.False(t, a.InBounds(a.Size(), 1))
	assert.Equal(t, neg(errno.EINVAL), rc(a.Erase(1, math.MaxInt64)))
	assert.Equal(t, neg(errno.EINVAL), rc(a.Flatten(a.Size()-1, math.MaxInt64)))
	assert.Equal(t, neg(errno.EINVAL), rc(a.Erase(math.MaxInt64, 4096)))
	assert.Equal(t, neg(errno.EINVAL), rc(a.Read(a.Size()-1, make([]byte, 2))))
	assert.Equal(t, neg(errno.EINVAL), rc(a.Write(-1, make([]byte, 1))))
	assert.Equal(t, neg(errno.EINVAL), rc(a.Erase(0, -1)), "a negative size_t is huge")
}

func testFlashAreaCheckIntSHA256(t *testing.T, f *fmFix) {
	a := f.slot1
	require.NoError(t, a.Erase(0, 4096))
	data := []byte(strings.Repeat("0123456789abcdef\nfedcba98765432\n", 16))
	require.Len(t, data, 512)
	require.NoError(t, a.Write(0, data))
	sum := sha256.Sum256(data)
	assert.Equal(t, "aeed7d5953bdb7283e59c2655962e37efa97bd76f6acc39259484ec0afa84965", hex.EncodeToString(sum[:]))

	var nilArea *api.Area
	assert.Equal(t, neg(errno.EINVAL), rc(nilArea.CheckSHA256(nil)))
	assert.Equal(t, neg(errno.EINVAL), rc(nilArea.CheckSHA256(&api.IntegrityCheck{})))
	assert.Equal(t, neg(errno.EINVAL), rc(a.CheckSHA256(nil)))

	// Fill the check in one field at a time; each incomplete step is EINVAL.
	fac := &api.IntegrityCheck{Off: -1}
	fac.Match = sum[:]
	assert.Equal(t, neg(errno.EINVAL), rc(a.CheckSHA256(fac)), "match")
	fac.Clen = int64(len(data))
	assert.Equal(t, neg(errno.EINVAL), rc(a.CheckSHA256(fac)), "clen")
	fac.Off = 0
	assert.Equal(t, neg(errno.EINVAL), rc(a.CheckSHA256(fac)), "off")
	rbuf := make([]byte, 16)
	fac.Rbuf = rbuf[:0]
	assert.Equal(t, neg(errno.EINVAL), rc(a.CheckSHA256(fac)), "rbuf without rblen")
	fac.Rbuf = rbuf[:16]
	assert.NoError(t, a.CheckSHA256(fac), "complete check")

	bad := append([]byte(nil), sum[:]...)
	bad[0] ^= 1
	fac.Match = bad
	err := a.CheckSHA256(fac)
	assert.ErrorIs(t, err, api.ErrIntegrity)
	assert.Equal(t, neg(errno.EILSEQ), rc(err))

	fac.Match = sum[:]
	fac.Off = a.Size() - 100
	assert.Equal(t, neg(errno.EINVAL), rc(a.CheckSHA256(fac)), "range outside the area")
}

func TestFlashMapOpenErrors(t *testing.T) {
	var none *api.FlashMap
	_, err := none.Open(0)
	assert.ErrorIs(t, err, api.ErrNoMap)
	assert.Equal(t, neg(errno.EACCES), rc(err))
	_, err = none.OpenLabel("x")
	assert.Equal(t, neg(errno.EACCES), rc(err))

	_, dev := newEmu(t, emu.Config{Size: 64 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xFF})
	m := api.NewFlashMap()
	_, err = m.Add(dev, api.AreaSpec{ID: 3, Label: "storage", Offset: 0x8000, Size: 0x8000})
	require.NoError(t, err)
	_, err = m.Add(nil, api.AreaSpec{ID: 4, Label: "nodev", Offset: 0, Size: 0x1000})
	require.NoError(t, err)
	_, err = m.Add(dev, api.AreaSpec{ID: 3, Label: "again"})
	assert.Equal(t, neg(errno.EINVAL), rc(err), "duplicate id")
	_, err = m.Add(dev, api.AreaSpec{ID: 5, Label: "storage"})
	assert.Equal(t, neg(errno.EINVAL), rc(err), "duplicate label")
	_, err = m.Add(dev, api.AreaSpec{ID: 6, Label: "big", Offset: 0x8000, Size: 0x10000})
	assert.Equal(t, neg(errno.EINVAL), rc(err), "outside the device")

	a, err := m.Open(3)
	require.NoError(t, err)
	assert.Equal(t, 3, a.ID())
	assert.Equal(t, "storage", a.Label())
	_, err = m.Open(4)
	assert.Equal(t, neg(errno.ENODEV), rc(err))
	_, err = m.Open(7)
	assert.Equal(t, neg(errno.ENOENT), rc(err))
	assert.Len(t, m.Areas(), 2)
	var labels []string
	m.Foreach(func(a *api.Area) bool { labels = append(labels, a.Label()); return true })
	assert.Equal(t, []string{"storage", "nodev"}, labels)
	assert.Equal(t, "storage@0x8000+0x8000", fmt.Sprint(a))
}

// Issue 13 item 11: Zephyr addresses a partition by its node label
// (FIXED_PARTITION_ID(slot0_partition)) and by the identifier derived from
// its label property (FLASH_AREA_ID(image_0) for label "image-0").
func TestFlashMapKeys(t *testing.T) {
	_, dev := newEmu(t, fmVariants()[0].cfg)
	m, err := api.ParseDTS(dev, readDTS(t, "native_sim.dts"))
	require.NoError(t, err)
	for _, names := range [][]string{
		{"image-0", "image_0", "slot0_partition"},
		{"image-scratch", "image_scratch", "scratch_partition"},
		{"storage", "storage_partition"},
	} {
		want, ok := m.ID(names[0])
		require.True(t, ok, names[0])
		for _, n := range names {
			id, ok := m.ID(n)
			assert.True(t, ok, n)
			assert.Equal(t, want, id, n)
			a, err := m.OpenLabel(n)
			if assert.NoError(t, err, n) {
				assert.Equal(t, want, a.ID(), n)
			}
		}
	}
	_, err = m.OpenLabel("IMAGE_0")
	assert.ErrorIs(t, err, api.ErrNoArea, "tokens are lowercase")
	assert.Equal(t, "image_0", api.LabelToken("Image-0"))
	assert.Equal(t, "a_b_c_d", api.LabelToken("a.b,c@d"))

	// labels whose tokens collide are refused, as their macros would be
	m2 := api.NewFlashMap()
	_, err = m2.Add(dev, api.AreaSpec{ID: 0, Label: "image-0", Offset: 0, Size: 4096})
	require.NoError(t, err)
	_, err = m2.Add(dev, api.AreaSpec{ID: 1, Label: "image_0", Offset: 4096, Size: 4096})
	assert.ErrorIs(t, err, api.ErrInvalid)
	_, err = m2.Add(dev, api.AreaSpec{ID: 2, Label: "x", Name: "image_0", Offset: 4096, Size: 4096})
	assert.ErrorIs(t, err, api.ErrInvalid)
}
