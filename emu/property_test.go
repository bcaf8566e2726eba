package emu

import (
	"errors"
	"flag"
	"math/rand/v2"
	"testing"

	"github.com/flashemu/flashemu/internal/testseed"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var propSeed = flag.Uint64("emu.seed", 0, "seed for the emu property tests (0: from EMU_SEED or the clock)")

func testSeed(t *testing.T) uint64 {
	return testseed.Seed(t, *propSeed, "emu.seed", "EMU_SEED")
}

// refNOR is the reference model: a flat byte array with the rules written
// out in the most direct way.
type refNOR struct {
	ev          byte
	wb          int
	max         int
	count       bool
	units       []int64 // unit starts, plus the end
	data        []byte
	progs       []int
	wear        []uint32
	viol, limit uint64
}

func (m *refNOR) clone() *refNOR {
	c := *m
	c.data = append([]byte(nil), m.data...)
	c.progs = append([]int(nil), m.progs...)
	c.wear = append([]uint32(nil), m.wear...)
	return &c
}

func (m *refNOR) program(off int64, p []byte) error {
	size := int64(len(m.data))
	if off < 0 || off > size || int64(len(p)) > size-off {
		return ErrOutOfRange
	}
	if off%int64(m.wb) != 0 || len(p)%m.wb != 0 {
		return ErrMisaligned
	}
	var vbytes, lblocks int
	for i, b := range p {
		if (m.data[off+int64(i)]^m.ev)&^(b^m.ev) != 0 {
			vbytes++
		}
	}
	if m.max > 0 {
		for j := off / int64(m.wb); j < (off+int64(len(p)))/int64(m.wb); j++ {
			if m.progs[j] >= m.max {
				lblocks++
			}
		}
	}
	if !m.count && (vbytes > 0 || lblocks > 0) {
		if vbytes > 0 {
			m.viol += uint64(vbytes)
		} else {
			m.limit++
		}
		if vbytes > 0 {
			return ErrProgramViolation // bits are checked before limits
		}
		return ErrProgramLimit
	}
	m.viol += uint64(vbytes)
	m.limit += uint64(lblocks)
	for i, b := range p {
		o := m.data[off+int64(i)]
		m.data[off+int64(i)] = ((o ^ m.ev) | (b ^ m.ev)) ^ m.ev
	}
	if m.max > 0 {
		for j := off / int64(m.wb); j < (off+int64(len(p)))/int64(m.wb); j++ {
			m.progs[j]++
		}
	}
	return nil
}

func (m *refNOR) erase(off, n int64) error {
	size := int64(len(m.data))
	if off < 0 || n < 0 || off > size || n > size-off {
		return ErrOutOfRange
	}
	if n == 0 {
		return nil
	}
	first, last := -1, -1
	for u := 0; u+1 < len(m.units); u++ {
		if m.units[u] == off {
			first = u
		}
		if m.units[u+1] == off+n {
			last = u
		}
	}
	if first < 0 || last < 0 {
		return ErrMisaligned
	}
	for u := first; u <= last; u++ {
		for i := m.units[u]; i < m.units[u+1]; i++ {
			m.data[i] = m.ev
		}
		for j := m.units[u] / int64(m.wb); j < m.units[u+1]/int64(m.wb); j++ {
			m.progs[j] = 0
		}
		m.wear[u]++
	}
	return nil
}

func TestPropertyNOR(t *testing.T) {
	seed := testSeed(t)
	rounds, steps := 200, 400
	if testing.Short() {
		rounds = 40
	}
	for r := 0; r < rounds; r++ {
		rng := rand.New(rand.NewPCG(seed, uint64(r)))
		ev := []byte{0xff, 0x00, 0xaa}[rng.IntN(3)]
		wb := []int{1, 4, 8}[rng.IntN(3)]
		var runs []Run
		for i := 1 + rng.IntN(3); i > 0; i-- {
			runs = append(runs, Run{Count: 1 + rng.IntN(3), Size: wb * 64 << rng.IntN(4)})
		}
		cfg := Config{Kind: NOR, Units: runs, WriteBlock: wb, EraseValue: ev,
			MaxPrograms: []int{0, 1, 2}[rng.IntN(3)], Seed: seed}
		if rng.IntN(3) == 0 {
			cfg.Violations = ViolationsCount
		}
		d := mustNew(t, cfg)
		m := &refNOR{ev: ev, wb: wb, max: cfg.MaxPrograms, count: cfg.Violations == ViolationsCount,
			data: rep(ev, int(d.Size())), progs: make([]int, int(d.Size())/wb), wear: make([]uint32, d.UnitCount())}
		for u := 0; u <= d.UnitCount(); u++ {
			s, _ := d.Unit(u)
			if u == d.UnitCount() {
				s = d.Size()
			}
			m.units = append(m.units, s)
		}
		var snap *Snapshot
		var snapModel *refNOR
		for s := 0; s < steps; s++ {
			size := d.Size()
			switch op := rng.IntN(10); {
			case op < 5: // program
				blocks := 1 + rng.IntN(40)
				off := int64(rng.IntN(int(size)/wb+2)-1) * int64(wb)
				if rng.IntN(20) == 0 {
					off++ // misaligned
				}
				p := make([]byte, blocks*wb)
				for i := range p {
					switch rng.IntN(3) {
					case 0: // a valid further program of what is there
						if off+int64(i) >= 0 && off+int64(i) < size {
							o := m.data[off+int64(i)]
							p[i] = ((o ^ ev) | byte(rng.Uint32()) ^ ev) ^ ev
						}
					case 1:
						p[i] = ev
					default:
						p[i] = byte(rng.Uint32())
					}
				}
				want := m.program(off, p)
				got := d.Program(off, p)
				if want != nil {
					require.ErrorIs(t, got, want, "step %d program %d+%d", s, off, len(p))
				} else {
					require.NoError(t, got, "step %d program %d+%d", s, off, len(p))
				}
			case op < 7: // erase
				u := rng.IntN(d.UnitCount())
				k := 1 + rng.IntN(min(3, d.UnitCount()-u))
				start, _ := d.Unit(u)
				end := m.units[u+k]
				if rng.IntN(10) == 0 {
					end -= int64(wb)
				}
				want := m.erase(start, end-start)
				got := d.Erase(start, end-start)
				if want != nil {
					require.ErrorIs(t, got, want, "step %d", s)
				} else {
					require.NoError(t, got, "step %d", s)
				}
			case op < 9: // read anywhere
				off := int64(rng.IntN(int(size)))
				n := rng.IntN(int(size-off) + 1)
				p := make([]byte, n)
				require.NoError(t, d.Read(off, p))
				require.Equal(t, m.data[off:off+int64(n)], p, "step %d read %d+%d", s, off, n)
			default: // snapshot or restore
				if snap == nil || rng.IntN(2) == 0 {
					snap, snapModel = d.Snapshot(), m.clone()
				} else {
					require.NoError(t, d.Restore(snap))
					m = snapModel.clone()
				}
			}
		}
		full := make([]byte, d.Size())
		require.NoError(t, d.Read(0, full))
		require.Equal(t, m.data, full, "round %d", r)
		assert.Equal(t, m.wear, d.Wear(), "round %d", r)
		st := d.Stats()
		assert.Equal(t, m.viol, st.Violations, "round %d violations", r)
		assert.Equal(t, m.limit, st.LimitViolations, "round %d limit violations", r)
	}
}

// refNAND is the reference model of a NAND device without bit errors.
type refNAND struct {
	ps, oob, ppb, nop int
	count             bool
	data              [][]byte // page data + spare
	progs             []int    // programs per page since erase
	hi                []int    // per block: highest programmed page + 1
	wear              []uint32
	viol, limit       uint64
	factoryBad        []bool // the chip refuses these; OOB marks are only data
}

func (m *refNAND) bad(b int) bool { return m.factoryBad[b] }

// program programs data (page start) and oob (spare start) into pages
// [p, p+n) as one call: data may span pages (then oob is nil).
func (m *refNAND) program(p int, data, oob []byte, pages int) error {
	if p < 0 || p+pages > len(m.data) {
		return ErrOutOfRange
	}
	for q := p; q < p+pages; q++ {
		if m.bad(q / m.ppb) {
			return ErrBadBlock
		}
	}
	piece := func(q int) ([]byte, []byte) {
		d := data
		if pages > 1 || len(d) > m.ps {
			d = data[(q-p)*m.ps : (q-p+1)*m.ps]
		}
		return d, oob
	}
	var vbytes, lim int
	for q := p; q < p+pages; q++ {
		d, o := piece(q)
		for i, b := range d {
			if b&^m.data[q][i] != 0 { // a 0 asked back to 1
				vbytes++
			}
		}
		for i, b := range o {
			if b&^m.data[q][m.ps+i] != 0 {
				vbytes++
			}
		}
		if m.nop > 0 && m.progs[q] >= m.nop {
			lim++
		}
		if q%m.ppb+1 < m.hi[q/m.ppb] {
			lim++
		}
	}
	if !m.count && (vbytes > 0 || lim > 0) {
		if vbytes > 0 {
			m.viol += uint64(vbytes)
			return ErrProgramViolation
		}
		m.limit++
		return errLimitOrOrder
	}
	m.viol += uint64(vbytes)
	m.limit += uint64(lim)
	for q := p; q < p+pages; q++ {
		d, o := piece(q)
		for i, b := range d {
			m.data[q][i] &= b
		}
		for i, b := range o {
			m.data[q][m.ps+i] &= b
		}
		m.progs[q]++
		m.hi[q/m.ppb] = max(m.hi[q/m.ppb], q%m.ppb+1)
	}
	return nil
}

// errLimitOrOrder: the model broke NOP or page order; the device reports
// whichever it checks first (ErrProgramLimit or ErrPageOrder).
var errLimitOrOrder = errors.New("limit or order")

func TestPropertyNAND(t *testing.T) {
	seed := testSeed(t)
	rounds, steps := 100, 300
	if testing.Short() {
		rounds = 20
	}
	for r := 0; r < rounds; r++ {
		rng := rand.New(rand.NewPCG(seed, uint64(r)|1<<32))
		cfg := Config{Kind: NAND, PageSize: 64, OOBSize: 8, PagesPerBlock: 4, Blocks: 6, EraseValue: 0xff,
			NOP: rng.IntN(4), ECCBits: 2, ECCStep: 32, BadBlocks: []int{rng.IntN(6)}, Seed: seed}
		if rng.IntN(3) == 0 {
			cfg.Violations = ViolationsCount
		}
		d := mustNew(t, cfg)
		m := &refNAND{ps: 64, oob: 8, ppb: 4, nop: cfg.NOP, count: cfg.Violations == ViolationsCount,
			progs: make([]int, 24), hi: make([]int, 6), wear: make([]uint32, 6), factoryBad: make([]bool, 6)}
		for i := 0; i < 24; i++ {
			m.data = append(m.data, rep(0xff, 72))
		}
		for _, b := range cfg.BadBlocks {
			m.data[b*4][64] = 0
			m.factoryBad[b] = true
		}
		randBytes := func(n int, base []byte) []byte {
			p := make([]byte, n)
			for i := range p {
				switch rng.IntN(3) {
				case 0:
					p[i] = 0xff
				case 1:
					if base != nil {
						p[i] = base[i] & byte(rng.Uint32())
						break
					}
					fallthrough
				default:
					p[i] = byte(rng.Uint32())
				}
			}
			return p
		}
		check := func(want, got error, what string) {
			switch {
			case want == nil:
				require.NoError(t, got, what)
			case want == errLimitOrOrder:
				require.True(t, errors.Is(got, ErrProgramLimit) || errors.Is(got, ErrPageOrder), "%s: %v", what, got)
			default:
				require.ErrorIs(t, got, want, what)
			}
		}
		for s := 0; s < steps; s++ {
			p := rng.IntN(24)
			switch op := rng.IntN(10); {
			case op < 3: // Program 1 or 2 whole pages
				n := 1 + rng.IntN(2)
				if p+n > 24 {
					n = 1
				}
				var base []byte
				for q := p; q < p+n; q++ {
					base = append(base, m.data[q][:64]...)
				}
				data := randBytes(64*n, base)
				check(m.program(p, data, nil, n), d.Program(int64(p)*64, data), "program")
			case op < 5: // ProgramPage with spare (the bad-block byte is data too)
				data := randBytes(64, m.data[p][:64])
				oob := randBytes(8, m.data[p][64:])
				check(m.program(p, data, oob, 1), d.ProgramPage(p, data, oob), "program page")
			case op < 6: // WriteOOB
				oob := randBytes(4, m.data[p][64:68])
				check(m.program(p, nil, oob, 1), d.WriteOOB(p, oob), "write oob")
			case op < 7: // erase a block
				b := p / 4
				err := d.Erase(int64(b)*256, 256)
				if m.bad(b) {
					require.ErrorIs(t, err, ErrBadBlock)
					break
				}
				require.NoError(t, err)
				for q := b * 4; q < b*4+4; q++ {
					m.data[q] = rep(0xff, 72)
					m.progs[q] = 0
				}
				m.hi[b] = 0
				m.wear[b]++
			default: // ReadPage
				data, oob := make([]byte, 64), make([]byte, 8)
				_, err := d.ReadPage(p, data, oob)
				require.NoError(t, err)
				require.Equal(t, m.data[p][:64], data, "step %d page %d", s, p)
				require.Equal(t, m.data[p][64:], oob, "step %d page %d oob", s, p)
			}
		}
		assert.Equal(t, m.wear, d.Wear(), "round %d", r)
		st := d.Stats()
		assert.Equal(t, m.viol, st.Violations, "round %d violations", r)
		assert.Equal(t, m.limit, st.LimitViolations, "round %d limits", r)
		for q := 0; q < 24; q++ {
			got, oob := make([]byte, 64), make([]byte, 8)
			require.NoError(t, d.Peek(int64(q)*64, got))
			require.NoError(t, d.PeekOOB(q, oob))
			require.Equal(t, m.data[q], append(got, oob...), "round %d page %d", r, q)
		}
	}
}
