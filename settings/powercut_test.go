package settings_test

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/internal/powercut"
	"github.com/flashemu/flashemu/internal/testseed"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/settings"
)

var seedFlag = flag.Uint64("seed", 0, "seed of the power-cut property tests (0: from $SETTINGS_SEED or the clock)")

// testSeed returns the seed to use and prints it so a failure can be replayed.
func testSeed(t *testing.T) uint64 {
	return testseed.Seed(t, *seedFlag, "seed", "SETTINGS_SEED")
}

// kvOp is one operation of a workload: save key=value, or delete key
// (value nil).
type kvOp struct {
	key   string
	value []byte
}

func (o kvOp) apply(s *settings.Store) error {
	if o.value == nil {
		return s.Delete(o.key)
	}
	return s.Save(o.key, o.value)
}

// genOps makes a workload over a handful of keys: saves of 1..48-byte
// values, and deletions.
func genOps(rng *rand.Rand, n int) []kvOp {
	ops := make([]kvOp, n)
	for i := range ops {
		k := fmt.Sprintf("app/k%d", rng.IntN(8))
		if rng.IntN(5) == 0 {
			ops[i] = kvOp{key: k}
			continue
		}
		v := make([]byte, 1+rng.IntN(48))
		for j := range v {
			v[j] = byte(rng.Uint32())
		}
		ops[i] = kvOp{key: k, value: v}
	}
	return ops
}

// model is what the store has acknowledged: key -> value (absent: deleted).
type model map[string][]byte

func (m model) apply(o kvOp) {
	if o.value == nil {
		delete(m, o.key)
	} else {
		m[o.key] = o.value
	}
}

// checkAfterCut remounts after a cut during op and checks that every key
// holds its newest acknowledged value, and the interrupted op's key either
// its previous or its new value. It updates m to what survived.
func checkAfterCut(t *testing.T, a *api.Area, m model, op kvOp, ctx string) *settings.Store {
	t.Helper()
	s, err := settings.New(a, settings.Options{})
	require.NoError(t, err, "%s: remount", ctx)
	for i := range 8 {
		k := fmt.Sprintf("app/k%d", i)
		got, ok, err := s.Load(k)
		require.NoError(t, err, "%s: load %s", ctx, k)
		want, wantOK := m[k]
		if k == op.key && (ok != wantOK || !bytes.Equal(got, want)) {
			// The interrupted operation may have taken effect.
			newOK := op.value != nil
			require.True(t, ok == newOK && bytes.Equal(got, op.value),
				"%s: %s = %x (present %v); want the acknowledged %x (present %v) or the interrupted %x",
				ctx, k, got, ok, want, wantOK, op.value)
			m.apply(op)
			continue
		}
		require.Equal(t, wantOK, ok, "%s: %s presence", ctx, k)
		require.Equal(t, want, got, "%s: %s value", ctx, k)
	}
	return s
}

// cutGeometries are small, so that short workloads rotate every sector.
var cutGeometries = []geometry{{4, 512, 1, 0xff}, {4, 512, 4, 0xff}, {3, 512, 8, 0x00}}

// TestPowerCutEveryOp runs a fixed random workload once per program/erase
// it issues, cutting the power at that operation; after each cut it
// remounts, checks, and runs the rest of the workload to the end.
func TestPowerCutEveryOp(t *testing.T) {
	seed := testSeed(t)
	n, minErases := 120, 4
	if testing.Short() {
		n, minErases = 70, 1
	}
	for gi, g := range cutGeometries {
		t.Run(g.String(), func(t *testing.T) {
			t.Parallel()
			// Count the mutating operations of an uninterrupted run. Some
			// seeds' workloads rotate less (small values): lengthen the
			// workload until it rotates enough, so no seed fails the premise.
			var ops []kvOp
			var d *emu.Device
			var counter *powercut.Hook
			for k := n; ; k += n / 2 {
				ops = genOps(rand.New(rand.NewPCG(seed, uint64(gi))), k)
				var a *api.Area
				d, a = newDevice(t, g)
				counter = &powercut.Hook{}
				d.SetHook(counter)
				s := mount(t, a)
				for _, o := range ops {
					require.NoError(t, o.apply(s))
				}
				if d.Stats().Erases >= uint64(minErases) || k >= 4*n {
					break
				}
			}
			total := counter.Count
			require.Greater(t, total, n, "every operation writes")
			require.GreaterOrEqual(t, d.Stats().Erases, uint64(minErases), "the workload must rotate")

			stride := 1
			if raceDetector {
				stride = 9 // a sample of the cut points; every one without -race
			}
			for at := 1; at <= total; at += stride {
				d, a := newDevice(t, g)
				cut := &powercut.Hook{At: at}
				d.SetHook(cut)
				m := model{}
				s, err := settings.New(a, settings.Options{})
				if err != nil {
					// The cut hit the first mount (formatting sector 0).
					require.False(t, d.Powered(), "cut %d: mount failed without a power cut: %v", at, err)
					d.PowerOn()
					s = checkAfterCut(t, a, m, kvOp{}, fmt.Sprintf("seed %d, cut at op %d (first mount)", seed, at))
					for _, o := range ops {
						require.NoError(t, o.apply(s))
						m.apply(o)
					}
					checkAfterCut(t, a, m, kvOp{}, "after finishing")
					continue
				}
				i := 0
				for ; i < len(ops); i++ {
					if err := ops[i].apply(s); err != nil {
						require.False(t, d.Powered(), "cut %d: op %d failed without a power cut: %v", at, i, err)
						break
					}
					m.apply(ops[i])
				}
				require.Less(t, i, len(ops), "cut %d never happened", at)
				d.PowerOn()
				ctx := fmt.Sprintf("seed %d, cut at op %d (workload step %d)", seed, at, i)
				s = checkAfterCut(t, a, m, ops[i], ctx)
				// The store keeps working: finish the workload.
				for _, o := range ops[i+1:] {
					require.NoError(t, o.apply(s), ctx)
					m.apply(o)
				}
				checkAfterCut(t, a, m, kvOp{}, ctx+", after finishing")
			}
		})
	}
}

// TestPowerCutRandomRepeated runs one long random workload with a power cut
// every few operations (50 cuts), remounting and checking after each.
func TestPowerCutRandomRepeated(t *testing.T) {
	seed := testSeed(t)
	cuts := 50
	if testing.Short() {
		cuts = 20
	}
	if raceDetector {
		cuts = 8
	}
	for gi, g := range cutGeometries {
		t.Run(g.String(), func(t *testing.T) {
			t.Parallel()
			rng := rand.New(rand.NewPCG(seed, 100+uint64(gi)))
			d, a := newDevice(t, g)
			cut := &powercut.Hook{}
			d.SetHook(cut)
			s := mount(t, a)
			m := model{}
			for c := range cuts {
				cut.At = cut.Count + 1 + rng.IntN(40)
				for {
					op := genOps(rng, 1)[0]
					if err := op.apply(s); err != nil {
						require.False(t, d.Powered(), "failed without a power cut: %v", err)
						d.PowerOn()
						s = checkAfterCut(t, a, m, op, fmt.Sprintf("seed %d, cut %d at op %d", seed, c, cut.At))
						break
					}
					m.apply(op)
				}
			}
		})
	}
}

// TestTornHeaderRepair: a sector header with only part of its magic
// programmed (a torn header write) makes a Zephyr-strict mount fail with
// ENOMSG; the store's default mount treats the sector as unused and keeps
// every value.
func TestTornHeaderRepair(t *testing.T) {
	d, a := newDevice(t, geometries[0])
	s := mount(t, a)
	require.NoError(t, s.Save("k", []byte("v")))
	next := (s.FCB().Active().Sector + 1) % len(s.FCB().Sectors())
	off := s.FCB().Sectors()[next].Off
	require.NoError(t, d.Program(off, []byte{0xee, 0xee})) // half of the magic

	_, err := settings.New(a, settings.Options{Strict: true})
	assert.Equal(t, -35, errno.Of(err), "ENOMSG, as Zephyr's fcb_init")

	s, err = settings.New(a, settings.Options{})
	require.NoError(t, err)
	assert.NotEmpty(t, s.FCB().Dropped())
	v, ok, err := s.Load("k")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, []byte("v"), v)
	for i := range 200 {
		require.NoError(t, s.Save("k", []byte(fmt.Sprintf("value %04d", i))))
	}
	s, err = settings.New(a, settings.Options{Strict: true})
	require.NoError(t, err, "the torn sector was erased before reuse")
	v, _, _ = s.Load("k")
	assert.Equal(t, []byte("value 0199"), v)
}

// TestInterruptedCompressRepair: a cut after the scratch sector was taken
// into use and before the rotation leaves no free sector; mounting finishes
// the compression (copies forward what was not copied yet and rotates the
// oldest sector away) where Zephyr's settings_fcb_src erases the active
// sector.
func TestInterruptedCompressRepair(t *testing.T) {
	g := geometries[0]
	d, a := newDevice(t, g)
	s := mount(t, a)
	// Fill until the FCB has no free sector but the scratch one.
	i := 0
	for ; s.FCB().FreeSectorCount() > 1 || s.FCB().Active().ElemOff < int(g.sector)-64; i++ {
		require.NoError(t, s.Save(fmt.Sprintf("k%d", i%5), bytes.Repeat([]byte{byte(i)}, 30)))
	}
	want := model{}
	for k := range 5 {
		key := fmt.Sprintf("k%d", k)
		v, ok, err := s.Load(key)
		require.NoError(t, err)
		require.True(t, ok)
		want[key] = v
	}
	// Emulate the state: take the scratch sector and copy one record.
	require.NoError(t, s.FCB().AppendToScratch())
	_, err := s.FCB().Push([]byte("k0=" + string(want["k0"])))
	require.NoError(t, err)
	require.Zero(t, s.FCB().FreeSectorCount())
	active, oldest := s.FCB().Active().Sector, s.FCB().Oldest()

	s, err = settings.New(a, settings.Options{})
	require.NoError(t, err)
	assert.Equal(t, 1, s.FCB().FreeSectorCount())
	assert.Equal(t, active, s.FCB().Active().Sector, "the scratch sector keeps the copies")
	buf := make([]byte, g.sector)
	require.NoError(t, d.Read(int64(oldest*g.sector), buf))
	assert.Equal(t, bytes.Repeat([]byte{0xff}, g.sector), buf, "the oldest sector is rotated away")
	for k, v := range want {
		got, ok, err := s.Load(k)
		require.NoError(t, err)
		assert.True(t, ok, k)
		assert.Equal(t, v, got, k)
	}
}
