package emu

import (
	"fmt"
	"hash/maphash"
	"unsafe"
)

// Snapshot is an immutable copy of a device's whole state: array, wear,
// overlays, protection, clock, counters and power. Taking one or restoring
// one costs O(1), whatever the device size: the array and the per-unit
// tables are persistent maps shared with the device it came from, which
// afterwards copies only the path to what it changes (see Device.Snapshot). Snapshots are safe to share
// between goroutines; any number of devices may be restored from one.
type Snapshot struct {
	g      *geometry
	chunks table[*chunk]
	units  table[unitMeta]
	reads  table[uint32]
	track  bool
	prot   []bool
	nprot  int
	stuck  []stuckBit
	now    int64
	seq    uint64
	rng    uint64
	off    bool
	stats  Stats
}

// Snapshot captures the device state in O(1) time and memory (one small
// struct). The device keeps running; the first change to a chunk after the
// snapshot copies that chunk and the few table nodes on its path (a 16-byte
// program on a 4 KiB-chunk NOR pins the 4 KiB chunk plus well under 1 KiB).
func (d *Device) Snapshot() *Snapshot {
	s := &Snapshot{
		g: d.g, chunks: d.chunks, units: d.units, reads: d.reads, track: d.track,
		prot: d.prot, nprot: d.nprot, stuck: d.stuck,
		now: d.now, seq: d.seq, rng: d.rng, off: d.off, stats: d.stats,
	}
	d.gen = newGen() // everything now shared with s is read-only to d
	return s
}

// Restore returns the device to the state captured in s. The installed hook
// stays. s must come from a device of the same geometry.
func (d *Device) Restore(s *Snapshot) error {
	if s == nil {
		return fmt.Errorf("%w: nil snapshot", ErrInvalid)
	}
	if s.g != d.g && !sameGeometry(s.g, d.g) {
		return fmt.Errorf("%w: snapshot of a different geometry", ErrInvalid)
	}
	d.restore(s)
	return nil
}

func (d *Device) restore(s *Snapshot) {
	if d.g != s.g {
		d.memo = costMemos{} // costs depend on the geometry's timing
	}
	d.g = s.g
	d.gen = newGen()
	d.chunks, d.units = s.chunks, s.units // shared until changed (d.gen is new)
	d.reads, d.track = s.reads, s.track
	d.prot, d.nprot, d.stuck = s.prot, s.nprot, s.stuck
	d.now, d.seq, d.rng, d.off, d.stats = s.now, s.seq, s.rng, s.off, s.stats
	d.ecc = ECCReport{}
	if d.g.kind == NAND && (d.page == nil || len(d.page) != d.g.store || d.erased[0] != d.g.ev) {
		d.initScratch()
	}
}

func sameGeometry(a, b *geometry) bool {
	return a.kind == b.kind && a.size == b.size && a.chunk == b.chunk && a.store == b.store &&
		a.wb == b.wb && a.ev == b.ev && len(a.unitStart) == len(b.unitStart)
}

// FromSnapshot creates a new device in the state captured in s, with no hook.
// A nil snapshot gives a nil device.
func FromSnapshot(s *Snapshot) *Device {
	if s == nil {
		return nil
	}
	d := &Device{}
	d.restore(s)
	return d
}

// Unchanged reports whether d still holds the state captured in s apart
// from its clock, operation count (Seq) and counters (Stats), which every
// operation moves: the same array, overlays, wear, read counts, protection,
// stuck bits, generator and power. It compares identities in O(1) and
// allocates nothing; true is exact (every change after a snapshot copies
// what it changes), while states made equal again by different changes
// report false. A recorder that keeps a state per operation uses it to
// share one snapshot between "after operation k" and "before operation
// k+1" when nothing happened in between.
func (s *Snapshot) Unchanged(d *Device) bool {
	return s.g == d.g && s.chunks == d.chunks && s.units == d.units && s.reads == d.reads && s.track == d.track &&
		sameSlice(s.prot, d.prot) && s.nprot == d.nprot && sameSlice(s.stuck, d.stuck) && s.rng == d.rng && s.off == d.off
}

func sameSlice[T any](a, b []T) bool {
	return len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}

// Now is the simulated time at which the snapshot was taken.
func (s *Snapshot) Now() int64 { return s.now }

// WithNow returns a snapshot of the same state with its clock at ns
// (negative: 0), sharing everything else with s. A fault model that cuts
// power at an instant T uses it: the array is what it was when the power
// died, and a device restored from it resumes at T — not at the start of the
// interrupted operation, nor after an idle gap the device never lived through.
func (s *Snapshot) WithNow(ns int64) *Snapshot {
	c := *s
	c.now = min(max(ns, 0), maxNs<<12)
	return &c
}

// Seq is the number of operations the device had issued when the snapshot was taken.
func (s *Snapshot) Seq() uint64 { return s.seq }

var hashSeed = maphash.MakeSeed()

// StateHash hashes the observable array state (stored bits and overlays of
// every non-erased chunk, with their positions, and the stuck bits). Wear,
// clock, counters and program counts are not part of it. Equal hashes mean,
// with overwhelming probability, equal contents; it is meant for
// deduplicating explored states within one process (the seed is per
// process), not for storage.
func (d *Device) StateHash() uint64 { return hashState(d.g, &d.chunks, d.stuck) }

// StateHash is Device.StateHash of the captured state.
func (s *Snapshot) StateHash() uint64 { return hashState(s.g, &s.chunks, s.stuck) }

func hashState(g *geometry, t *table[*chunk], stuck []stuckBit) uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	var idx [8]byte
	for _, s := range stuck {
		le.PutUint64(idx[:], uint64(s.addr))
		h.Write(idx[:])
		h.WriteByte(s.mask)
		h.WriteByte(s.val)
	}
	h.WriteByte('|')
	t.leaves(func(base int, l *leaf[*chunk]) {
		for j, c := range l.v {
			if c == nil || (isFilled(c.data, g.ev) && c.flip == nil && c.unst == nil) {
				continue
			}
			le.PutUint64(idx[:], uint64(base+j))
			h.Write(idx[:])
			h.Write(c.data)
			if c.flip != nil {
				h.WriteByte('f')
				h.Write(c.flip)
			}
			if c.unst != nil {
				h.WriteByte('u')
				h.Write(c.unst)
			}
		}
	})
	return h.Sum64()
}

func isFilled(b []byte, v byte) bool {
	vw := uint64(v) * 0x0101010101010101
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if le.Uint64(b[i:]) != vw {
			return false
		}
	}
	for ; i < len(b); i++ {
		if b[i] != v {
			return false
		}
	}
	return true
}
