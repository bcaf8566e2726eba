package emu

import "hash/maphash"

// StateKey hashes the complete state a device restored from the snapshot
// starts with — everything Restore brings back: the stored bits, bit-error,
// unstable and stuck overlays, program counts per write block (MaxPrograms),
// NAND NOP counts and in-order page state, program times, wear, read counts
// and whether reads are tracked, protection, the clock, the operation
// count, the counters (Stats), the generator state and the power flag. Two
// snapshots with equal keys are, with overwhelming probability,
// indistinguishable by any sequence of Device calls; StateHash, by
// contrast, covers the content only.
//
// Erased chunks hash like chunks never touched, and all-zero overlays or
// program counts like absent ones: the device behaves the same either way.
// Like StateHash, the key is for deduplication within one process (the
// seed is per process), not for storage. It does not allocate.
func (s *Snapshot) StateKey() uint64 {
	var h maphash.Hash
	h.SetSeed(hashSeed)
	g := s.g
	var w wordWriter
	w.h = &h

	// Per-chunk state.
	s.chunks.leaves(func(base int, l *leaf[*chunk]) {
		for j, c := range l.v {
			if c == nil || pristine(c, g.ev) {
				continue
			}
			w.u64(uint64(base + j))
			h.Write(c.data)
			if c.flip != nil && !isFilled(c.flip, 0) {
				h.WriteByte('f')
				h.Write(c.flip)
			}
			if c.unst != nil && !isFilled(c.unst, 0) {
				h.WriteByte('u')
				h.Write(c.unst)
			}
			if c.progs != nil && !isFilled(c.progs, 0) {
				h.WriteByte('p')
				h.Write(c.progs)
			}
			w.u64(uint64(c.nop))
			w.u64(uint64(c.progNs))
		}
	})
	h.WriteByte('|')
	// Per-unit state: wear and the NAND in-order page state.
	s.units.leaves(func(base int, l *leaf[unitMeta]) {
		for j, m := range l.v {
			if m != (unitMeta{}) {
				w.u64(uint64(base + j))
				w.u64(uint64(m.erases)<<32 | uint64(uint32(m.hi)))
			}
		}
	})
	h.WriteByte('|')
	// Read counts (read disturb) and whether they grow.
	if s.track {
		h.WriteByte('t')
	}
	s.reads.leaves(func(base int, l *leaf[uint32]) {
		for j, n := range l.v {
			if n != 0 {
				w.u64(uint64(base + j))
				w.u64(uint64(n))
			}
		}
	})
	h.WriteByte('|')
	if s.nprot > 0 {
		for u, p := range s.prot {
			if p {
				w.u64(uint64(u))
			}
		}
	}
	h.WriteByte('|')
	for _, st := range s.stuck {
		w.u64(uint64(st.addr))
		w.u64(uint64(st.mask)<<8 | uint64(st.val))
	}
	h.WriteByte('|')
	w.u64(uint64(s.now))
	w.u64(s.seq)
	w.u64(s.rng)
	if s.off {
		h.WriteByte('o')
	}
	st := &s.stats
	for _, v := range [...]uint64{st.Reads, st.Programs, st.Erases, st.BytesRead, st.BytesProgrammed, st.BytesErased,
		uint64(st.ReadNs), uint64(st.ProgramNs), uint64(st.EraseNs), st.Violations, st.LimitViolations, st.Failed,
		st.Interrupted, st.ECCCorrectedBits, st.ECCCorrectedSteps, st.ECCFailedSteps} {
		w.u64(v)
	}
	return h.Sum64()
}

// pristine reports whether chunk c behaves exactly like an erased chunk
// never programmed since its erase (a nil chunk).
func pristine(c *chunk, ev byte) bool {
	return c.nop == 0 && c.progNs == 0 && (c.flip == nil || isFilled(c.flip, 0)) &&
		(c.unst == nil || isFilled(c.unst, 0)) && (c.progs == nil || isFilled(c.progs, 0)) && isFilled(c.data, ev)
}

// wordWriter writes fixed-size words into a maphash without allocating.
type wordWriter struct {
	h   *maphash.Hash
	buf [8]byte
}

func (w *wordWriter) u64(v uint64) {
	le.PutUint64(w.buf[:], v)
	w.h.Write(w.buf[:])
}

// UnstableDigest is a deterministic digest (the same in every process and
// on every platform) of the snapshot's unstable bits: the position and
// mask of every unstable bit and the stored content of the chunks holding
// them; 0 when there are none. It is a function of the state alone, so a
// fault model can seed the values unstable bits read as from it (emu
// SetRandSeed): equal states then read equally, whichever run reached them.
func (s *Snapshot) UnstableDigest() uint64 {
	var d uint64
	s.chunks.leaves(func(base int, l *leaf[*chunk]) {
		for j, c := range l.v {
			if c == nil || c.unst == nil || isFilled(c.unst, 0) {
				continue
			}
			d = mixWord(d, uint64(base+j)+1)
			d = mixBytes(d, c.unst)
			d = mixBytes(d, c.data)
		}
	})
	return d
}

// mixWord folds v into the running digest d (splitmix64 finalisers;
// deterministic, not cryptographic).
func mixWord(d, v uint64) uint64 { return mix64(d ^ mix64(v+0x9e3779b97f4a7c15)) }

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func mixBytes(d uint64, b []byte) uint64 {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		d = mixWord(d, le.Uint64(b[i:]))
	}
	var t [8]byte
	copy(t[:], b[i:])
	return mixWord(d, le.Uint64(t[:])^uint64(len(b))<<56)
}

// WithCounters returns a snapshot of the same state with its operation
// count (Seq) and counters (Stats) replaced, sharing everything else with
// s. A fault model that restarts a device after a power cut uses it to
// start the recovery's counters afresh, so that branches that differ only
// in how many operations led to them are the same state.
func (s *Snapshot) WithCounters(seq uint64, st Stats) *Snapshot {
	c := *s
	c.seq, c.stats = seq, st
	return &c
}
