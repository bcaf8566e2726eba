package emu

import (
	"encoding/binary"
	"testing"

	"github.com/flashemu/flashemu/errno"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Port of Zephyr's tests/drivers/flash_simulator (flash_sim_api suite) onto
// emu directly: native_sim overlay geometry (1024 KiB, erase unit 1024, write
// block 4), DOUBLE_WRITES=n, UNALIGNED_READ=n (AlignedReads), in the default,
// ramlike (NoExplicitErase) and erase-value 0x00 variants.

const (
	zsSize = 1024 << 10
	zsEU   = 1024
	zsWBS  = 4
)

type zsVariant struct {
	name    string
	ev      byte
	ramlike bool
}

var zsVariants = []zsVariant{{"default", 0xff, false}, {"ev00", 0x00, false}, {"ramlike", 0xff, true}}

func zsDevice(t *testing.T, v zsVariant) *Device {
	return mustNew(t, Config{Kind: NOR, Size: zsSize, EraseUnit: zsEU, WriteBlock: zsWBS,
		EraseValue: v.ev, AlignedReads: true, NoExplicitErase: v.ramlike})
}

func u32(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func TestZephyrFlashSim(t *testing.T) {
	for _, v := range zsVariants {
		t.Run(v.name, func(t *testing.T) {
			t.Run("test_read", func(t *testing.T) {
				d := zsDevice(t, v)
				require.NoError(t, d.Erase(0, zsSize))
				buf := make([]byte, zsSize)
				require.NoError(t, d.Read(0, buf))
				assert.Equal(t, rep(v.ev, zsSize), buf)
			})
			t.Run("test_write_read_erase", func(t *testing.T) {
				d := zsDevice(t, v)
				require.NoError(t, d.Erase(0, zsSize))
				for i := uint32(0); i < zsSize/zsWBS; i++ {
					require.NoError(t, d.Program(int64(i)*zsWBS, u32(i)))
				}
				for i := uint32(0); i < zsSize/zsWBS; i += 997 {
					assert.Equal(t, u32(i), read(t, d, int64(i)*zsWBS, 4))
				}
				require.NoError(t, d.Erase(zsEU, zsEU))
				for off := int64(0); off < 4*zsEU; off += zsWBS {
					got := read(t, d, off, 4)
					if off >= zsEU && off < 2*zsEU {
						assert.Equal(t, rep(v.ev, 4), got, "erased unit at %d", off)
					} else {
						assert.Equal(t, u32(uint32(off/zsWBS)), got, "at %d", off)
					}
				}
				if !v.ramlike {
					assert.EqualValues(t, 2, d.EraseCount(1))
				}
			})
			t.Run("test_out_of_bounds", func(t *testing.T) {
				d := zsDevice(t, v)
				end := int64(zsSize)
				for _, c := range []struct {
					off int64
					n   int
				}{{-4, 4}, {-4, 8}, {end, 4}, {end - 4, 8}} {
					assert.ErrorIs(t, d.Program(c.off, make([]byte, c.n)), ErrOutOfRange, "write %d+%d", c.off, c.n)
					assert.ErrorIs(t, d.Read(c.off, make([]byte, c.n)), ErrOutOfRange, "read %d+%d", c.off, c.n)
				}
				for _, c := range [][2]int64{{-zsEU, zsEU}, {end, zsEU}, {-2 * zsEU, 2 * zsEU}, {end - zsEU, 2 * zsEU}} {
					err := d.Erase(c[0], c[1])
					assert.ErrorIs(t, err, ErrOutOfRange, "erase %v", c)
					assert.Equal(t, -22, errno.Of(err))
				}
			})
			t.Run("test_align", func(t *testing.T) {
				d := zsDevice(t, v)
				for name, err := range map[string]error{
					"read base+1":     d.Read(1, make([]byte, 4)),
					"write base+1":    d.Program(1, make([]byte, 4)),
					"write len 3":     d.Program(0, make([]byte, 3)),
					"erase base+1":    d.Erase(1, zsEU),
					"erase len EU+1":  d.Erase(0, zsEU+1),
					"read len 3":      d.Read(0, make([]byte, 3)),
					"erase len EU-1)": d.Erase(0, zsEU-1),
				} {
					assert.ErrorIs(t, err, ErrMisaligned, name)
					assert.Equal(t, -22, errno.Of(err), name)
				}
			})
			t.Run("test_double_write", func(t *testing.T) {
				if v.ramlike {
					t.Skip("explicit-erase builds only")
				}
				d := zsDevice(t, v)
				require.NoError(t, d.Erase(0, zsEU))
				data := u32(0x55aa33cc)
				require.NoError(t, d.Program(0, data))
				err := d.Program(0, u32(^uint32(0x55aa33cc)))
				assert.ErrorIs(t, err, ErrProgramViolation)
				assert.Equal(t, -5, errno.Of(err))
				assert.Equal(t, data, read(t, d, 0, 4))
			})
			t.Run("test_ramlike", func(t *testing.T) {
				if !v.ramlike {
					t.Skip("ramlike builds only")
				}
				d := zsDevice(t, v)
				for off := int64(0); off < zsSize; off += zsEU {
					require.NoError(t, d.Program(off, rep(v.ev, zsEU)))
				}
				assert.Equal(t, rep(v.ev, zsEU), read(t, d, 7*zsEU, zsEU))
				str := []byte("Hello flash simulator, RAM-like. ")
				data := make([]byte, 4*zsEU)
				for i := range data {
					data[i] = str[i%len(str)]
				}
				require.NoError(t, d.Program(0, data))
				assert.Equal(t, data, read(t, d, 0, 4*zsEU))
				not := make([]byte, len(data))
				for i := range data {
					not[i] = ^data[i]
				}
				require.NoError(t, d.Program(0, not), "overwrite without erase")
				assert.Equal(t, not, read(t, d, 0, 4*zsEU))
			})
			t.Run("test_get_erase_value", func(t *testing.T) {
				d := zsDevice(t, v)
				assert.Equal(t, v.ev, d.EraseValue())
				assert.Equal(t, zsWBS, d.WriteBlock())
				assert.Equal(t, v.ramlike, d.NoExplicitErase())
				assert.Equal(t, zsSize/zsEU, d.UnitCount())
			})
		})
	}
}

// zsCallbacks plays the flash_sim_cbs callbacks of Zephyr's suite through the
// hook seam: per erase unit, writes fail, stick bits, or erases fail or fill
// 0x55 (units of 1 KiB).
type zsCallbacks struct{}

func (zsCallbacks) unit(op *Op) int64 { return op.Off / zsEU }

func (h zsCallbacks) Before(d *Device, op *Op) error {
	switch u := h.unit(op); {
	case op.Kind == OpProgram && (u == 1 || u == 3 || u == 4):
		return errno.EIO
	case op.Kind == OpErase && u == 3:
		return errno.EIO
	}
	return nil
}

func (h zsCallbacks) After(d *Device, op *Op, err error) error {
	if err != nil {
		return err
	}
	switch u := h.unit(op); {
	case op.Kind == OpProgram && u == 2:
		// write_byte returns data | (0x00100003 >> 8*(off&3)): bits stuck at 1.
		b := make([]byte, len(op.Data))
		for i, v := range op.Data {
			b[i] = v | byte(uint32(0x00100003)>>(8*((op.Off+int64(i))&3)))
		}
		return d.Poke(op.Off, b)
	case op.Kind == OpErase && u == 4:
		return d.Poke(op.Off, rep(0x55, int(op.Len)))
	}
	return nil
}

func TestZephyrFlashSimCallbacks(t *testing.T) {
	d := zsDevice(t, zsVariants[0])
	d.SetHook(zsCallbacks{})
	words := make([]byte, zsEU)
	for i := range words {
		words[i] = byte(i*7 + 3)
	}
	// Unit 0: identity.
	require.NoError(t, d.Erase(0, zsEU))
	require.NoError(t, d.Program(0, words))
	assert.Equal(t, words, read(t, d, 0, zsEU))
	// Unit 1: erase fine, write -EIO.
	require.NoError(t, d.Erase(zsEU, zsEU))
	assert.Equal(t, rep(0xff, zsEU), read(t, d, zsEU, zsEU))
	assert.Equal(t, -5, errno.Of(d.Program(zsEU, words[:4])))
	// Unit 2: bits 0, 1 and 20 of each LE word stuck at 1.
	require.NoError(t, d.Erase(2*zsEU, zsEU))
	require.NoError(t, d.Program(2*zsEU, words))
	got := read(t, d, 2*zsEU, zsEU)
	for i := 0; i < zsEU; i += 4 {
		w := binary.LittleEndian.Uint32(words[i:])
		assert.Equal(t, w|0x00100003, binary.LittleEndian.Uint32(got[i:]), "word %d", i/4)
	}
	// Unit 3: erase and write -EIO.
	assert.Equal(t, -5, errno.Of(d.Erase(3*zsEU, zsEU)))
	assert.Equal(t, -5, errno.Of(d.Program(3*zsEU, words[:4])))
	// Unit 4: erase fills 0x55, write -EIO.
	require.NoError(t, d.Erase(4*zsEU, zsEU))
	assert.Equal(t, rep(0x55, 4), read(t, d, 4*zsEU, 4))
	assert.Equal(t, -5, errno.Of(d.Program(4*zsEU, words[:4])))
}
