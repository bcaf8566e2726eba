package devspec

import (
	"os"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOpen(t *testing.T) {
	d, err := Open(Choice{})
	require.NoError(t, err)
	assert.Equal(t, int64(1<<20), d.Size())
	d, err = Open(Choice{Chip: "w25q128jv"})
	require.NoError(t, err)
	assert.Equal(t, int64(16<<20), d.Size())
	d, err = Open(Choice{NAND: "page=2K,oob=64,ppb=64,blocks=8,bad=1+3"})
	require.NoError(t, err)
	assert.Equal(t, emu.NAND, d.Kind())
	assert.Equal(t, []int{1, 3}, d.Config().BadBlocks)
	d, err = Open(Choice{NOR: "sectors=4x16K+1x64K+7x128K,wb=1,protect_boot"})
	require.NoError(t, err)
	assert.Equal(t, 12, d.UnitCount())
	assert.True(t, d.Protected(0))
	_, err = Open(Choice{Chip: "x", NOR: "size=1M"})
	assert.ErrorContains(t, err, "choose one of --chip, --nor and --nand")
	_, err = Open(Choice{Chip: "nope"})
	assert.ErrorIs(t, err, emu.ErrUnknownChip)

	img := t.TempDir() + "/img.bin"
	require.NoError(t, os.WriteFile(img, []byte(strings.Repeat("z", 5000)), 0o644))
	d, err = Open(Choice{Image: img})
	require.NoError(t, err)
	assert.Equal(t, int64(8192), d.Size())
	buf := make([]byte, 2)
	require.NoError(t, d.Read(4999, buf))
	assert.Equal(t, []byte{'z', 0xff}, buf)
	_, err = Open(Choice{Image: img, NOR: "size=4K"})
	assert.ErrorIs(t, err, emu.ErrCorruptImage)
}

func TestParse(t *testing.T) {
	tests := []struct {
		kind emu.Kind
		spec string
		err  string
		chk  func(t *testing.T, c emu.Config)
	}{
		{emu.NOR, "size=1M,sector=4K,wb=4", "", func(t *testing.T, c emu.Config) {
			assert.Equal(t, int64(1<<20), c.Size)
			assert.Equal(t, 4096, c.EraseUnit)
			assert.Equal(t, 4, c.WriteBlock)
		}},
		{emu.NOR, "size=0x10000,ev=0,max_programs=2,violations=count,seed=9,timing=none", "", func(t *testing.T, c emu.Config) {
			assert.Equal(t, int64(0x10000), c.Size)
			assert.Equal(t, byte(0), c.EraseValue)
			assert.Equal(t, 2, c.MaxPrograms)
			assert.Equal(t, emu.ViolationsCount, c.Violations)
			assert.Equal(t, uint64(9), c.Seed)
			assert.Equal(t, emu.Timing{}, c.Timing)
		}},
		{emu.NOR, "chip=nrf52840,size=512K", "", func(t *testing.T, c emu.Config) {
			assert.Equal(t, "nrf52840", c.Name)
			assert.Equal(t, int64(512<<10), c.Size)
			assert.Equal(t, 2, c.MaxPrograms)
		}},
		{emu.NAND, "page=4K,oob=128,ppb=32,blocks=16,nop=1,ecc=8", "", func(t *testing.T, c emu.Config) {
			assert.Equal(t, 4096, c.PageSize)
			assert.Equal(t, 128, c.OOBSize)
			assert.Equal(t, 32, c.PagesPerBlock)
			assert.Equal(t, 16, c.Blocks)
			assert.Equal(t, 1, c.NOP)
			assert.Equal(t, 8, c.ECCBits)
		}},
		{emu.NOR, "size=1M,size=2M", `duplicate key "size"`, nil},
		{emu.NOR, "sise=1M", `unknown key "sise" (known: aligned_reads, chip, erase_value, max_programs, name, no_explicit_erase, protect_boot, sector, sectors, seed, size, timing, violations, write_block, zero_overwrite)`, nil},
		{emu.NOR, "size=lots", `size: bad number "lots"`, nil},
		{emu.NOR, "aligned_reads=perhaps", `aligned_reads: bad boolean "perhaps"`, nil},
		{emu.NOR, "sectors=4x", `sectors: bad run "4x" (want COUNTxSIZE, e.g. 4x16K)`, nil},
		{emu.NOR, "ev=256", `erase_value: 256 out of range [0, 255]`, nil},
		{emu.NAND, "chip=w25q128jv", `chip: w25q128jv is a nor chip`, nil},
		{emu.NOR, "timing=fast", `timing: "fast": only timing=none or timing=default in a SPEC`, nil},
	}
	for _, tt := range tests {
		c, err := Parse(tt.kind, tt.spec)
		if tt.err != "" {
			assert.EqualError(t, err, tt.err, tt.spec)
			continue
		}
		require.NoError(t, err, tt.spec)
		tt.chk(t, c)
		_, err = emu.New(c)
		assert.NoError(t, err, tt.spec)
	}
}
