package emu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readOOBBoth reads page's spare area with ReadOOB and with ReadPage's spare
// part; both must agree for stable bits.
func readOOBBoth(t *testing.T, d *Device, page int) (viaOOB, viaPage []byte) {
	t.Helper()
	viaOOB, viaPage = make([]byte, d.OOBSize()), make([]byte, d.OOBSize())
	require.NoError(t, d.ReadOOB(page, viaOOB))
	_, err := d.ReadPage(page, make([]byte, d.PageSize()), viaPage)
	require.NoError(t, err)
	return viaOOB, viaPage
}

func TestOOBOverlays(t *testing.T) {
	spare := []byte{0x12, 0x34, 0x56, 0x78}
	tests := []struct {
		name  string
		apply func(d *Device) error
		// want is the spare area read back (both read paths); nil when
		// unstable (checked separately).
		want      []byte
		flips     []byte // PeekFlipsOOB of the first 4 bytes
		unstable  []byte // PeekUnstableOOB of the first 4 bytes
		dataClean bool   // the data area reads without ECC errors
	}{
		{"none", func(d *Device) error { return nil },
			spare, make([]byte, 4), make([]byte, 4), true},
		{"flips", func(d *Device) error { return d.XorFlipsOOB(3, []byte{0x01, 0, 0x80}) },
			[]byte{0x13, 0x34, 0xd6, 0x78}, []byte{0x01, 0, 0x80, 0}, make([]byte, 4), true},
		{"flips toggled back", func(d *Device) error {
			if err := d.XorFlipsOOB(3, []byte{0x01}); err != nil {
				return err
			}
			return d.XorFlipsOOB(3, []byte{0x01})
		}, spare, make([]byte, 4), make([]byte, 4), true},
		{"stuck", func(d *Device) error { return d.SetStuckOOB(3, 1, 0, true) },
			[]byte{0x12, 0x35, 0x56, 0x78}, make([]byte, 4), make([]byte, 4), true},
		{"unstable", func(d *Device) error { return d.SetUnstableOOB(3, []byte{0, 0xff}) },
			nil, make([]byte, 4), []byte{0, 0xff, 0, 0}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustNew(t, nandCfg())
			data := pattern(512, 9)
			require.NoError(t, d.ProgramPage(3, data, spare))
			require.NoError(t, tc.apply(d))
			f, u := make([]byte, 4), make([]byte, 4)
			require.NoError(t, d.PeekFlipsOOB(3, f))
			require.NoError(t, d.PeekUnstableOOB(3, u))
			assert.Equal(t, tc.flips, f)
			assert.Equal(t, tc.unstable, u)
			stored := make([]byte, 4)
			require.NoError(t, d.PeekOOB(3, stored))
			assert.Equal(t, spare, stored, "overlays never change the stored bits")
			ecc, err := d.ReadECC(3*512, make([]byte, 512))
			require.NoError(t, err)
			assert.Zero(t, ecc, "the ECC model does not cover the spare area")
			a, b := readOOBBoth(t, d, 3)
			if tc.want != nil {
				assert.Equal(t, tc.want, a[:4])
				assert.Equal(t, tc.want, b[:4])
			} else {
				// Unstable: byte 1 changes between reads, the rest is stable.
				seen := map[byte]bool{}
				for i := 0; i < 16; i++ {
					a, b := readOOBBoth(t, d, 3)
					assert.Equal(t, []byte{0x12, 0x56, 0x78}, []byte{a[0], a[2], a[3]})
					assert.Equal(t, []byte{0x12, 0x56, 0x78}, []byte{b[0], b[2], b[3]})
					seen[a[1]], seen[b[1]] = true, true
				}
				assert.Greater(t, len(seen), 4, "unstable spare bits read randomly")
			}
			assert.Equal(t, 0, d.FlipCount(3*512, 512), "no data-area errors")
			// Erase clears flips and unstable bits, stuck bits stay.
			require.NoError(t, d.Erase(0, 8*512))
			a, _ = readOOBBoth(t, d, 3)
			want := rep(0xff, 16)
			if tc.name == "stuck" {
				want[1] = 0xff // stuck at 1 on an erased 1: invisible
			}
			assert.Equal(t, want, a)
			require.NoError(t, d.PeekFlipsOOB(3, f))
			require.NoError(t, d.PeekUnstableOOB(3, u))
			assert.Equal(t, make([]byte, 4), f)
			assert.Equal(t, make([]byte, 4), u)
		})
	}
}

func TestStuckOOBSurvivesErase(t *testing.T) {
	d := mustNew(t, nandCfg())
	require.NoError(t, d.SetStuckOOB(10, 0, 7, false)) // the bad-block mark byte of no mark page
	require.NoError(t, d.Erase(8*512, 8*512))
	oob := make([]byte, 1)
	require.NoError(t, d.ReadOOB(10, oob))
	assert.Equal(t, byte(0x7f), oob[0])
	assert.False(t, d.IsBad(1), "IsBad looks at the stored bits")
	s := FromSnapshot(d.Snapshot())
	require.NoError(t, s.ReadOOB(10, oob))
	assert.Equal(t, byte(0x7f), oob[0], "snapshots keep stuck spare bits")
}

func TestPeekOverlays(t *testing.T) {
	d := mustNew(t, norCfg())
	require.NoError(t, d.Program(4092, rep(0, 8))) // across a chunk boundary
	require.NoError(t, d.XorFlips(4095, []byte{0x10, 0x01}))
	require.NoError(t, d.SetUnstable(4094, []byte{0x80}))
	f, u := make([]byte, 4), make([]byte, 4)
	require.NoError(t, d.PeekFlips(4094, f))
	require.NoError(t, d.PeekUnstable(4094, u))
	assert.Equal(t, []byte{0, 0x10, 0x01, 0}, f)
	assert.Equal(t, []byte{0x80, 0, 0, 0}, u)
	require.NoError(t, d.PeekFlips(60000, f))
	assert.Equal(t, make([]byte, 4), f, "an erased chunk has no overlay")
	assert.Equal(t, 2, d.FlipCount(4094, 4))
}

func TestOOBOverlayErrors(t *testing.T) {
	nor := mustNew(t, norCfg())
	nand := mustNew(t, nandCfg())
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"nor flips", nor.XorFlipsOOB(0, []byte{1}), ErrNotSupported},
		{"nor unstable", nor.SetUnstableOOB(0, []byte{1}), ErrNotSupported},
		{"nor stuck", nor.SetStuckOOB(0, 0, 0, true), ErrNotSupported},
		{"nor peek", nor.PeekFlipsOOB(0, make([]byte, 1)), ErrNotSupported},
		{"page", nand.XorFlipsOOB(128, []byte{1}), ErrOutOfRange},
		{"negative page", nand.SetUnstableOOB(-1, []byte{1}), ErrOutOfRange},
		{"too long", nand.XorFlipsOOB(0, make([]byte, 17)), ErrOutOfRange},
		{"peek too long", nand.PeekUnstableOOB(0, make([]byte, 17)), ErrOutOfRange},
		{"stuck col", nand.SetStuckOOB(0, 16, 0, true), ErrOutOfRange},
		{"stuck negative col", nand.SetStuckOOB(0, -1, 0, true), ErrOutOfRange},
		{"stuck bit", nand.SetStuckOOB(0, 0, 8, true), ErrOutOfRange},
		{"peek flips", nand.PeekFlips(-1, make([]byte, 1)), ErrOutOfRange},
		{"peek unstable", nand.PeekUnstable(nand.Size(), make([]byte, 1)), ErrOutOfRange},
	}
	for _, tc := range tests {
		assert.ErrorIs(t, tc.err, tc.want, tc.name)
	}
	assert.Zero(t, nand.Stats().Failed, "raw accessors are not operations")
}
