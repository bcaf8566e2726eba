package emu

import (
	"bytes"
	"fmt"
	"math/big"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/flashemu/flashemu/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refCost is the documented timing formula (see Timing), written out
// independently of the device's implementation: big-integer arithmetic and
// one loop step per page or command.
type refCost struct {
	t    Timing
	kind Kind
	page int64 // NAND page
	wb   int64
	unit func(off int64) (start, size int64)
}

func ceilBig(a, b *big.Int) int64 {
	q, r := new(big.Int).QuoRem(a, b, new(big.Int))
	if r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}

func (r refCost) xfer(b int64) int64 {
	if r.t.ClockHz == 0 || b <= 0 {
		return 0
	}
	bus := int64(max(r.t.BusBits, 1))
	cycles := ceilBig(big.NewInt(b*8), big.NewInt(bus))
	return ceilBig(new(big.Int).Mul(big.NewInt(cycles), big.NewInt(1e9)), big.NewInt(r.t.ClockHz))
}

func (r refCost) cmd(c int, b, array int64) int64 {
	return r.t.OpOverheadNs + r.xfer(int64(c)+b) + array
}

func (r refCost) read(off, n int64) int64 {
	if r.kind == NOR || n == 0 {
		return r.cmd(r.t.ReadCmdBytes, n, r.t.ReadNs)
	}
	var total int64
	for p := off; p < off+n; p++ { // byte by byte: one command per page touched
		if p == off || p%r.page == 0 {
			end := min((p/r.page+1)*r.page, off+n)
			total += r.cmd(r.t.ReadCmdBytes, end-p, r.t.ReadNs)
		}
	}
	return total
}

func (r refCost) program(off, n int64) int64 {
	pp := int64(r.t.ProgramPage)
	if r.kind == NAND {
		pp = r.page
	}
	if pp == 0 {
		pp = r.wb
	}
	var total int64
	for p := off; p < off+n; {
		end := min((p/pp+1)*pp, off+n)
		k := end - p
		arr := r.t.ProgramNs
		switch {
		case r.t.ProgramFirstNs > 0: // tBP1 + (k-1)·tBPn, at most tPP
			b := new(big.Int).Mul(big.NewInt(k-1), big.NewInt(r.t.ProgramByteNs))
			b.Add(b, big.NewInt(r.t.ProgramFirstNs))
			if b.Cmp(big.NewInt(arr)) < 0 {
				arr = b.Int64()
			}
		case r.t.ProgramScales:
			arr = ceilBig(new(big.Int).Mul(big.NewInt(r.t.ProgramNs), big.NewInt(k)), big.NewInt(pp))
		}
		total += r.cmd(r.t.ProgramCmdBytes, k, arr)
		p = end
	}
	return total
}

func (r refCost) erase(off, n int64) int64 {
	var total int64
	for p := off; p < off+n; {
		var size, ns int64
		for _, b := range r.t.BlockErase {
			if int64(b.Size) > size && p%int64(b.Size) == 0 && off+n-p >= int64(b.Size) {
				size, ns = int64(b.Size), b.Ns
			}
		}
		if size == 0 {
			_, size = r.unit(p)
			found := false
			for _, e := range r.t.EraseNs {
				if int64(e.Size) == size {
					ns, found = e.Ns, true
				}
			}
			if !found {
				panic(fmt.Sprintf("no erase time for %d", size))
			}
		}
		total += r.cmd(r.t.EraseCmdBytes, 0, ns)
		p += size
	}
	return total
}

type timedOp struct {
	name string
	ref  int64
	do   func(d *Device) error
}

// goldenOps is the fixed sequence per device kind.
func goldenOps(d *Device, r refCost) []timedOp {
	wb := int64(d.WriteBlock())
	if d.Kind() == NOR {
		_, u1 := d.Unit(1)
		u1s, _ := d.Unit(1)
		pp := int64(max(r.t.ProgramPage, 1))
		span := max(wb, (pp/wb+1)*wb) // crosses a program page boundary:
		spanOff := 2*pp - wb          // starts in the last block of page 1
		ops := []timedOp{
			{"read 1 byte", r.read(3, 1), func(d *Device) error { return d.Read(3, make([]byte, 1)) }},
			{"read 4 KiB", r.read(0, 4096), func(d *Device) error { return d.Read(0, make([]byte, 4096)) }},
			{"read 64 KiB", r.read(0, 64<<10), func(d *Device) error { return d.Read(0, make([]byte, 64<<10)) }},
			{"program 1 block", r.program(u1s, wb), func(d *Device) error { return d.Program(u1s, rep(0, int(wb))) }},
			{fmt.Sprintf("program %d over a page boundary", span), r.program(u1s+spanOff, span),
				func(d *Device) error { return d.Program(u1s+spanOff, rep(0, int(span))) }},
			{"program 4 KiB", r.program(32<<10, 4096), func(d *Device) error { return d.Program(32<<10, rep(0x5a, 4096)) }},
			{"erase unit 1", r.erase(u1s, u1), func(d *Device) error { return d.Erase(u1s, u1) }},
		}
		// Erase a 64 KiB-aligned 64 KiB range (block erase where the chip has one).
		if i, s, _, ok := d.UnitAt(64 << 10); ok && s == 64<<10 {
			end := int64(128 << 10)
			if _, s2, n2, ok := d.UnitAt(end - 1); ok {
				end = s2 + n2
			}
			ops = append(ops, timedOp{fmt.Sprintf("erase units %d.. to 0x%x", i, end), r.erase(s, end-s),
				func(d *Device) error { return d.Erase(s, end-s) }})
		}
		start2, _ := d.Unit(2)
		start4, size4 := d.Unit(4)
		ops = append(ops, timedOp{"erase units 2..4", r.erase(start2, start4+size4-start2),
			func(d *Device) error { return d.Erase(start2, start4+size4-start2) }})
		return ops
	}
	ps := int64(d.PageSize())
	bs := ps * int64(d.Config().PagesPerBlock)
	oobT := func(kind OpKind, n int64) int64 {
		if kind == OpReadOOB {
			return r.cmd(r.t.ReadCmdBytes, n, r.t.ReadNs)
		}
		return r.cmd(r.t.ProgramCmdBytes, n, r.t.ProgramNs)
	}
	oob := int64(d.OOBSize())
	return []timedOp{
		{"read 100 bytes", r.read(10, 100), func(d *Device) error { return d.Read(10, make([]byte, 100)) }},
		{"read across 3 pages", r.read(ps-1, ps+2), func(d *Device) error { return d.Read(ps-1, make([]byte, ps+2)) }},
		{"program page 0", r.program(0, ps), func(d *Device) error { return d.Program(0, rep(0, int(ps))) }},
		{"program pages 1-2", r.program(ps, 2*ps), func(d *Device) error { return d.Program(ps, rep(0, int(2*ps))) }},
		{"program page 3 + oob", oobT(OpProgramOOB, ps+oob), func(d *Device) error {
			return d.ProgramPage(3, rep(0, int(ps)), append([]byte{0xff}, rep(0, int(oob-1))...))
		}},
		{"write oob page 4", oobT(OpProgramOOB, 8), func(d *Device) error { return d.WriteOOB(4, append([]byte{0xff}, rep(0, 7)...)) }},
		{"read oob page 4", oobT(OpReadOOB, oob), func(d *Device) error { return d.ReadOOB(4, make([]byte, oob)) }},
		{"read page 3 + oob", oobT(OpReadOOB, ps+oob), func(d *Device) error {
			_, err := d.ReadPage(3, make([]byte, ps), make([]byte, oob))
			return err
		}},
		{"erase block 0", r.erase(0, bs), func(d *Device) error { return d.Erase(0, bs) }},
		{"erase blocks 1-2", r.erase(bs, 2*bs), func(d *Device) error { return d.Erase(bs, 2*bs) }},
	}
}

func TestTimingGolden(t *testing.T) {
	var out bytes.Buffer
	fmt.Fprintf(&out, "# per-op simulated cost of each chip preset: op | ns | cycles (go test ./emu -run TestTimingGolden -update)\n")
	for _, c := range Chips() {
		t.Run(c.Name, func(t *testing.T) {
			d, err := New(c)
			require.NoError(t, err)
			d.Unprotect(0, d.Size())
			tm := d.Timing()
			r := refCost{t: tm, kind: d.Kind(), page: int64(d.PageSize()), wb: int64(d.WriteBlock()),
				unit: func(off int64) (int64, int64) { _, s, n, _ := d.UnitAt(off); return s, n }}
			fmt.Fprintf(&out, "\n[%s] %s clock %d Hz, %d-bit bus\n", c.Name, c.Kind, tm.ClockHz, tm.BusBits)
			var sum int64
			for _, op := range goldenOps(d, r) {
				before := d.Now()
				require.NoError(t, op.do(d), op.name)
				got := d.Now() - before
				assert.Equal(t, op.ref, got, "%s: documented formula vs device", op.name)
				assert.Positive(t, got, op.name)
				sum += op.ref
				fmt.Fprintf(&out, "%-40s %14d ns %14d cycles\n", op.name, got, tm.Cycles(got))
			}
			assert.Equal(t, sum, d.Now(), "the clock is the sum of the recomputed costs")
			assert.Equal(t, tm.Cycles(sum), d.Cycles())
			st := d.Stats()
			assert.Equal(t, d.Now(), st.ReadNs+st.ProgramNs+st.EraseNs)
			fmt.Fprintf(&out, "%-40s %14d ns %14d cycles\n", "total", d.Now(), d.Cycles())
		})
	}
	golden.Check(t, filepath.Join("testdata", "timing.golden"), out.Bytes())
}

// TestPresetsSane checks the presets against the datasheet facts of
// flash-physics.md and the issue.
func TestPresetsSane(t *testing.T) {
	const us, ms = int64(1000), int64(1000_000)
	tests := []struct {
		name              string
		kind              Kind
		size              int64
		unit, wb          int
		program, erase    int64 // ns per program page, per smallest erase unit
		maxProg, nop, ecc int
	}{
		{"w25q128jv", NOR, 16 << 20, 4096, 1, 400 * us, 45 * ms, 0, 0, 0},
		{"nrf52840", NOR, 1 << 20, 4096, 4, 41 * us, 85 * ms, 2, 0, 0},
		{"stm32f4", NOR, 1 << 20, 16 << 10, 1, 16 * us, 400 * ms, 0, 0, 0},
		{"stm32l4", NOR, 1 << 20, 2048, 8, 81690, 22020 * us, 1, 0, 0},
		{"mt29f1g08", NAND, 128 << 20, 128 << 10, 2048, 200 * us, 700 * us, 0, 4, 4},
		{"w25n01gv", NAND, 128 << 20, 128 << 10, 2048, 250 * us, 2 * ms, 0, 4, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := NewChip(tc.name)
			require.NoError(t, err)
			c := d.Config()
			assert.Equal(t, tc.kind, d.Kind())
			assert.Equal(t, tc.size, d.Size())
			_, u0 := d.Unit(0)
			assert.EqualValues(t, tc.unit, u0)
			assert.Equal(t, tc.wb, d.WriteBlock())
			assert.Equal(t, byte(0xff), d.EraseValue())
			assert.Equal(t, tc.program, c.Timing.ProgramNs)
			assert.Equal(t, tc.erase, c.Timing.EraseNs[0].Ns)
			assert.Equal(t, tc.maxProg, c.MaxPrograms)
			assert.Equal(t, tc.nop, c.NOP)
			assert.Equal(t, tc.ecc, c.ECCBits)
			if tc.kind == NAND {
				assert.Equal(t, 2048, d.PageSize())
				assert.Equal(t, 64, d.OOBSize())
				assert.Equal(t, 64, c.PagesPerBlock)
				assert.Equal(t, 1024, c.Blocks)
				// SLC: tR tens of µs, tPROG hundreds of µs, tBERS ms range.
				assert.True(t, c.Timing.ReadNs >= 20*us && c.Timing.ReadNs <= 100*us)
			}
		})
	}
	_, err := Chip("nope")
	assert.ErrorIs(t, err, ErrUnknownChip)
	c1, _ := Chip("STM32F4")
	c1.Units[0].Count = 99
	c2, _ := Chip("stm32f4")
	assert.Equal(t, 4, c2.Units[0].Count, "presets are copied out")
}

func TestPieces(t *testing.T) {
	for _, c := range Chips() {
		t.Run(c.Name, func(t *testing.T) {
			d, err := New(c)
			require.NoError(t, err)
			_, u := d.Unit(1)
			for _, tc := range []struct {
				k      OpKind
				off, n int64
			}{
				{OpRead, 3, 5000}, {OpProgram, 0, 8192}, {OpProgram, int64(d.WriteBlock()) * 3, int64(d.WriteBlock()) * 100},
				{OpErase, 0, 4 * u}, {OpErase, 64 << 10, 128 << 10},
			} {
				var sum int64
				next := tc.off
				cnt := 0
				d.Pieces(tc.k, tc.off, tc.n, func(ps, pe, ns int64) bool {
					assert.Equal(t, next, ps, "pieces tile the range")
					assert.Greater(t, pe, ps)
					next = pe
					sum += ns
					cnt++
					return true
				})
				assert.Equal(t, tc.off+tc.n, next, "%v %d+%d", tc.k, tc.off, tc.n)
				assert.Equal(t, d.Cost(tc.k, tc.off, tc.n), sum, "%v %d+%d: pieces sum to Cost", tc.k, tc.off, tc.n)
				stopped := 0
				d.Pieces(tc.k, tc.off, tc.n, func(ps, pe, ns int64) bool { stopped++; return false })
				assert.Equal(t, 1, stopped)
			}
			called := false
			d.Pieces(OpRead, -1, 10, func(ps, pe, ns int64) bool { called = true; return true })
			d.Pieces(OpReadOOB, 0, 10, func(ps, pe, ns int64) bool { called = true; return true })
			assert.False(t, called)
		})
	}
}

// TestCostCache: every read and program is charged exactly Cost, whatever
// the mix of lengths and offsets that share (and evict) the device's cost
// cache, and a restore onto a device of another timing charges the
// snapshot's timing.
func TestCostCache(t *testing.T) {
	for _, chip := range []string{"w25q128jv", "mt29f1g08", "nrf52840"} {
		t.Run(chip, func(t *testing.T) {
			d, err := NewChip(chip)
			require.NoError(t, err)
			wb := int64(d.WriteBlock())
			lens := []int64{1, 2, 3, 8, 12, 16, 31, 64, 100, 256, 300, 2048, 4096}
			seed := testSeed(t)
			rng := rand.New(rand.NewPCG(seed, 7))
			buf := make([]byte, 8192)
			for i := 0; i < 3000; i++ {
				n := lens[rng.IntN(len(lens))]
				off := rng.Int64N(64 << 10)
				k := OpRead
				if rng.IntN(3) == 0 {
					k = OpProgram
					n = (n + wb - 1) / wb * wb
					off = off / wb * wb
				}
				if d.Kind() == NAND && k == OpProgram {
					continue // page order rules: reads cover NAND's page-periodic costs
				}
				before := d.Now()
				if k == OpRead {
					require.NoError(t, d.Read(off, buf[:n]))
				} else {
					_ = d.Program(off, buf[:n]) // refused or not, the op is charged
				}
				require.Equal(t, d.g.cost(k, off, n), d.Now()-before, "%v %d+%d (op %d)", k, off, n, i)
			}
		})
	}
	// Same geometry, other timing: the restored device charges the snapshot's.
	slow := norCfg(func(c *Config) { c.Timing = Timing{ClockHz: 1e6, BusBits: 1, ReadNs: 100} })
	fast := norCfg(func(c *Config) { c.Timing = Timing{ClockHz: 1e8, BusBits: 4} })
	a, b := mustNew(t, slow), mustNew(t, fast)
	_ = read(t, b, 0, 16) // b caches its own cost of a 16-byte read
	require.NoError(t, b.Restore(a.Snapshot()))
	now := b.Now()
	_ = read(t, b, 0, 16)
	assert.Equal(t, a.Cost(OpRead, 0, 16), b.Now()-now)
}
