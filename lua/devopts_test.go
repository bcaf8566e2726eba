package lua

import (
	"context"
	"testing"

	"github.com/flashemu/flashemu/devspec"
	"github.com/flashemu/flashemu/emu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEraseTimesRefuseNaN: the table form of erase times checks every
// entry as the number form does (NaN, inf, fractions, negatives: #13).
func TestEraseTimesRefuseNaN(t *testing.T) {
	for _, bad := range []string{"0/0", "1/0", "-5", "1.5"} {
		for _, field := range []string{"ns = " + bad + ", size = 4096", "size = " + bad + ", ns = 100"} {
			_, err := runLua(t, Options{}, `local d = flash.nor{size = 8192, sector = 4096, timing = {erase_ns = {{`+field+`}}}}`)
			require.Error(t, err, field)
			assert.Contains(t, err.Error(), "non-negative integer expected", field)
		}
	}
	out, err := runLua(t, Options{}, `local d = flash.nor{size = 8192, sector = 4096, timing = {erase_ns = {{size = 4096, ns = 100}}}} print(d:erase(0, 4096), d:clock())`)
	require.NoError(t, err)
	assert.Contains(t, out, "true")
}

// TestTableAndSpecAgree: flash.nor{...}/flash.nand{...} and the command
// line's SPEC are two spellings of one vocabulary (devspec.Build); the same
// options give the same configuration.
func TestTableAndSpecAgree(t *testing.T) {
	tests := []struct {
		kind  emu.Kind
		table string
		spec  string
	}{
		{emu.NOR, `flash.nor{}`, ``},
		{emu.NOR, `flash.nor{size = "1M", sector = "4K", write_block = 4, erase_value = 0, max_programs = 2, violations = "count"}`, `size=1M,sector=4K,wb=4,ev=0,max_programs=2,violations=count`},
		{emu.NOR, `flash.nor{sectors = {{count = 4, size = 16384}, {count = 1, size = 65536}}, protect_boot = true, timing = false}`, `sectors=4x16K+1x64K,protect_boot,timing=none`},
		{emu.NOR, `flash.nor{chip = "w25q128jv", size = 4 * 1024 * 1024, seed = 9}`, `chip=w25q128jv,size=4M,seed=9`},
		{emu.NAND, `flash.nand{page = 2048, oob = 64, pages_per_block = 64, blocks = 8, nop = 1, ecc_bits = 8, bad_blocks = {1, 3}}`, `page=2K,oob=64,ppb=64,blocks=8,nop=1,ecc=8,bad=1+3`},
	}
	for _, tt := range tests {
		s, err := NewState(Options{})
		require.NoError(t, err)
		_, err = s.DoString(context.Background(), "t.lua", "D = "+tt.table)
		require.NoError(t, err, tt.table)
		d, ok := DeviceOf(s.Global("D"))
		require.True(t, ok)
		cfg, err := devspec.Parse(tt.kind, tt.spec)
		require.NoError(t, err, tt.spec)
		want, err := emu.New(cfg)
		require.NoError(t, err, tt.spec)
		assert.Equal(t, want.Config(), d.Dev.Config(), "%s vs --%s %q", tt.table, tt.kind, tt.spec)
		s.Close()
	}
}
