package faults_test

import (
	"bytes"
	"math/bits"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ones(b []byte) int {
	n := 0
	for _, v := range b {
		n += bits.OnesCount8(v)
	}
	return n
}

// programmedBits counts the bits of b that are programmed (0 on 0xFF NAND).
func programmedBits(b []byte) int { return 8*len(b) - ones(b) }

// TestTornPageCommandTearsSpare: a power cut inside a NAND page program
// command (ProgramPage with data and spare, ProgramPage or WriteOOB with
// spare only) tears the spare area too, by the model: Scatter stores a
// random part of the spare bits, Metastable stores them all and makes the
// missed ones unstable; with ECC the data's missed bits are bit errors while
// the spare (not ECC-covered) keeps raw torn bits. The command consumes the
// page's only NOP either way.
func TestTornPageCommandTearsSpare(t *testing.T) {
	const page = 3
	zeros := func(n int) []byte { return make([]byte, n) } // every bit programmed: all pending
	tests := []struct {
		name  string
		ecc   int
		model faults.Model
		data  []byte // nil: spare only
		write bool   // WriteOOB instead of ProgramPage
	}{
		{"page scatter", 0, faults.Scatter, zeros(512), false},
		{"page metastable", 0, faults.Metastable, zeros(512), false},
		{"page ecc scatter", 4, faults.Scatter, zeros(512), false},
		{"page ecc metastable", 4, faults.Metastable, zeros(512), false},
		{"spare-only page scatter", 0, faults.Scatter, nil, false},
		{"spare-only page metastable", 0, faults.Metastable, nil, false},
		{"writeoob scatter", 4, faults.Scatter, nil, true},
		{"writeoob metastable", 0, faults.Metastable, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := newNAND(t, 1, tc.ecc)
			inj, err := faults.Attach(d, faults.Plan{Seed: 11, Faults: []faults.Fault{faults.CutAt(d.Seq(), 0.5, tc.model)}})
			require.NoError(t, err)
			spare := zeros(16)
			if tc.write {
				err = d.WriteOOB(page, spare)
			} else {
				err = d.ProgramPage(page, tc.data, spare)
			}
			require.ErrorIs(t, err, faults.ErrPowerLoss)
			d.PowerOn()
			torn := inj.EventsOf(faults.EvTornProgram)
			require.Len(t, torn, 1)
			assert.Equal(t, tc.model, torn[0].Model)

			stored, unst, flips := make([]byte, 16), make([]byte, 16), make([]byte, 16)
			require.NoError(t, d.PeekOOB(page, stored))
			require.NoError(t, d.PeekUnstableOOB(page, unst))
			require.NoError(t, d.PeekFlipsOOB(page, flips))
			assert.Zero(t, ones(flips), "the spare area never gets ECC bit errors")
			if tc.model == faults.Metastable {
				assert.Equal(t, spare, stored, "metastable: the intended spare bits are stored")
				assert.Positive(t, ones(unst), "some spare transitions did not land")
				assert.Less(t, ones(unst), 128, "some did")
				seen := map[string]bool{}
				got := make([]byte, 16)
				for i := 0; i < 8; i++ {
					require.NoError(t, d.ReadOOB(page, got))
					seen[string(got)] = true
				}
				assert.Greater(t, len(seen), 1, "unstable spare bits read differently")
			} else {
				assert.Zero(t, ones(unst))
				assert.Positive(t, programmedBits(stored), "some spare transitions landed")
				assert.Less(t, programmedBits(stored), 128, "not all of them")
			}

			if tc.data != nil {
				data, dunst, dflips := make([]byte, 512), make([]byte, 512), make([]byte, 512)
				require.NoError(t, d.Peek(page*512, data))
				require.NoError(t, d.PeekUnstable(page*512, dunst))
				require.NoError(t, d.PeekFlips(page*512, dflips))
				switch {
				case tc.model == faults.Metastable:
					assert.Equal(t, tc.data, data)
					assert.Positive(t, ones(dunst))
				case tc.ecc > 0:
					assert.Equal(t, tc.data, data, "ECC: the intended data is stored")
					assert.Positive(t, ones(dflips), "the missed bits are errors against it")
				default:
					assert.Positive(t, programmedBits(data))
					assert.Less(t, programmedBits(data), 512*8)
				}
			} else {
				assert.Equal(t, bytes.Repeat([]byte{0xff}, 512), dumpPage(t, d, page), "a spare-only command leaves the data alone")
			}
			assert.ErrorIs(t, d.WriteOOB(page, []byte{0}), emu.ErrProgramLimit, "the torn command used the page's NOP")
		})
	}
}

func dumpPage(t *testing.T, d *emu.Device, page int) []byte {
	t.Helper()
	b := make([]byte, d.PageSize())
	require.NoError(t, d.Peek(int64(page*d.PageSize()), b))
	return b
}

// TestTornPageCommandStrictRefusal: a page command that a strict device
// would refuse (a spare bit asked back to erased) leaves nothing torn.
func TestTornPageCommandStrictRefusal(t *testing.T) {
	d := newNAND(t, 4, 0)
	require.NoError(t, d.WriteOOB(3, []byte{0x0f}))
	_, err := faults.Attach(d, faults.Plan{Seed: 1, Faults: []faults.Fault{faults.CutAt(d.Seq(), 0.5, faults.Scatter)}})
	require.NoError(t, err)
	h := d.StateHash()
	require.ErrorIs(t, d.ProgramPage(3, make([]byte, 512), []byte{0xf0}), faults.ErrPowerLoss)
	assert.Equal(t, h, d.StateHash())
}

// nandPageSweep programs pages with ProgramPage (data and spare, spare
// only) and WriteOOB: the page commands are swept like any program.
func nandPageSweep(m faults.Model) *faults.Sweep {
	return &faults.Sweep{
		Name: "pages",
		Device: func() (*emu.Device, error) {
			return emu.New(emu.Config{Kind: emu.NAND, PageSize: 512, OOBSize: 16, PagesPerBlock: 8, Blocks: 8,
				EraseValue: 0xff, NOP: 2, Seed: 5,
				Timing: emu.Timing{ClockHz: 50_000_000, BusBits: 8, ReadNs: 25_000, ProgramNs: 200_000,
					EraseNs: []emu.EraseTime{{Size: 4096, Ns: 700_000}}}})
		},
		Workload: func(d *emu.Device, ack func(any)) error {
			// Pages 9-11: page 8, the first of block 1, carries its
			// bad-block mark in spare byte 0.
			if err := d.ProgramPage(9, randBytes(1, 512), make([]byte, 16)); err != nil {
				return err
			}
			if err := d.WriteOOB(10, make([]byte, 16)); err != nil {
				return err
			}
			return d.ProgramPage(11, nil, make([]byte, 16))
		},
		Check:        func(*emu.Device, []any) error { return nil },
		Cuts:         faults.Cuts{Mode: faults.CutBit},
		Seed:         2,
		ProgramModel: m,
	}
}

func TestSweepTearsPageCommands(t *testing.T) {
	for _, m := range []faults.Model{faults.Scatter, faults.Metastable} {
		t.Run(string(m), func(t *testing.T) {
			s := nandPageSweep(m)
			r := run(t, s, faults.Options{Jobs: 2, ListBranches: true})
			ids := map[string]faults.BranchInfo{}
			for _, b := range r.List {
				ids[b.ID] = b
			}
			for op, page := range []int{9, 10, 11} {
				for v, want := range []struct{ lo, hi int }{{1, 127}, {1, 1}, {127, 127}, {1, 127}, {1, 127}} {
					id := "pages:" + cutID(op, v) + ":2"
					b, ok := ids[id]
					require.True(t, ok, "a page command is one torn unit with every bit variant: %s", id)
					rep, err := faults.Replay(s, id, faults.ReplayOptions{})
					require.NoError(t, err)
					require.Equal(t, b.Hash, rep.Before.StateKey(), "replay reaches the branch %s", id)
					d := emu.FromSnapshot(rep.Before)
					stored, unst := make([]byte, 16), make([]byte, 16)
					require.NoError(t, d.PeekOOB(page, stored))
					require.NoError(t, d.PeekUnstableOOB(page, unst))
					landed := programmedBits(stored)
					if m == faults.Metastable {
						landed = 128 - ones(unst)
					}
					if op == 0 {
						// The data's transitions share the draw: only the
						// random variants bound the spare part.
						if v == 1 || v == 2 {
							continue
						}
					}
					assert.GreaterOrEqual(t, landed, want.lo, "%s: spare transitions landed", id)
					assert.LessOrEqual(t, landed, want.hi, "%s", id)
				}
			}
		})
	}
}

func cutID(op, variant int) string {
	s := string(rune('0'+op)) + "u0"
	if variant > 0 {
		s += "v" + string(rune('0'+variant))
	}
	return s
}

// TestMetastableEraseSpare: a metastable torn erase of a NAND block leaves
// the spare residue unstable too (it reads randomly until erased again);
// Partial leaves it stable.
func TestMetastableEraseSpare(t *testing.T) {
	for _, m := range []faults.Model{faults.Metastable, faults.Partial} {
		t.Run(string(m), func(t *testing.T) {
			d := newNAND(t, 4, 0)
			for p := 9; p < 16; p++ { // block 1, not its mark page
				require.NoError(t, d.ProgramPage(p, make([]byte, 512), make([]byte, 16)))
			}
			_, err := faults.Attach(d, faults.Plan{Seed: 2, Faults: []faults.Fault{faults.CutAt(d.Seq(), 0.5, m)}})
			require.NoError(t, err)
			require.ErrorIs(t, d.Erase(4096, 4096), faults.ErrPowerLoss)
			d.PowerOn()
			unst := make([]byte, 16)
			total := 0
			seen := map[string]bool{}
			for p := 9; p < 16; p++ {
				require.NoError(t, d.PeekUnstableOOB(p, unst))
				total += ones(unst)
				got := make([]byte, 16)
				for i := 0; i < 4; i++ {
					require.NoError(t, d.ReadOOB(p, got))
					seen[string(got)] = true
				}
			}
			if m == faults.Metastable {
				assert.Positive(t, total, "residual spare bits are unstable")
				assert.Greater(t, len(seen), 7*2, "and read differently between reads")
			} else {
				assert.Zero(t, total)
				assert.LessOrEqual(t, len(seen), 7, "stable residue: one value per page")
			}
			require.NoError(t, d.Erase(4096, 4096))
			for p := 9; p < 16; p++ {
				require.NoError(t, d.PeekUnstableOOB(p, unst))
				assert.Zero(t, ones(unst), "a completed erase clears them")
			}
		})
	}
}
