package emu

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProgramSemantics(t *testing.T) {
	// stored = ((old^ev)|(data^ev))^ev
	tests := []struct {
		name         string
		ev           byte
		first, again byte // programmed in order onto erased flash
		want         byte
	}{
		{"ff AND", 0xff, 0xf0, 0x30, 0x30},
		{"ff same data twice", 0xff, 0x5a, 0x5a, 0x5a},
		{"ff all zero", 0xff, 0x12, 0x00, 0x00},
		{"00 OR", 0x00, 0x0f, 0x3f, 0x3f},
		{"00 same", 0x00, 0xa5, 0xa5, 0xa5},
		{"aa moves away from 0xaa", 0xaa, 0xab, 0xbb, 0xbb},
		{"aa to 0x55", 0xaa, 0xaa, 0x55, 0x55},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustNew(t, norCfg(func(c *Config) { c.EraseValue = tc.ev }))
			assert.Equal(t, rep(tc.ev, 8), read(t, d, 0, 8), "erased reads the erase value")
			require.NoError(t, d.Program(4, rep(tc.first, 4)))
			require.NoError(t, d.Program(4, rep(tc.again, 4)), "moving more bits away from erased is allowed")
			assert.Equal(t, rep(tc.want, 4), read(t, d, 4, 4))
			assert.Equal(t, rep(tc.ev, 4), read(t, d, 0, 4), "neighbours untouched")
			assert.Equal(t, rep(tc.ev, 4), read(t, d, 8, 4), "neighbours untouched")
			assert.Zero(t, d.Stats().Violations)
		})
	}
}

func TestProgramViolationStrict(t *testing.T) {
	tests := []struct {
		name  string
		ev    byte
		old   byte
		bad   byte // asks a programmed bit back to the erased state
		multi bool // violation only in the second chunk of a multi-chunk program
	}{
		{"ff 0->1", 0xff, 0x00, 0x01, false},
		{"00 1->0", 0x00, 0xff, 0xfe, false},
		{"aa", 0xaa, 0x55, 0xaa, false},
		{"ff multi-chunk", 0xff, 0x0f, 0xf0, true},
		{"00 multi-chunk", 0x00, 0xf0, 0x0f, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustNew(t, norCfg(func(c *Config) { c.EraseValue = tc.ev }))
			off := int64(4096 + 512)
			require.NoError(t, d.Program(off, rep(tc.old, 4)))
			start := int64(4096)
			data := rep(tc.ev, 8192) // erased-valued data: a no-op program everywhere ...
			if tc.multi {
				start = 0 // ... chunk 0 would be programmed first
				copy(data, pattern(4096, 7))
			}
			copy(data[off-start:], rep(tc.bad, 4)) // ... except the violating word
			before := peek(t, d, 0, 16384)
			h := d.StateHash()
			err := d.Program(start, data)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrProgramViolation)
			assert.Equal(t, -5, ErrnoOf(err))
			assert.Equal(t, before, peek(t, d, 0, 16384), "a refused program changes nothing")
			assert.Equal(t, h, d.StateHash())
			assert.EqualValues(t, 4, d.Stats().Violations, "every violating byte is counted")
		})
	}
}

func TestViolationsCount(t *testing.T) {
	// The Zephyr vectors' device: store the physical result and count
	// violating bytes.
	tests := []struct {
		name       string
		ev         byte
		old, data  []byte
		want       []byte
		violations uint64
	}{
		{"ff", 0xff, []byte{0x00, 0xf0, 0xff, 0x0f}, []byte{0xff, 0x0f, 0x00, 0x0f}, []byte{0x00, 0x00, 0x00, 0x0f}, 2},
		{"00", 0x00, []byte{0xff, 0x0f, 0x00, 0xf0}, []byte{0x00, 0xf0, 0x00, 0xf0}, []byte{0xff, 0xff, 0x00, 0xf0}, 2},
		{"aa", 0xaa, []byte{0x55, 0xaa, 0xab, 0xaa}, []byte{0xaa, 0x55, 0xaa, 0xaa}, []byte{0x55, 0x55, 0xab, 0xaa}, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustNew(t, norCfg(func(c *Config) { c.EraseValue = tc.ev; c.Violations = ViolationsCount }))
			require.NoError(t, d.Program(0, tc.old))
			require.NoError(t, d.Program(0, tc.data), "count mode never refuses")
			assert.Equal(t, tc.want, read(t, d, 0, 4))
			assert.Equal(t, tc.violations, d.Stats().Violations)
		})
	}
	t.Run("word path counts bytes", func(t *testing.T) {
		d := mustNew(t, norCfg(func(c *Config) { c.Violations = ViolationsCount }))
		require.NoError(t, d.Program(0, rep(0x00, 64)))
		require.NoError(t, d.Program(0, rep(0x01, 64)))
		assert.EqualValues(t, 64, d.Stats().Violations)
		assert.Equal(t, rep(0, 64), read(t, d, 0, 64))
	})
}

func TestMaxPrograms(t *testing.T) {
	tests := []struct {
		chip  string
		wb    int
		limit int
	}{
		{"nrf52840", 4, 2},
		{"stm32l4", 8, 1},
	}
	for _, tc := range tests {
		t.Run(tc.chip, func(t *testing.T) {
			d, err := NewChip(tc.chip)
			require.NoError(t, err)
			require.Equal(t, tc.wb, d.WriteBlock())
			off := int64(8192)
			// Each program clears one more bit: physically fine, limited by count.
			v := byte(0xff)
			for i := 0; i < tc.limit; i++ {
				v <<= 1
				require.NoError(t, d.Program(off, rep(v, tc.wb)), "program %d", i+1)
			}
			before := peek(t, d, off, int64(tc.wb))
			err = d.Program(off, rep(v<<1, tc.wb))
			require.ErrorIs(t, err, ErrProgramLimit)
			assert.Equal(t, -5, ErrnoOf(err))
			assert.Equal(t, before, peek(t, d, off, int64(tc.wb)), "refused")
			// A neighbouring block is independent; a multi-block program that
			// touches an exhausted block is refused whole.
			require.NoError(t, d.Program(off+int64(tc.wb), rep(0xf0, tc.wb)))
			err = d.Program(off-int64(tc.wb), append(rep(0, tc.wb), rep(v<<1, tc.wb)...))
			require.ErrorIs(t, err, ErrProgramLimit)
			assert.Equal(t, rep(0xff, tc.wb), read(t, d, off-int64(tc.wb), int64(tc.wb)))
			// Erase resets the count.
			i, start, size, ok := d.UnitAt(off)
			require.True(t, ok)
			require.NoError(t, d.Erase(start, size))
			assert.EqualValues(t, 1, d.Wear()[i])
			require.NoError(t, d.Program(off, rep(0, tc.wb)))
		})
	}
	t.Run("count mode", func(t *testing.T) {
		d := mustNew(t, norCfg(func(c *Config) { c.MaxPrograms = 1; c.Violations = ViolationsCount }))
		require.NoError(t, d.Program(0, rep(0xf0, 8)))
		require.NoError(t, d.Program(0, rep(0x00, 8)))
		assert.EqualValues(t, 2, d.Stats().LimitViolations, "two write blocks past the limit")
		assert.Equal(t, rep(0, 8), read(t, d, 0, 8))
	})
}

func TestBounds(t *testing.T) {
	d := mustNew(t, norCfg())
	size := d.Size()
	buf4, buf8 := make([]byte, 4), make([]byte, 8)
	tests := []struct {
		name string
		op   func() error
		want error
	}{
		{"read before start", func() error { return d.Read(-4, buf4) }, ErrOutOfRange},
		{"read at end", func() error { return d.Read(size, buf4) }, ErrOutOfRange},
		{"read over end", func() error { return d.Read(size-4, buf8) }, ErrOutOfRange},
		{"read near MaxInt64", func() error { return d.Read(math.MaxInt64-3, buf8) }, ErrOutOfRange},
		{"read MinInt64", func() error { return d.Read(math.MinInt64, buf8) }, ErrOutOfRange},
		{"program before start", func() error { return d.Program(-4, buf4) }, ErrOutOfRange},
		{"program at end", func() error { return d.Program(size, buf4) }, ErrOutOfRange},
		{"program over end", func() error { return d.Program(size-4, buf8) }, ErrOutOfRange},
		{"program near MaxInt64", func() error { return d.Program(math.MaxInt64-7, buf8) }, ErrOutOfRange},
		{"erase off=1 len=MaxInt64", func() error { return d.Erase(1, math.MaxInt64) }, ErrOutOfRange},
		{"erase len=MaxInt64", func() error { return d.Erase(0, math.MaxInt64) }, ErrOutOfRange},
		{"erase MaxInt64 both", func() error { return d.Erase(math.MaxInt64, math.MaxInt64) }, ErrOutOfRange},
		{"erase negative len", func() error { return d.Erase(0, -4096) }, ErrOutOfRange},
		{"erase before start", func() error { return d.Erase(-4096, 8192) }, ErrOutOfRange},
		{"erase at end", func() error { return d.Erase(size, 4096) }, ErrOutOfRange},
		{"erase over end", func() error { return d.Erase(size-4096, 8192) }, ErrOutOfRange},
		{"program misaligned offset", func() error { return d.Program(1, buf4) }, ErrMisaligned},
		{"program misaligned length", func() error { return d.Program(0, make([]byte, 3)) }, ErrMisaligned},
		{"erase misaligned offset", func() error { return d.Erase(1, 4096) }, ErrMisaligned},
		{"erase partial unit", func() error { return d.Erase(0, 4097) }, ErrMisaligned},
		{"erase inside unit", func() error { return d.Erase(4096, 2048) }, ErrMisaligned},
		{"read unaligned ok", func() error { return d.Read(1, make([]byte, 3)) }, nil},
		{"read whole device", func() error { return d.Read(0, make([]byte, size)) }, nil},
		{"erase len 0", func() error { return d.Erase(4096, 0) }, nil},
		{"program len 0", func() error { return d.Program(4096, nil) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := d.Stats().Failed
			err := tc.op()
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
			assert.Equal(t, -22, ErrnoOf(err))
			assert.Equal(t, before+1, d.Stats().Failed)
		})
	}
	assert.Zero(t, d.Wear()[1], "the zero-length erase erased nothing")
	for _, k := range []OpKind{OpRead, OpProgram, OpErase} {
		assert.Zero(t, d.Cost(k, 1, math.MaxInt64), "no cost outside the device")
		w, err := NewChip("w25q128jv")
		require.NoError(t, err)
		assert.Positive(t, w.Cost(k, 0, w.Size()))
		assert.Zero(t, w.Cost(k, 0, w.Size()+1))
	}
}

func TestAlignedReads(t *testing.T) {
	d := mustNew(t, norCfg(func(c *Config) { c.AlignedReads = true }))
	assert.ErrorIs(t, d.Read(1, make([]byte, 4)), ErrMisaligned)
	assert.ErrorIs(t, d.Read(0, make([]byte, 3)), ErrMisaligned)
	assert.NoError(t, d.Read(4, make([]byte, 8)))
}

func TestNonUniform(t *testing.T) {
	d, err := NewChip("stm32f4")
	require.NoError(t, err)
	require.Equal(t, int64(1<<20), d.Size())
	require.Equal(t, 12, d.UnitCount())
	assert.Equal(t, []Run{{4, 16 << 10}, {1, 64 << 10}, {7, 128 << 10}}, d.Regions())
	d.Unprotect(0, d.Size())
	units := []struct {
		i           int
		start, size int64
	}{
		{0, 0, 16 << 10}, {3, 48 << 10, 16 << 10}, {4, 64 << 10, 64 << 10},
		{5, 128 << 10, 128 << 10}, {11, 896 << 10, 128 << 10},
	}
	for _, u := range units {
		start, size := d.Unit(u.i)
		assert.Equal(t, u.start, start, "unit %d", u.i)
		assert.Equal(t, u.size, size, "unit %d", u.i)
		for _, off := range []int64{u.start, u.start + u.size/2, u.start + u.size - 1} {
			i, s, n, ok := d.UnitAt(off)
			require.True(t, ok)
			assert.Equal(t, []int64{int64(u.i), u.start, u.size}, []int64{int64(i), s, n}, "UnitAt(%d)", off)
		}
		// Fill the unit's ends, erase exactly that unit, check neighbours.
		require.NoError(t, d.Program(u.start, []byte{0}))
		require.NoError(t, d.Program(u.start+u.size-1, []byte{0}))
		if u.i > 0 {
			require.NoError(t, d.Program(u.start-1, []byte{0}))
		}
		assert.ErrorIs(t, d.Erase(u.start, u.size/2), ErrMisaligned)
		assert.ErrorIs(t, d.Erase(u.start+4096, u.size-4096), ErrMisaligned)
		require.NoError(t, d.Erase(u.start, u.size))
		assert.Equal(t, []byte{0xff}, read(t, d, u.start, 1))
		assert.Equal(t, []byte{0xff}, read(t, d, u.start+u.size-1, 1))
		if u.i > 0 {
			assert.Equal(t, []byte{0}, read(t, d, u.start-1, 1), "previous unit untouched")
		}
		assert.EqualValues(t, 1, d.EraseCount(u.i))
	}
	_, _, _, ok := d.UnitAt(d.Size())
	assert.False(t, ok)
	_, _, _, ok = d.UnitAt(-1)
	assert.False(t, ok)
	// An erase spanning different unit sizes (sector 3 and 4).
	require.NoError(t, d.Erase(48<<10, 80<<10))
	assert.EqualValues(t, 2, d.EraseCount(3))
	assert.EqualValues(t, 2, d.EraseCount(4))
	assert.EqualValues(t, 0, d.EraseCount(2))
}

func TestProtection(t *testing.T) {
	d, err := NewChip("stm32f4")
	require.NoError(t, err)
	assert.True(t, d.Protected(0), "stm32f4 protects its boot sector")
	assert.False(t, d.Protected(1))
	tests := []struct {
		name string
		op   func() error
		want error
	}{
		{"program boot", func() error { return d.Program(16, []byte{0}) }, ErrProtected},
		{"erase boot", func() error { return d.Erase(0, 16<<10) }, ErrProtected},
		{"erase spanning boot", func() error { return d.Erase(0, 32<<10) }, ErrProtected},
		{"program spanning into boot end", func() error { return d.Program(16<<10-1, []byte{0, 0}) }, ErrProtected},
		{"program unit 1", func() error { return d.Program(16<<10, []byte{0}) }, nil},
		{"read boot", func() error { return d.Read(0, make([]byte, 4)) }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.op()
			if tc.want == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tc.want)
			assert.Equal(t, -13, ErrnoOf(err))
		})
	}
	assert.Equal(t, []byte{0xff, 0x00}, read(t, d, 16<<10-1, 2), "the refused program left the boot sector alone")
	d.Unprotect(0, 1)
	assert.False(t, d.Protected(0))
	require.NoError(t, d.Program(16, []byte{0}))
	d.Protect(200<<10, 1)
	assert.True(t, d.Protected(5))
	assert.ErrorIs(t, d.Erase(128<<10, 128<<10), ErrProtected)
}

func TestRAMLike(t *testing.T) {
	d := mustNew(t, norCfg(func(c *Config) { c.NoExplicitErase = true }))
	assert.True(t, d.NoExplicitErase())
	require.NoError(t, d.Program(0, []byte{0x0f, 0xf0, 0x00, 0xff}))
	require.NoError(t, d.Program(0, []byte{0xf0, 0x0f, 0xff, 0x00}), "RAM-like: any overwrite")
	assert.Equal(t, []byte{0xf0, 0x0f, 0xff, 0x00}, read(t, d, 0, 4))
	assert.Zero(t, d.Stats().Violations)
}

func TestConfigValidation(t *testing.T) {
	bad := []struct {
		name string
		c    Config
	}{
		{"no kind", Config{Size: 4096, EraseUnit: 4096, WriteBlock: 1}},
		{"zero unit", norCfg(func(c *Config) { c.EraseUnit = 0 })},
		{"size not multiple", norCfg(func(c *Config) { c.Size = 5000 })},
		{"write block not dividing", norCfg(func(c *Config) { c.WriteBlock = 3 })},
		{"write block zero", norCfg(func(c *Config) { c.WriteBlock = 0 })},
		{"huge size", norCfg(func(c *Config) { c.Size = math.MaxInt64 - math.MaxInt64%4096 })},
		{"too many units", norCfg(func(c *Config) { c.Size = 1 << 30; c.EraseUnit = 256 })},
		{"run overflow", Config{Kind: NOR, WriteBlock: 1, Units: []Run{{Count: math.MaxInt32, Size: math.MaxInt32}}}},
		{"run count overflow", Config{Kind: NOR, WriteBlock: 1, Units: []Run{{Count: 1 << 19, Size: 1}, {Count: 1 << 19, Size: 1}, {Count: 1, Size: 1}}}},
		{"negative run", Config{Kind: NOR, WriteBlock: 1, Units: []Run{{Count: -1, Size: 4096}}}},
		{"size mismatch runs", Config{Kind: NOR, Size: 1, WriteBlock: 1, Units: []Run{{Count: 1, Size: 4096}}}},
		{"max programs 256", norCfg(func(c *Config) { c.MaxPrograms = 256 })},
		{"negative timing", norCfg(func(c *Config) { c.Timing.ProgramNs = -1 })},
		{"zero-size erase time", norCfg(func(c *Config) { c.Timing.EraseNs = []EraseTime{{Size: 0, Ns: 1}} })},
		{"bad violation mode", norCfg(func(c *Config) { c.Violations = 7 })},
		{"nor with pages", norCfg(func(c *Config) { c.PageSize = 512 })},
		{"nand page too big", nandCfg(func(c *Config) { c.PageSize = 64 << 10; c.OOBSize = 1 })},
		{"nand oob negative", nandCfg(func(c *Config) { c.OOBSize = -1 })},
		{"nand blocks overflow", nandCfg(func(c *Config) { c.Blocks = math.MaxInt32 })},
		{"nand ecc step", nandCfg(func(c *Config) { c.ECCStep = 300 })},
		{"nand bad block outside", nandCfg(func(c *Config) { c.BadBlocks = []int{16} })},
		{"nand mark page outside", nandCfg(func(c *Config) { c.BadMarkPages = []int{8} })},
		{"nand mark offset outside", nandCfg(func(c *Config) { c.BadMarkOffset = 16 })},
		{"nand no oob with bad blocks", nandCfg(func(c *Config) { c.OOBSize = 0; c.BadBlocks = []int{1} })},
		{"nand ram-like", nandCfg(func(c *Config) { c.NoExplicitErase = true })},
		{"nand write block", nandCfg(func(c *Config) { c.WriteBlock = 300 })},
		{"nand nop", nandCfg(func(c *Config) { c.NOP = 70000 })},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(tc.c)
			assert.Nil(t, d)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Equal(t, -22, ErrnoOf(err))
		})
	}
	good := []struct {
		name  string
		c     Config
		chunk int64
	}{
		{"wb larger than 4K", Config{Kind: NOR, Size: 64 << 10, EraseUnit: 8192, WriteBlock: 8192, EraseValue: 0xff}, 8192},
		{"odd unit", Config{Kind: NOR, Size: 3 * 4097, EraseUnit: 4097, WriteBlock: 1}, 4097 / 17},
		{"12K units", Config{Kind: NOR, Size: 3 * 12288, EraseUnit: 12288, WriteBlock: 4}, 4096},
		{"nand oob 0", nandCfg(func(c *Config) { c.OOBSize = 0 }), 512},
	}
	for _, tc := range good {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(tc.c)
			require.NoError(t, err)
			assert.Equal(t, tc.chunk, d.g.chunk)
			assert.Zero(t, d.g.chunk%d.g.wb)
			p := pattern(int(d.WriteBlock())*2, 1)
			require.NoError(t, d.Program(d.Size()-int64(len(p)), p))
			assert.Equal(t, p, read(t, d, d.Size()-int64(len(p)), int64(len(p))))
		})
	}
	// The caller's slices are not aliased by the device.
	c := nandCfg(func(c *Config) { c.BadMarkPages = []int{-1} })
	d := mustNew(t, c)
	assert.Equal(t, []int{-1}, c.BadMarkPages)
	assert.Equal(t, []int{7}, d.Config().BadMarkPages)
}

func TestErrnoOf(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{ErrInvalid, -22}, {ErrOutOfRange, -22}, {ErrMisaligned, -22},
		{ErrProgramViolation, -5}, {ErrProgramLimit, -5}, {ErrPageOrder, -5},
		{ErrProtected, -13}, {ErrPowerLoss, -5}, {ErrBadMsg, -77}, {ErrBadBlock, -5},
		{ErrNotSupported, -134}, {ErrCorruptImage, -22}, {ErrUnknownChip, -22},
		{errors.New("plain"), -5},
		{ENOSPC, -28},
		{NewError("x: y", EFBIG), -27},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, ErrnoOf(tc.err), "%v", tc.err)
	}
	n, ok := ErrnoByName("-ENOSPC")
	assert.True(t, ok)
	assert.Equal(t, ENOSPC, n)
	assert.Equal(t, "EBADMSG (-77)", EBADMSG.Error())
	assert.Equal(t, "E999", Errno(999).Name())
}

func TestWearAndStats(t *testing.T) {
	d := mustNew(t, norCfg())
	for i := 0; i < 3; i++ {
		require.NoError(t, d.Erase(0, 8192))
	}
	require.NoError(t, d.Erase(4096*15, 4096))
	w := d.Wear()
	assert.EqualValues(t, 3, w[0])
	assert.EqualValues(t, 3, w[1])
	assert.EqualValues(t, 0, w[2])
	assert.EqualValues(t, 1, w[15])
	assert.EqualValues(t, 0, d.EraseCount(-1))
	require.NoError(t, d.Program(0, make([]byte, 16)))
	_ = read(t, d, 0, 100)
	_ = d.Program(1, make([]byte, 4)) // fails
	s := d.Stats()
	assert.EqualValues(t, 4, s.Erases)
	assert.EqualValues(t, 3*8192+4096, s.BytesErased)
	assert.EqualValues(t, 1, s.Programs)
	assert.EqualValues(t, 16, s.BytesProgrammed)
	assert.EqualValues(t, 1, s.Reads)
	assert.EqualValues(t, 100, s.BytesRead)
	assert.EqualValues(t, 1, s.Failed)
	assert.Zero(t, d.ReadsSinceErase(0), "reads are counted only while tracked (TrackReads)")
	assert.Equal(t, s.ReadNs+s.ProgramNs+s.EraseNs, d.Now())
}

func TestRawAccessorBounds(t *testing.T) {
	d := mustNew(t, norCfg())
	d.Protect(4096, math.MaxInt64) // overflow-safe: protects to the end
	assert.True(t, d.Protected(15))
	assert.False(t, d.Protected(0))
	d.Unprotect(0, math.MaxInt64)
	assert.False(t, d.Protected(15))
	d.Protect(-1, 10)
	d.Protect(d.Size(), 10)
	assert.False(t, d.Protected(0))
	d.AddWear(0, math.MaxUint32)
	d.AddWear(0, 5)
	assert.EqualValues(t, uint32(math.MaxUint32), d.EraseCount(0), "wear saturates")
	d.AddWear(-1, 1)
	d.AddWear(99, 1)
	for name, err := range map[string]error{
		"peek":      d.Peek(-1, make([]byte, 4)),
		"peek end":  d.Peek(d.Size()-2, make([]byte, 4)),
		"poke":      d.Poke(math.MaxInt64, []byte{1}),
		"apply":     d.ApplyProgram(d.Size(), []byte{1}),
		"erase":     d.ApplyErase(16),
		"flips":     d.XorFlips(-8, []byte{1}),
		"unstable":  d.SetUnstable(d.Size(), []byte{1}),
		"peek oob":  d.PeekOOB(0, nil),
		"poke oob":  d.PokeOOB(0, nil),
		"page prog": d.ApplyProgramPage(0, nil, nil),
	} {
		assert.Error(t, err, name)
	}
	assert.Zero(t, d.FlipCount(-1, 10))
	assert.Zero(t, d.ReadsSinceErase(-1))
	assert.Zero(t, d.LastProgramNs(99))
	s, n := d.Unit(99)
	assert.Zero(t, s+n)
	n2 := mustNew(t, nandCfg())
	assert.ErrorIs(t, n2.PeekOOB(0, make([]byte, 17)), ErrOutOfRange)
	assert.ErrorIs(t, n2.PokeOOB(128, []byte{1}), ErrOutOfRange)
	assert.ErrorIs(t, n2.ApplyProgramPage(0, make([]byte, 513), nil), ErrOutOfRange)
	require.NoError(t, n2.PokeOOB(3, []byte{0xff, 0x42}))
	oob := make([]byte, 2)
	require.NoError(t, n2.PeekOOB(3, oob))
	assert.Equal(t, []byte{0xff, 0x42}, oob)
}
