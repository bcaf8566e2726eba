package emu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// StateKey tells apart every pair of states a device can tell apart, while
// StateHash (content only) does not; equal states have equal keys.
func TestStateKeyCoversEverything(t *testing.T) {
	key := func(d *Device) uint64 { return d.Snapshot().StateKey() }
	norLim := func() *Device { return mustNew(t, norCfg(func(c *Config) { c.MaxPrograms = 1 })) }
	a, b := norLim(), norLim()
	assert.Equal(t, key(a), key(b))
	for _, tc := range []struct {
		name   string
		change func(d *Device)
	}{
		{"program count (8 x erase value)", func(d *Device) { require.NoError(t, d.Program(0, rep(0xff, 8))) }},
		{"wear", func(d *Device) { d.AddWear(1, 1) }},
		{"clock", func(d *Device) { d.Advance(5) }},
		{"counters", func(d *Device) { _ = d.Read(0, make([]byte, 4)) }},
		{"protection", func(d *Device) { d.Protect(0, 1) }},
		{"power", func(d *Device) { d.PowerOff() }},
		{"generator", func(d *Device) { d.SetRandSeed(99) }},
		{"unstable", func(d *Device) { require.NoError(t, d.SetUnstable(3, []byte{0x10})) }},
		{"read tracking", func(d *Device) { d.TrackReads(true) }},
	} {
		d := norLim()
		d.SetRandSeed(norCfg().Seed)
		ref := norLim()
		ref.SetRandSeed(norCfg().Seed)
		require.Equal(t, key(ref), key(d), tc.name)
		tc.change(d)
		assert.NotEqual(t, key(ref), key(d), "%s changes the key", tc.name)
	}
	// A program at a later time leaves another program time.
	c, e := mustNew(t, norCfg()), mustNew(t, norCfg())
	e.Advance(1000)
	require.NoError(t, c.Program(0, []byte{1, 2, 3, 4}))
	require.NoError(t, e.Program(0, []byte{1, 2, 3, 4}))
	assert.Equal(t, c.StateHash(), e.StateHash())
	assert.NotEqual(t, c.Snapshot().WithNow(0).StateKey(), e.Snapshot().WithNow(0).StateKey(), "program time")

	// NAND: a NOP spent on an all-0xFF page and the in-order pointer.
	n1, n2 := mustNew(t, nandCfg()), mustNew(t, nandCfg())
	require.NoError(t, n1.ProgramPage(1, rep(0xff, n1.PageSize()), nil))
	assert.Equal(t, n1.StateHash(), n2.StateHash())
	assert.NotEqual(t, n1.Snapshot().WithCounters(0, Stats{}).WithNow(0).StateKey(),
		n2.Snapshot().WithCounters(0, Stats{}).WithNow(0).StateKey(), "NOP / page order")

	// Equal states from different paths: equal keys once the path-only
	// parts (counters, clock) are equal.
	p, q := mustNew(t, norCfg()), mustNew(t, norCfg())
	require.NoError(t, p.Program(0, []byte{1, 2, 3, 4}))
	require.NoError(t, q.XorFlips(8, []byte{1}))
	require.NoError(t, q.XorFlips(8, []byte{1})) // an overlay cancelled out
	require.NoError(t, q.Program(0, []byte{1, 2, 3, 4}))
	ps, qs := p.Snapshot().WithCounters(0, Stats{}), q.Snapshot().WithCounters(0, Stats{})
	assert.Equal(t, ps.StateKey(), qs.StateKey())
}

func TestUnstableDigest(t *testing.T) {
	a, b := mustNew(t, norCfg()), mustNew(t, norCfg())
	assert.Zero(t, a.Snapshot().UnstableDigest())
	require.NoError(t, a.Program(0, []byte{0x0f, 1, 2, 3}))
	assert.Zero(t, a.Snapshot().UnstableDigest(), "no unstable bits")
	require.NoError(t, a.SetUnstable(0, []byte{0x30}))
	require.NoError(t, b.SetUnstable(0, []byte{0x30}))
	assert.NotEqual(t, a.Snapshot().UnstableDigest(), b.Snapshot().UnstableDigest(), "the stored content counts")
	require.NoError(t, b.Program(0, []byte{0x0f, 1, 2, 3}))
	assert.Equal(t, a.Snapshot().UnstableDigest(), b.Snapshot().UnstableDigest())
	// Fixed value: the digest is the same in every process.
	assert.Equal(t, uint64(0xd48fa60dfcf986ba), a.Snapshot().UnstableDigest())
}

// BenchmarkStateKey hashes the complete state of a 64 MiB device with 1 %
// of its units touched (the sweep hashes every branch once). SetBytes is
// the touched data.
func BenchmarkStateKey(b *testing.B) {
	d, touched := touchedDevice(b, 64<<20)
	s := d.Snapshot()
	b.SetBytes(touched)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.StateKey()
	}
}

// BenchmarkStateHash is the content-only hash on the same device, for
// comparison with BenchmarkStateKey.
func BenchmarkStateHash(b *testing.B) {
	d, touched := touchedDevice(b, 64<<20)
	s := d.Snapshot()
	b.SetBytes(touched)
	b.ReportAllocs()
	for b.Loop() {
		_ = s.StateHash()
	}
}
