package emu

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTablePersistent checks the persistent table against plain slices:
// random writes under random snapshots and restores, for lengths that need
// no inner level, one, and several. Every saved version must keep its
// values whatever happens to the others.
func TestTablePersistent(t *testing.T) {
	seed := testSeed(t)
	for _, n := range []int{1, 5, nodeN, nodeN + 1, 300, 5000, 1 << 17} {
		r := rand.New(rand.NewPCG(seed, uint64(n)))
		tb := newTable[uint32](n)
		gen := newGen()
		model := make([]uint32, n)
		type version struct {
			t table[uint32]
			m []uint32
		}
		var saved []version
		for step := 0; step < 2000; step++ {
			switch k := r.IntN(20); {
			case k == 0: // snapshot
				saved = append(saved, version{tb, append([]uint32(nil), model...)})
				gen = newGen()
			case k == 1 && len(saved) > 0: // restore
				v := saved[r.IntN(len(saved))]
				tb, model = v.t, append([]uint32(nil), v.m...)
				gen = newGen()
			default:
				i, v := r.IntN(n), r.Uint32()
				*tb.ptr(i, gen) = v
				model[i] = v
			}
		}
		check := func(tb table[uint32], m []uint32) {
			for i := range m {
				if tb.get(i) != m[i] {
					require.Equal(t, m[i], tb.get(i), "n=%d index %d", n, i)
				}
			}
			seen := 0
			tb.leaves(func(base int, l *leaf[uint32]) {
				for j, v := range l.v {
					if base+j >= n {
						assert.Zero(t, v, "n=%d: past the end", n)
						continue
					}
					seen++
					assert.Equal(t, m[base+j], v, "n=%d leaves index %d", n, base+j)
				}
			})
			assert.LessOrEqual(t, seen, n)
		}
		check(tb, model)
		for _, v := range saved {
			check(v.t, v.m)
		}
	}
}

// TestTableZeroAndPathCopy: an untouched table has no nodes; a write after a
// snapshot copies exactly the path (depth nodes) and leaves the rest shared.
func TestTableZeroAndPathCopy(t *testing.T) {
	tb := newTable[uint64](1 << 12) // 4096 = 16^3: two inner levels and leaves
	assert.Nil(t, tb.root)
	assert.Zero(t, tb.get(4000))
	g1 := newGen()
	*tb.ptr(5, g1) = 7
	*tb.ptr(4000, g1) = 9
	old := tb
	g2 := newGen()
	*tb.ptr(6, g2) = 8
	assert.NotSame(t, old.leafAt(5), tb.leafAt(5), "the written leaf is copied")
	assert.Same(t, old.leafAt(4000), tb.leafAt(4000), "other leaves stay shared")
	assert.EqualValues(t, 7, tb.get(5))
	assert.Zero(t, old.get(6))
	assert.EqualValues(t, 8, tb.get(6))
	p := tb.leafAt(6)
	*tb.ptr(7, g2) = 1
	assert.Same(t, p, tb.leafAt(7), "a second write in the same generation writes in place")
	var zero table[uint32]
	assert.False(t, zero.allocated())
	assert.Zero(t, zero.getOr(3))
}

// TestSnapshotCostConstant: Snapshot and Restore allocate one small struct
// (nothing for Restore) whatever the device size, and StateKey, StateHash
// and UnstableDigest allocate nothing.
func TestSnapshotCostConstant(t *testing.T) {
	for _, size := range []int64{1 << 20, 128 << 20} {
		d := mustNew(t, norCfg(func(c *Config) { c.Size = size }))
		require.NoError(t, d.Program(size/2, pattern(64, 1)))
		require.NoError(t, d.SetUnstable(size/2, []byte{1}))
		var s *Snapshot
		assert.EqualValues(t, 1, testing.AllocsPerRun(100, func() { s = d.Snapshot() }), "size %d", size)
		assert.Zero(t, testing.AllocsPerRun(100, func() { _ = d.Restore(s) }), "size %d", size)
		assert.Zero(t, testing.AllocsPerRun(100, func() { _ = s.StateKey() }), "StateKey")
		assert.Zero(t, testing.AllocsPerRun(100, func() { _ = s.StateHash() }), "StateHash")
		assert.Zero(t, testing.AllocsPerRun(100, func() { _ = s.UnstableDigest() }), "UnstableDigest")
	}
}

// TestHotPathsNoAlloc: reads and programs on chunks the device owns
// allocate nothing.
func TestHotPathsNoAlloc(t *testing.T) {
	d := mustNew(t, norCfg())
	src, p := pattern(16, 1), make([]byte, 16)
	require.NoError(t, d.Program(64, src))
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = d.Read(64, p) }), "Read")
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = d.Program(64, src) }), "Program")
	d.TrackReads(true)
	_ = d.Read(64, p)
	assert.Zero(t, testing.AllocsPerRun(100, func() { _ = d.Read(64, p) }), "Read, tracking")
}

// TestSnapshotUnchanged: Unchanged is true while only the clock and the
// counters moved (reads without tracking), and false after any change of
// the state: a program, an erase, a tracked read, an overlay, a stuck bit,
// protection, power, the generator.
func TestSnapshotUnchanged(t *testing.T) {
	d := mustNew(t, norCfg())
	require.NoError(t, d.Program(0, pattern(64, 1)))
	s := d.Snapshot()
	assert.True(t, s.Unchanged(d))
	_ = read(t, d, 0, 64)
	assert.True(t, s.Unchanged(d), "an untracked read changes only clock and counters")
	assert.False(t, s.Unchanged(mustNew(t, norCfg())), "another device")
	assert.True(t, s.Unchanged(FromSnapshot(s)), "a device restored from s")
	changes := map[string]func(d *Device){
		"program": func(d *Device) { require.NoError(t, d.Program(4096, pattern(4, 2))) },
		"erase":   func(d *Device) { require.NoError(t, d.Erase(8192, 4096)) },
		"tracked read": func(d *Device) {
			d.TrackReads(true)
			s2 := d.Snapshot()
			_ = read(t, d, 0, 4)
			assert.False(t, s2.Unchanged(d))
		},
		"track":     func(d *Device) { d.TrackReads(true) },
		"unstable":  func(d *Device) { require.NoError(t, d.SetUnstable(0, []byte{1})) },
		"stuck":     func(d *Device) { require.NoError(t, d.SetStuck(0, 0, false)) },
		"protect":   func(d *Device) { d.Protect(0, 4096) },
		"power":     func(d *Device) { d.PowerOff() },
		"generator": func(d *Device) { d.SetRandSeed(7) },
	}
	for name, change := range changes {
		v := FromSnapshot(s)
		change(v)
		assert.False(t, s.Unchanged(v), name)
	}
}
