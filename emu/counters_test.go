package emu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTrackReads(t *testing.T) {
	type step struct {
		do   func(d *Device)
		want [2]uint32 // ReadsSinceErase of units 0 and 1 afterwards
	}
	rd := func(off, n int64) func(d *Device) {
		return func(d *Device) { require.NoError(t, d.Read(off, make([]byte, n))) }
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"off by default: nothing counted", []step{
			{rd(0, 16), [2]uint32{0, 0}},
			{rd(4090, 16), [2]uint32{0, 0}},
		}},
		{"on: one per read and unit touched", []step{
			{func(d *Device) { d.TrackReads(true) }, [2]uint32{0, 0}},
			{rd(0, 16), [2]uint32{1, 0}},
			{rd(4090, 16), [2]uint32{2, 1}},
			{rd(4096, 4096), [2]uint32{2, 2}},
			{func(d *Device) { require.NoError(t, d.Erase(0, 4096)) }, [2]uint32{0, 2}},
			{func(d *Device) { require.NoError(t, d.ApplyErase(1)) }, [2]uint32{0, 0}},
		}},
		{"off again: counts kept, not grown, erase still resets", []step{
			{func(d *Device) { d.TrackReads(true) }, [2]uint32{0, 0}},
			{rd(0, 8192), [2]uint32{1, 1}},
			{func(d *Device) { d.TrackReads(false) }, [2]uint32{1, 1}},
			{rd(0, 8192), [2]uint32{1, 1}},
			{func(d *Device) { require.NoError(t, d.Erase(4096, 4096)) }, [2]uint32{1, 0}},
		}},
		{"ReadOOB and failed reads do not count", []step{
			{func(d *Device) { d.TrackReads(true) }, [2]uint32{0, 0}},
			{func(d *Device) { assert.Error(t, d.Read(-1, make([]byte, 4))) }, [2]uint32{0, 0}},
			{func(d *Device) { d.PowerOff(); assert.Error(t, d.Read(0, make([]byte, 4))); d.PowerOn() }, [2]uint32{0, 0}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustNew(t, norCfg())
			for i, s := range tc.steps {
				s.do(d)
				assert.Equal(t, s.want, [2]uint32{d.ReadsSinceErase(0), d.ReadsSinceErase(1)}, "step %d", i)
			}
		})
	}
}

// TestReadsCostNoCopy: with tracking off a read never writes per-unit state,
// so reading a device restored from a snapshot shares every metadata leaf
// with the snapshot; with tracking on only the small read-count leaf is
// copied. A program shares the unit leaf too (its time lives in the chunk).
func TestReadsCostNoCopy(t *testing.T) {
	for _, track := range []bool{false, true} {
		d := mustNew(t, norCfg())
		d.TrackReads(track)
		require.NoError(t, d.Program(0, pattern(64, 1)))
		s := d.Snapshot()
		v := FromSnapshot(s)
		_ = read(t, v, 0, 64)
		require.NoError(t, v.Program(8192, pattern(64, 2)))
		assert.Same(t, s.units.leafAt(0), v.units.leafAt(0), "track=%v: the unit leaf is not copied", track)
		if track {
			assert.NotSame(t, s.reads.leafAt(0), v.reads.leafAt(0), "the read-count leaf is copied once")
			assert.EqualValues(t, 1, v.ReadsSinceErase(0))
			assert.Zero(t, FromSnapshot(s).ReadsSinceErase(0), "the snapshot keeps its count")
		} else {
			assert.False(t, v.reads.allocated(), "no read-count table until tracking starts")
		}
		assert.Equal(t, track, v.TracksReads(), "snapshots keep the setting")
	}
}

func TestLastProgramNs(t *testing.T) {
	nor := norCfg(func(c *Config) {
		c.Timing = Timing{ProgramPage: 256, ProgramNs: 1000, EraseNs: []EraseTime{{Size: 4096, Ns: 50_000}}}
	})
	nand := nandCfg(func(c *Config) { c.Timing = Timing{ProgramNs: 300, ReadNs: 25} })
	const start = -1 // expect the time the step's operation started
	type step struct {
		name string
		adv  int64 // Advance before the operation
		do   func(d *Device) error
		unit int
		want int64 // LastProgramNs(unit) afterwards, or start
	}
	tests := []struct {
		name  string
		cfg   Config
		steps []step
	}{
		{"nor", nor, []step{
			{"fresh", 0, func(d *Device) error { return nil }, 0, 0},
			{"program", 5000, func(d *Device) error { return d.Program(16, pattern(16, 1)) }, 0, start},
			{"other unit", 7, func(d *Device) error { return d.Program(4096+256, pattern(16, 1)) }, 1, start},
			{"raw apply counts", 3, func(d *Device) error { return d.ApplyProgram(64, pattern(4, 2)) }, 0, start},
			{"later chunk of the unit wins", 3, func(d *Device) error { return d.Program(4096+512, pattern(4, 2)) }, 1, start},
			{"erase resets", 0, func(d *Device) error { return d.Erase(0, 4096) }, 0, 0},
		}},
		{"nand", nand, []step{
			{"page program", 100, func(d *Device) error { return d.ProgramPage(3, pattern(512, 1), []byte{1}) }, 0, start},
			{"oob program", 100, func(d *Device) error { return d.WriteOOB(4, []byte{2}) }, 0, start},
			{"raw page program", 100, func(d *Device) error { return d.ApplyProgramPage(5, nil, []byte{3}) }, 0, start},
			{"other block", 100, func(d *Device) error { return d.Program(8*512, pattern(512, 1)) }, 1, start},
			{"erase resets", 0, func(d *Device) error { return d.Erase(0, 8*512) }, 0, 0},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := mustNew(t, tc.cfg)
			for _, s := range tc.steps {
				d.Advance(s.adv)
				want := s.want
				if want == start {
					want = d.Now()
				}
				require.NoError(t, s.do(d), s.name)
				assert.Equal(t, want, d.LastProgramNs(s.unit), s.name)
			}
			v := FromSnapshot(d.Snapshot())
			for u := 0; u < 2; u++ {
				assert.Equal(t, d.LastProgramNs(u), v.LastProgramNs(u), "snapshots keep program times")
			}
		})
	}
	d := mustNew(t, nor)
	d.Advance(10)
	require.NoError(t, d.Poke(0, []byte{0}))
	assert.Zero(t, d.LastProgramNs(0), "Poke is not a program")
}

func TestSetRandSeed(t *testing.T) {
	draws := func(d *Device) []uint64 {
		out := make([]uint64, 4)
		for i := range out {
			out[i] = d.Rand()
		}
		return out
	}
	fresh := draws(mustNew(t, norCfg(func(c *Config) { c.Seed = 42 })))
	d := mustNew(t, norCfg(func(c *Config) { c.Seed = 7 }))
	_ = draws(d)
	d.SetRandSeed(42)
	assert.Equal(t, fresh, draws(d), "SetRandSeed(s) restarts the sequence of a device created with Seed s")
	d.SetRandSeed(43)
	assert.NotEqual(t, fresh, draws(d))

	// Unstable bits draw from the same generator.
	unstable := func(seed uint64) []byte {
		d := mustNew(t, norCfg())
		require.NoError(t, d.Program(0, rep(0, 8)))
		require.NoError(t, d.SetUnstable(0, rep(0xff, 8)))
		d.SetRandSeed(seed)
		return read(t, d, 0, 8)
	}
	assert.Equal(t, unstable(5), unstable(5))
	assert.NotEqual(t, unstable(5), unstable(6))
	s := d.Snapshot()
	a, b := FromSnapshot(s), FromSnapshot(s)
	assert.Equal(t, draws(a), draws(b), "the generator state is part of snapshots")
}

func TestSnapshotWithNow(t *testing.T) {
	d := mustNew(t, norCfg())
	require.NoError(t, d.Program(0, pattern(16, 1)))
	d.Advance(1000)
	s := d.Snapshot()
	for _, tc := range []struct{ set, want int64 }{{500, 500}, {0, 0}, {-3, 0}, {1 << 40, 1 << 40}} {
		w := s.WithNow(tc.set)
		assert.Equal(t, tc.want, w.Now())
		v := FromSnapshot(w)
		assert.Equal(t, tc.want, v.Now())
		assert.Equal(t, s.StateHash(), w.StateHash(), "same state")
		assert.Equal(t, pattern(16, 1), read(t, v, 0, 16))
	}
	assert.Equal(t, d.Now(), s.Now(), "s itself is unchanged")
}
