package api_test

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Port of Zephyr's tests/drivers/flash_simulator suite (zephyr-reference
// §6.3) over emu devices seen through api.FromEmu, with native_sim's
// overlay: 1024 KiB, erase unit 1024, write block 4; scenarios default,
// RAM-like (no explicit erase) and erase value 0x00. prj.conf has
// UNALIGNED_READ=n, so the devices require aligned reads, and
// DOUBLE_WRITES=n, which is emu's MaxPrograms = 1 (a write block is
// programmed once between erases).

const (
	simSize = 1024 << 10
	simEU   = 1024
	simWBS  = 4
)

type simVariant struct {
	name string
	ram  bool
	ev   byte
}

var simVariants = []simVariant{{"default", false, 0xFF}, {"ramlike", true, 0xFF}, {"ev00", false, 0x00}}

func newSim(t *testing.T, v simVariant) (*emu.Device, api.Device) {
	return newEmu(t, emu.Config{Kind: emu.NOR, Size: simSize, EraseUnit: simEU, WriteBlock: simWBS,
		EraseValue: v.ev, NoExplicitErase: v.ram, AlignedReads: true, MaxPrograms: 1})
}

// scrub makes the whole device read as the erase value: an erase, or on a
// RAM-like device unit-sized writes of the erase value.
func scrub(t *testing.T, dev api.Device, v simVariant) {
	t.Helper()
	if !v.ram {
		require.NoError(t, dev.Erase(0, simSize))
		return
	}
	buf := fillBytes(simEU, v.ev)
	for off := int64(0); off < simSize; off += simEU {
		require.NoError(t, dev.Write(off, buf))
	}
}

func erasedWord(ev byte) uint32 { return uint32(ev) * 0x01010101 }

func TestZephyrFlashSimulator(t *testing.T) {
	for _, v := range simVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Run("test_read", func(t *testing.T) {
				_, dev := newSim(t, v)
				scrub(t, dev, v)
				buf := make([]byte, simSize)
				require.NoError(t, dev.Read(0, buf))
				requireAll(t, buf, v.ev)
			})
			t.Run("test_write_read_erase", func(t *testing.T) {
				if v.ram {
					t.Skip("explicit-erase scenario")
				}
				_, dev := newSim(t, v)
				scrub(t, dev, v)
				const units = 4
				buf := make([]byte, units*simEU)
				for i := 0; i < len(buf); i += 4 {
					binary.LittleEndian.PutUint32(buf[i:], uint32(i/simWBS))
				}
				require.NoError(t, dev.Write(0, buf))
				got := make([]byte, len(buf))
				require.NoError(t, dev.Read(0, got))
				require.Equal(t, buf, got)

				require.NoError(t, dev.Erase(simEU, simEU))
				require.NoError(t, dev.Read(0, got))
				for i := 0; i < len(got); i += 4 {
					w := binary.LittleEndian.Uint32(got[i:])
					if i >= simEU && i < 2*simEU {
						require.Equal(t, erasedWord(v.ev), w, "unit 1 erased at %d", i)
					} else {
						require.Equal(t, uint32(i/simWBS), w, "increment at %d", i)
					}
				}
			})
			t.Run("test_out_of_bounds", func(t *testing.T) {
				_, dev := newSim(t, v)
				w := make([]byte, 8)
				cases := []error{
					dev.Write(-4, w[:4]), dev.Write(-4, w), dev.Write(simSize, w[:4]), dev.Write(simSize-4, w),
					dev.Erase(-simEU, simEU), dev.Erase(simSize, simEU), dev.Erase(-2*simEU, 2*simEU), dev.Erase(simSize-simEU, 2*simEU),
					dev.Read(-4, w[:4]), dev.Read(-4, w), dev.Read(simSize, w[:4]), dev.Read(simSize-4, w),
				}
				for i, err := range cases {
					assert.Equal(t, neg(errno.EINVAL), rc(err), "case %d", i)
				}
			})
			t.Run("test_align", func(t *testing.T) {
				_, dev := newSim(t, v)
				b := make([]byte, 4)
				cases := []error{
					dev.Read(1, b), dev.Write(1, b), dev.Write(0, b[:3]),
					dev.Erase(1, simEU), dev.Erase(0, simEU+1),
				}
				for i, err := range cases {
					assert.Equal(t, neg(errno.EINVAL), rc(err), "case %d", i)
				}
			})
			t.Run("test_double_write", func(t *testing.T) {
				if v.ram {
					t.Skip("explicit-erase scenario")
				}
				_, dev := newSim(t, v)
				require.NoError(t, dev.Erase(0, simEU))
				var w [4]byte
				binary.LittleEndian.PutUint32(w[:], 0x55AA55AA^erasedWord(v.ev)^0xFFFFFFFF)
				require.NoError(t, dev.Write(0, w[:]))
				err := dev.Write(0, w[:])
				assert.Equal(t, neg(errno.EIO), rc(err), "second program of the same write block")
			})
			t.Run("test_ramlike", func(t *testing.T) {
				if !v.ram {
					t.Skip("RAM-like scenario")
				}
				_, dev := newSimRAM(t, v)
				scrub(t, dev, v)
				data := []byte(strings.Repeat("RAM-like flash! ", 64))
				require.NoError(t, dev.Write(0, data))
				got := make([]byte, len(data))
				require.NoError(t, dev.Read(0, got))
				require.Equal(t, data, got)
				not := make([]byte, len(data))
				for i, b := range data {
					not[i] = ^b
				}
				require.NoError(t, dev.Write(0, not), "overwrite without erase")
				require.NoError(t, dev.Read(0, got))
				assert.Equal(t, not, got)
			})
			t.Run("test_get_erase_value", func(t *testing.T) {
				_, dev := newSim(t, v)
				assert.Equal(t, v.ev, dev.Parameters().EraseValue)
			})
			t.Run("test_erase_capability", func(t *testing.T) {
				_, dev := newSim(t, v)
				assert.Equal(t, !v.ram, api.EraseCap(dev.Parameters()))
			})
			t.Run("test_flash_fill", func(t *testing.T) {
				_, dev := newSimRAM(t, v)
				scrub(t, dev, v)
				require.NoError(t, api.Fill(dev, 0x55, 0, simSize))
				buf := make([]byte, simSize)
				require.NoError(t, dev.Read(0, buf))
				requireAll(t, buf, byte(0x55))
			})
			t.Run("test_flash_flatten", func(t *testing.T) {
				_, dev := newSimRAM(t, v)
				scrub(t, dev, v)
				require.NoError(t, api.Fill(dev, 0xAA, 0, simSize))
				require.NoError(t, api.Flatten(dev, 0, simSize))
				buf := make([]byte, simSize)
				require.NoError(t, dev.Read(0, buf))
				requireAll(t, buf, v.ev)
				if !v.ram {
					return
				}
				// A copy of the driver without erase: flash_erase is ENOSYS,
				// flash_flatten still works by filling with the erase value.
				noErase := api.WithoutErase(dev)
				require.NoError(t, api.Fill(noErase, 0xAA, 0, simSize))
				err := noErase.Erase(0, simEU)
				assert.ErrorIs(t, err, api.ErrNoErase)
				assert.Equal(t, neg(errno.ENOSYS), rc(err))
				require.NoError(t, api.Flatten(noErase, 0, simSize))
				require.NoError(t, dev.Read(0, buf))
				requireAll(t, buf, v.ev)
			})
		})
	}
}

// newSimRAM is newSim without the program limit, for the tests that
// program the same cells more than once (fill over a scrub on RAM-like
// devices, fill then flatten).
func newSimRAM(t *testing.T, v simVariant) (*emu.Device, api.Device) {
	return newEmu(t, emu.Config{Kind: emu.NOR, Size: simSize, EraseUnit: simEU, WriteBlock: simWBS,
		EraseValue: v.ev, NoExplicitErase: v.ram, AlignedReads: true})
}

func TestFillArguments(t *testing.T) {
	_, dev := newEmu(t, emu.Config{Size: 64 << 10, EraseUnit: 4096, WriteBlock: 64, EraseValue: 0xFF})
	assert.Equal(t, neg(errno.EINVAL), rc(api.Fill(dev, 0, 0, 64)), "fill buffer smaller than the write block")
	require.NoError(t, api.FillBuffer(dev, 0, 0, 128, 64))
	_, dev = newEmu(t, emu.Config{Size: 64 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xFF})
	assert.Equal(t, neg(errno.EINVAL), rc(api.Fill(dev, 0, -4, 4)))
	assert.Equal(t, neg(errno.EINVAL), rc(api.Fill(dev, 0, 2, 4)))
	assert.Equal(t, neg(errno.EINVAL), rc(api.Fill(dev, 0, 0, 6)))
	// The last chunk may be shorter than the buffer; a write error stops it.
	require.NoError(t, api.Fill(dev, 0x0F, 0, 36))
	got := make([]byte, 40)
	require.NoError(t, dev.Read(0, got))
	assert.Equal(t, append(fillBytes(36, 0x0F), fillBytes(4, 0xFF)...), got)
	assert.Equal(t, neg(errno.EIO), rc(api.Fill(dev, 0xFF, 0, 64)), "0 -> 1 is refused")
}

func TestPageLayout(t *testing.T) {
	d, dev := newEmu(t, emu.Config{Kind: emu.NOR, Units: []emu.Run{{Count: 4, Size: 16 << 10}, {Count: 1, Size: 64 << 10}, {Count: 3, Size: 128 << 10}},
		WriteBlock: 8, EraseValue: 0xFF})
	assert.Equal(t, d.UnitCount(), dev.PageCount())
	pages := api.Pages(dev)
	require.Len(t, pages, 8)
	assert.Equal(t, api.PageInfo{Index: 4, Start: 64 << 10, Size: 64 << 10}, pages[4])
	pg, err := dev.PageByOffset(200 << 10)
	require.NoError(t, err)
	assert.Equal(t, 5, pg.Index)
	_, err = dev.PageByOffset(dev.Size())
	assert.Equal(t, neg(errno.EINVAL), rc(err))
	_, err = dev.PageByIndex(8)
	assert.Equal(t, neg(errno.EINVAL), rc(err))
	assert.Equal(t, 8, api.WriteBlockSize(dev))
	back, ok := api.EmuOf(dev)
	assert.True(t, ok)
	assert.Same(t, d, back)
	assert.True(t, api.IsReady(dev))
	assert.False(t, api.IsReady(nil))
}

// requireAll fails at the first byte of buf that is not v.
func requireAll(t *testing.T, buf []byte, v byte) {
	t.Helper()
	for i, b := range buf {
		if b != v {
			t.Fatalf("byte %#x is %#02x, want %#02x", i, b, v)
		}
	}
}
