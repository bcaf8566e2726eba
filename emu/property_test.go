package emu

import (
	"flag"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var propSeed = flag.Uint64("emu.seed", 0, "seed for the emu property tests (0: from EMU_SEED or the clock)")

func testSeed(t *testing.T) uint64 {
	seed := *propSeed
	if seed == 0 {
		if s, err := strconv.ParseUint(os.Getenv("EMU_SEED"), 10, 64); err == nil {
			seed = s
		}
	}
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed=%d (rerun with -emu.seed=%d or EMU_SEED=%d)", seed, seed, seed)
	return seed
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
