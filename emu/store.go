package emu

import "slices"

// The array is stored sparsely in chunks (NOR: a power of two of at most
// 4 KiB dividing every erase unit; NAND: one page plus its OOB). A nil chunk
// is erased. Chunks, per-unit metadata and read counts live in persistent
// tables (table, pmap.go): a snapshot shares their roots in O(1), and a
// device copies the path to a value (and the chunk itself) the first time it
// changes it after a snapshot. Ownership is a generation number: a device
// writes in place only to nodes and chunks stamped with its current
// generation, which is unique process-wide.

// chunk is the stored state of one chunk of the array.
type chunk struct {
	gen   uint64
	data  []byte  // what the cells hold (NAND: page then OOB)
	flip  []byte  // bit errors overlay, XORed into reads; nil if none
	unst  []byte  // unstable (metastable) bits: read randomly; nil if none
	progs []uint8 // programs per write block since erase (MaxPrograms); nil unless limited
	nop   uint16  // NAND: programs of this page since erase
	// progNs: simulated time of the last program into the chunk since its
	// erase (0: none). Kept in the chunk, which a program owns anyway, so a
	// program never copies per-unit metadata (LastProgramNs is the max over
	// the unit's chunks).
	progNs int64
	// blank: untouched since the last erase (data all erase value, no
	// program counted), so a program is a plain copy.
	blank bool
}

// unitMeta is per-erase-unit state. It is small (a leaf of 256 units is
// 2 KiB) and only erases and NAND programs change it: a read never does, and
// the read counters of read disturb live in their own table, written only
// while the device tracks reads (TrackReads).
type unitMeta struct {
	erases uint32 // erase cycles (wear)
	hi     int32  // NAND: highest page programmed since erase, plus one (0: none)
}

// chunkRO returns chunk i for reading (nil = erased).
func (d *Device) chunkRO(i int) *chunk { return d.chunks.get(i) }

// chunkRW returns chunk i owned by the device for changing its data,
// materialising erased chunks.
func (d *Device) chunkRW(i int) *chunk {
	c := d.chunkOwn(i)
	c.blank = false
	return c
}

// chunkOwn returns chunk i owned by the device, materialising erased chunks
// (blank) and copying shared ones; the caller keeps blank up to date.
func (d *Device) chunkOwn(i int) *chunk {
	p := d.chunks.ptr(i, d.gen)
	c := *p
	switch {
	case c == nil:
		c = &chunk{gen: d.gen, data: make([]byte, d.g.store), blank: true}
		if d.g.ev != 0 {
			fill(c.data, d.g.ev)
		}
		if d.g.cfg.MaxPrograms > 0 {
			c.progs = make([]uint8, d.g.chunk/d.g.wb)
		}
		*p = c
	case c.gen != d.gen:
		n := &chunk{gen: d.gen, data: slices.Clone(c.data), nop: c.nop, blank: c.blank, progNs: c.progNs}
		n.flip = slices.Clone(c.flip)
		n.unst = slices.Clone(c.unst)
		n.progs = slices.Clone(c.progs)
		c = n
		*p = c
	}
	return c
}

// eraseChunk returns chunk i to the erased state.
func (d *Device) eraseChunk(i int) {
	c := d.chunks.get(i)
	if c == nil {
		return
	}
	if c.gen != d.gen {
		*d.chunks.ptr(i, d.gen) = nil
		return
	}
	if !c.blank {
		fill(c.data, d.g.ev)
		clear(c.progs)
		c.nop = 0
		c.blank = true
	}
	c.progNs = 0
	c.flip, c.unst = nil, nil
}

func (d *Device) unit(i int) unitMeta    { return d.units.get(i) }
func (d *Device) unitRW(i int) *unitMeta { return d.units.ptr(i, d.gen) }
func fill(b []byte, v byte) {
	if len(b) == 0 {
		return
	}
	b[0] = v
	for n := 1; n < len(b); n *= 2 {
		copy(b[n:], b[:n])
	}
}
