package emu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNANDGeometry(t *testing.T) {
	d := mustNew(t, nandCfg())
	assert.Equal(t, NAND, d.Kind())
	assert.Equal(t, byte(0xff), d.EraseValue())
	assert.Equal(t, 512, d.PageSize())
	assert.Equal(t, 16, d.OOBSize())
	assert.Equal(t, 128, d.Pages())
	assert.Equal(t, 512, d.WriteBlock(), "write block defaults to the page")
	assert.Equal(t, 16, d.UnitCount())
	assert.Equal(t, int64(16*8*512), d.Size())
	assert.Equal(t, 3, d.Block(27))
	n := mustNew(t, norCfg())
	assert.Zero(t, n.PageSize())
	assert.Zero(t, n.Pages())
	assert.ErrorIs(t, n.ReadOOB(0, make([]byte, 1)), ErrNotSupported)
	assert.ErrorIs(t, n.ProgramPage(0, nil, nil), ErrNotSupported)
	_, err := n.ReadPage(0, nil, nil)
	assert.ErrorIs(t, err, ErrNotSupported)
	assert.False(t, n.IsBad(0))
}

func TestNANDOrderAndNOP(t *testing.T) {
	page := func(p int) int64 { return int64(p) * 512 }
	tests := []struct {
		name string
		ops  func(d *Device) error // the last op's error is checked
		want error
	}{
		{"ascending", func(d *Device) error {
			for p := 0; p < 8; p++ {
				if err := d.Program(page(p), pattern(512, byte(p))); err != nil {
					return err
				}
			}
			return nil
		}, nil},
		{"skip is fine", func(d *Device) error {
			_ = d.Program(page(1), rep(0, 512))
			return d.Program(page(5), rep(0, 512))
		}, nil},
		{"backwards", func(d *Device) error {
			_ = d.Program(page(3), rep(0, 512))
			return d.Program(page(2), rep(0, 512))
		}, ErrPageOrder},
		{"other block independent", func(d *Device) error {
			_ = d.Program(page(7), rep(0, 512))
			return d.Program(page(8), rep(0, 512))
		}, nil},
		{"nop 2 partial programs", func(d *Device) error {
			_ = d.Program(page(0), append(rep(0, 256), rep(0xff, 256)...))
			return d.Program(page(0), rep(0, 512))
		}, nil},
		{"nop exceeded", func(d *Device) error {
			_ = d.Program(page(0), rep(0xf0, 512))
			_ = d.Program(page(0), rep(0x00, 512))
			return d.Program(page(0), rep(0x00, 512))
		}, ErrProgramLimit},
		{"oob counts against nop", func(d *Device) error {
			_ = d.WriteOOB(1, []byte{0xff, 1}) // byte 0 of page 0 would be the bad-block mark
			_ = d.Program(page(1), rep(0, 512))
			return d.WriteOOB(1, []byte{0xff, 0})
		}, ErrProgramLimit},
		{"program page is one nop", func(d *Device) error {
			_ = d.ProgramPage(1, rep(0xf0, 512), []byte{0xff, 0xf0})
			return d.ProgramPage(1, rep(0, 512), []byte{0xff, 0})
		}, nil},
		{"writing the mark byte does not make the chip refuse the block", func(d *Device) error {
			_ = d.WriteOOB(8, []byte{0})
			return d.Program(page(9), rep(0, 512))
		}, nil},
		{"a grown-bad block refuses programs", func(d *Device) error {
			_ = d.MarkBad(1)
			return d.Program(page(9), rep(0, 512))
		}, ErrBadBlock},
		{"multi-page program refused whole", func(d *Device) error {
			_ = d.Program(page(2), rep(0, 512))
			return d.Program(page(1), rep(0, 1024))
		}, ErrPageOrder},
		{"erase resets order", func(d *Device) error {
			_ = d.Program(page(5), rep(0, 512))
			_ = d.Erase(0, 4096)
			return d.Program(page(0), rep(0, 512))
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustNew(t, nandCfg())
			err := tc.ops(d)
			if tc.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tc.want)
				assert.Equal(t, -5, ErrnoOf(err))
				if tc.want != ErrBadBlock {
					assert.NotZero(t, d.Stats().LimitViolations)
				}
			}
		})
	}
	t.Run("refused whole: nothing changes", func(t *testing.T) {
		d := mustNew(t, nandCfg())
		require.NoError(t, d.Program(page(2), rep(0, 512)))
		h := d.StateHash()
		require.ErrorIs(t, d.Program(page(1), rep(0x00, 1024)), ErrPageOrder)
		assert.Equal(t, h, d.StateHash())
		assert.Equal(t, rep(0xff, 512), read(t, d, page(1), 512))
	})
	t.Run("count mode stores and counts", func(t *testing.T) {
		d := mustNew(t, nandCfg(func(c *Config) { c.Violations = ViolationsCount }))
		require.NoError(t, d.Program(page(3), rep(0, 512)))
		require.NoError(t, d.Program(page(1), rep(0x11, 512)))
		assert.Equal(t, rep(0x11, 512), read(t, d, page(1), 512))
		for i := 0; i < 3; i++ {
			require.NoError(t, d.Program(page(3), rep(0, 512)))
		}
		assert.EqualValues(t, 1+2, d.Stats().LimitViolations, "one out of order, two past NOP")
	})
	t.Run("misaligned partial", func(t *testing.T) {
		d := mustNew(t, nandCfg())
		err := d.Program(page(0)+256, rep(0, 256))
		assert.ErrorIs(t, err, ErrMisaligned)
		assert.Equal(t, -22, ErrnoOf(err))
	})
	t.Run("partial write block", func(t *testing.T) {
		d := mustNew(t, nandCfg(func(c *Config) { c.WriteBlock = 256 }))
		require.NoError(t, d.Program(page(0)+256, rep(0, 256)))
		require.NoError(t, d.Program(page(0), rep(0x0f, 256)), "same page again: NOP 2")
		assert.Equal(t, append(rep(0x0f, 256), rep(0, 256)...), read(t, d, 0, 512))
	})
}

func TestNANDOOB(t *testing.T) {
	d := mustNew(t, nandCfg())
	oob := make([]byte, 16)
	require.NoError(t, d.ReadOOB(9, oob))
	assert.Equal(t, rep(0xff, 16), oob)
	require.NoError(t, d.WriteOOB(9, []byte{1, 2, 3}))
	require.NoError(t, d.ReadOOB(9, oob))
	assert.Equal(t, append([]byte{1, 2, 3}, rep(0xff, 13)...), oob)
	assert.Equal(t, rep(0xff, 512), read(t, d, 9*512, 512), "OOB writes leave data alone")
	assert.ErrorIs(t, d.WriteOOB(9, []byte{0xff}), ErrProgramViolation, "0 -> 1 in OOB")
	assert.ErrorIs(t, d.WriteOOB(9, make([]byte, 17)), ErrOutOfRange)
	assert.ErrorIs(t, d.ReadOOB(128, oob), ErrOutOfRange)
	assert.ErrorIs(t, d.ReadOOB(-1, oob), ErrOutOfRange)

	// A page program writes data and spare in one command.
	data := pattern(512, 3)
	require.NoError(t, d.ProgramPage(16, data, []byte{0xff, 0xaa, 0xbb}))
	assert.False(t, d.IsBad(2))
	got, gotOOB := make([]byte, 512), make([]byte, 16)
	rep0, err := d.ReadPage(16, got, gotOOB)
	require.NoError(t, err)
	assert.Zero(t, rep0)
	assert.Equal(t, data, got)
	assert.Equal(t, []byte{0xff, 0xaa, 0xbb, 0xff}, gotOOB[:4])
	// Oversized buffers are clipped to the page.
	big, bigOOB := make([]byte, 600), make([]byte, 20)
	_, err = d.ReadPage(16, big, bigOOB)
	require.NoError(t, err)
	assert.Equal(t, data, big[:512])
	assert.Equal(t, byte(0), big[599], "beyond the page untouched")
	// ProgramPage refuses a data violation with nothing changed, OOB included.
	require.NoError(t, d.ProgramPage(17, rep(0xf0, 512), []byte{0xff, 0x0f}))
	h := d.StateHash()
	require.ErrorIs(t, d.ProgramPage(17, rep(0x00, 512), []byte{0xff, 0xff}), ErrProgramViolation)
	assert.EqualValues(t, 2, d.Stats().Violations, "the earlier OOB refusal plus only the OOB byte here")
	assert.Equal(t, h, d.StateHash())
	assert.ErrorIs(t, d.ProgramPage(17, make([]byte, 513), nil), ErrOutOfRange)
	assert.ErrorIs(t, d.ProgramPage(17, make([]byte, 100), nil), ErrMisaligned)
	// One command each: one op, one tR/tPROG.
	c, err := NewChip("mt29f1g08")
	require.NoError(t, err)
	seq, now := c.Seq(), c.Now()
	require.NoError(t, c.ProgramPage(0, make([]byte, 2048), make([]byte, 64)))
	assert.Equal(t, seq+1, c.Seq())
	assert.Equal(t, c.PageCost(OpProgram, 2048, 64), c.Now()-now)
	tm := c.Timing()
	assert.Equal(t, tm.OpOverheadNs+tm.Xfer(int64(tm.ProgramCmdBytes)+2048+64)+tm.ProgramNs, c.Now()-now)
	now = c.Now()
	_, err = c.ReadPage(0, make([]byte, 2048), make([]byte, 64))
	require.NoError(t, err)
	assert.Equal(t, tm.OpOverheadNs+tm.Xfer(int64(tm.ReadCmdBytes)+2048+64)+tm.ReadNs, c.Now()-now)
	assert.EqualValues(t, 2048+64, c.Stats().BytesRead)
}

func TestNANDECC(t *testing.T) {
	// ECC 2 bits per 256-byte step; a 512-byte page has two steps.
	tests := []struct {
		name        string
		flips       map[int]byte // byte offset in page -> flip mask
		err         error
		corrected   int
		steps       int
		failed      int
		maxBitflips int
	}{
		{"clean", nil, nil, 0, 0, 0, 0},
		{"one bit", map[int]byte{10: 0x01}, nil, 1, 1, 0, 1},
		{"two bits one step", map[int]byte{10: 0x01, 200: 0x80}, nil, 2, 1, 0, 2},
		{"two steps corrected", map[int]byte{10: 0x03, 300: 0x01}, nil, 3, 2, 0, 2},
		{"uncorrectable", map[int]byte{10: 0x07}, ErrBadMsg, 0, 0, 1, 3},
		{"one bad one corrected", map[int]byte{10: 0x0f, 400: 0x01}, ErrBadMsg, 1, 1, 1, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustNew(t, nandCfg())
			data := pattern(512, 9)
			require.NoError(t, d.Program(512, data))
			for off, m := range tc.flips {
				require.NoError(t, d.XorFlips(512+int64(off), []byte{m}))
			}
			got := make([]byte, 512)
			rep, err := d.ReadECC(512, got)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				assert.Equal(t, -77, ErrnoOf(err))
			} else {
				require.NoError(t, err)
			}
			assert.Equal(t, ECCReport{Corrected: tc.corrected, CorrectedSteps: tc.steps, Failed: tc.failed, MaxBitflips: tc.maxBitflips}, rep)
			assert.Equal(t, rep, d.LastECC())
			// Corrected steps return the stored data, failed steps the raw bits.
			for s := 0; s < 2; s++ {
				bad := 0
				for off, m := range tc.flips {
					if off/256 == s {
						bad += popcount(m)
					}
				}
				want := append([]byte(nil), data[s*256:(s+1)*256]...)
				if bad > 2 {
					for off, m := range tc.flips {
						if off/256 == s {
							want[off-s*256] ^= m
						}
					}
				}
				assert.Equal(t, want, got[s*256:(s+1)*256], "step %d", s)
			}
			st := d.Stats()
			assert.EqualValues(t, tc.corrected, st.ECCCorrectedBits)
			assert.EqualValues(t, tc.steps, st.ECCCorrectedSteps)
			assert.EqualValues(t, tc.failed, st.ECCFailedSteps)
			// A partial read only judges the steps it touches.
			part := make([]byte, 16)
			r2, err := d.ReadECC(512+256+16, part)
			assert.Equal(t, data[256+16:256+32], part)
			if _, ok := tc.flips[400]; ok || tc.flips[300] != 0 {
				assert.NotZero(t, r2.CorrectedSteps)
			} else {
				assert.NoError(t, err)
				assert.Zero(t, r2)
			}
			// ECC off: raw bits.
		})
	}
	t.Run("ecc off returns raw bits", func(t *testing.T) {
		d := mustNew(t, nandCfg(func(c *Config) { c.ECCBits = 0 }))
		require.NoError(t, d.Program(0, rep(0, 512)))
		require.NoError(t, d.XorFlips(3, []byte{0xff}))
		got := read(t, d, 0, 8)
		assert.Equal(t, []byte{0, 0, 0, 0xff, 0, 0, 0, 0}, got)
		assert.Zero(t, d.LastECC())
	})
	t.Run("erase clears flips", func(t *testing.T) {
		d := mustNew(t, nandCfg())
		require.NoError(t, d.XorFlips(0, []byte{0xff}))
		assert.Equal(t, 8, d.FlipCount(0, 512))
		require.NoError(t, d.Erase(0, 4096))
		assert.Zero(t, d.FlipCount(0, 512))
		_, err := d.ReadECC(0, make([]byte, 512))
		assert.NoError(t, err)
	})
	t.Run("uncorrectable page still fills oob", func(t *testing.T) {
		d := mustNew(t, nandCfg())
		require.NoError(t, d.ProgramPage(0, rep(0, 512), []byte{0x42}))
		require.NoError(t, d.XorFlips(0, []byte{0xff}))
		oob := make([]byte, 1)
		r, err := d.ReadPage(0, make([]byte, 512), oob)
		assert.ErrorIs(t, err, ErrBadMsg)
		assert.Equal(t, 1, r.Failed)
		assert.Equal(t, []byte{0x42}, oob)
	})
	t.Run("stuck bits on an erased page go through ECC", func(t *testing.T) {
		d := mustNew(t, nandCfg())
		require.NoError(t, d.SetStuck(5, 0, false))
		r, err := d.ReadECC(0, make([]byte, 512))
		require.NoError(t, err)
		assert.Equal(t, 1, r.Corrected)
	})
}

func popcount(b byte) int {
	n := 0
	for ; b != 0; b &= b - 1 {
		n++
	}
	return n
}

func TestBadBlocks(t *testing.T) {
	tests := []struct {
		name      string
		markPages []int
		wantPages []int
		offset    int
	}{
		{"default page 0 byte 0", nil, []int{0}, 0},
		{"second page (Samsung SLC)", []int{1}, []int{1}, 0},
		{"last page (MLC)", []int{-1}, []int{7}, 0},
		{"first and second, byte 5", []int{0, 1}, []int{0, 1}, 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustNew(t, nandCfg(func(c *Config) {
				c.BadBlocks = []int{2, 9}
				c.BadMarkPages = tc.markPages
				c.BadMarkOffset = tc.offset
			}))
			assert.Equal(t, []BadBlock{{2, BadFactory}, {9, BadFactory}}, d.BadBlocks())
			for _, p := range tc.wantPages {
				oob := make([]byte, 16)
				require.NoError(t, d.PeekOOB(2*8+p, oob))
				assert.NotEqual(t, byte(0xff), oob[tc.offset], "mark on page %d", p)
			}
			assert.ErrorIs(t, d.Erase(2*4096, 4096), ErrBadBlock)
			assert.ErrorIs(t, d.Erase(0, 4*4096), ErrBadBlock, "a range covering a bad block")
			assert.ErrorIs(t, d.Program(9*4096, rep(0, 512)), ErrBadBlock)
			assert.ErrorIs(t, d.WriteOOB(9*8, []byte{0}), ErrBadBlock)
			_, err := d.ReadPage(9*8, make([]byte, 512), nil)
			assert.NoError(t, err, "reading a bad block is allowed")
			// Marks survive raw erases (fault models) and snapshots.
			require.NoError(t, d.ApplyErase(2))
			assert.True(t, d.IsBad(2))
			assert.True(t, FromSnapshot(d.Snapshot()).IsBad(9))
			// A worn-out block marked at run time.
			assert.False(t, d.IsBad(5))
			require.NoError(t, d.MarkBad(5))
			assert.True(t, d.IsBad(5))
			assert.Equal(t, []BadBlock{{2, BadFactory}, {5, BadGrown}, {9, BadFactory}}, d.BadBlocks())
			assert.ErrorIs(t, d.MarkBad(16), ErrOutOfRange)
			assert.False(t, d.IsBad(-1))
			assert.False(t, d.IsBad(16))
		})
	}
	d := mustNew(t, nandCfg(func(c *Config) { c.OOBSize = 0 }))
	assert.ErrorIs(t, d.MarkBad(1), ErrNotSupported)
	assert.False(t, d.IsBad(1))
}

func TestStuckBits(t *testing.T) {
	for _, kind := range []string{"nor", "nand-no-ecc"} {
		t.Run(kind, func(t *testing.T) {
			c := norCfg()
			if kind != "nor" {
				c = nandCfg(func(c *Config) { c.ECCBits = 0 })
			}
			d := mustNew(t, c)
			require.NoError(t, d.SetStuck(100, 3, false))
			require.NoError(t, d.SetStuck(100, 0, true))
			require.NoError(t, d.SetStuck(101, 7, false))
			assert.Equal(t, []byte{0xf7, 0x7f}, read(t, d, 100, 2), "stuck bits show on erased cells")
			assert.Equal(t, []byte{0xff, 0xff}, peek(t, d, 100, 2), "Peek shows the stored bits")
			data := rep(0, 512)
			require.NoError(t, d.Program(0, data))
			assert.Equal(t, []byte{0x01, 0x00}, read(t, d, 100, 2), "stuck at 1 over programmed zeros")
			require.NoError(t, d.Erase(0, 4096))
			assert.Equal(t, []byte{0xf7, 0x7f}, read(t, d, 100, 2), "stuck bits survive erase")
			assert.Equal(t, []byte{0xff}, read(t, d, 99, 1))
			assert.ErrorIs(t, d.SetStuck(100, 8, true), ErrOutOfRange)
			assert.ErrorIs(t, d.SetStuck(d.Size(), 0, true), ErrOutOfRange)
		})
	}
}

func TestUnstableBits(t *testing.T) {
	readSeq := func(seed uint64) [][]byte {
		d := mustNew(t, norCfg(func(c *Config) { c.Seed = seed }))
		require.NoError(t, d.Program(0, rep(0x00, 16)))
		require.NoError(t, d.SetUnstable(0, append(rep(0xff, 4), rep(0, 8)...)))
		var out [][]byte
		for i := 0; i < 8; i++ {
			out = append(out, read(t, d, 0, 16))
		}
		for _, r := range out {
			assert.Equal(t, rep(0, 8), r[4:12], "stable bytes stay")
		}
		require.NoError(t, d.Erase(0, 4096))
		for i := 0; i < 4; i++ {
			assert.Equal(t, rep(0xff, 16), read(t, d, 0, 16), "stable after erase")
		}
		return out
	}
	a, b := readSeq(1), readSeq(1)
	assert.Equal(t, a, b, "deterministic per seed")
	c := readSeq(2)
	assert.NotEqual(t, a, c, "seed changes the draws")
	distinct := map[string]bool{}
	for _, r := range a {
		distinct[string(r[:4])] = true
	}
	assert.Greater(t, len(distinct), 4, "unstable bits change between reads")
}

func TestPower(t *testing.T) {
	d := mustNew(t, nandCfg())
	require.NoError(t, d.Program(0, rep(0x12, 512)))
	d.PowerOff()
	assert.False(t, d.Powered())
	seq := d.Seq()
	ops := map[string]func() error{
		"read":        func() error { return d.Read(0, make([]byte, 4)) },
		"read bad":    func() error { return d.Read(-1, make([]byte, 4)) },
		"program":     func() error { return d.Program(512, rep(0, 512)) },
		"erase":       func() error { return d.Erase(0, 4096) },
		"read oob":    func() error { return d.ReadOOB(0, make([]byte, 1)) },
		"write oob":   func() error { return d.WriteOOB(0, []byte{0}) },
		"readpage":    func() error { _, err := d.ReadPage(0, make([]byte, 512), nil); return err },
		"programpage": func() error { return d.ProgramPage(1, rep(0, 512), nil) },
	}
	for name, op := range ops {
		err := op()
		assert.ErrorIs(t, err, ErrPowerLoss, name)
		assert.Equal(t, -5, ErrnoOf(err), name)
	}
	assert.Equal(t, seq, d.Seq(), "refused ops get no sequence number")
	d.PowerOn()
	assert.True(t, d.Powered())
	assert.Equal(t, rep(0x12, 512), read(t, d, 0, 512), "content survives")
}
