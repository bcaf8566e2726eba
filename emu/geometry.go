package emu

import (
	"fmt"
	"math/bits"
	"slices"
	"sort"
)

// geometry is the validated, derived form of a Config shared (immutable) by a
// device and its snapshots.
type geometry struct {
	cfg        Config
	kind       Kind
	size       int64 // addressable data bytes
	wb         int64 // write block
	ev         byte
	unitStart  []int64 // len units+1, prefix sums
	uniform    int64   // unit size when uniform, else 0
	chunk      int64   // bytes of data addressed by one chunk (NOR chunk, NAND page)
	store      int     // bytes stored per chunk (NAND: page + OOB)
	nchunks    int
	chunksUnit []int  // first chunk of each unit, len units+1
	badMark    []int  // NAND pages (within block) carrying the bad mark
	factoryBad []bool // NAND: per block, Config.BadBlocks; nil when none
	// costPeriod: the read and program costs depend on the offset only
	// modulo these (0: not at all).
	costPeriod [2]int64
	// Shifts for the hot paths when the sizes are powers of two (else -1).
	chunkShift, unitShift, wbShift int
}

// log2 returns k when v == 1<<k, else -1.
func log2(v int64) int {
	if v <= 0 || v&(v-1) != 0 {
		return -1
	}
	return bits.TrailingZeros64(uint64(v))
}

// split returns the chunk holding device offset off and the offset in it.
func (g *geometry) split(off int64) (ci, co int) {
	if g.chunkShift >= 0 {
		return int(off >> g.chunkShift), int(off & (g.chunk - 1))
	}
	return int(off / g.chunk), int(off % g.chunk)
}

// aligned2 reports whether a and b are both multiples of the write block.
func (g *geometry) aligned2(a, b int64) bool {
	if g.wbShift >= 0 {
		return (a|b)&(g.wb-1) == 0
	}
	return a%g.wb == 0 && b%g.wb == 0
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// norChunk is the NOR storage granule: the largest multiple of the write
// block wb that divides g (the gcd of the unit sizes) and is at most 4 KiB
// (or wb itself when wb is larger).
func norChunk(g, wb int64) int64 {
	m := g / wb
	for k := min(m, max(4096/wb, 1)); k > 1; k-- {
		if m%k == 0 {
			return wb * k
		}
	}
	return wb
}

func newGeometry(c Config) (*geometry, error) {
	c = cloneConfig(c)
	g := &geometry{cfg: c, kind: c.Kind, ev: c.EraseValue}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
	}
	switch c.Kind {
	case NOR:
		runs := c.Units
		if len(runs) == 0 {
			if c.EraseUnit <= 0 {
				return nil, bad("erase unit size must be positive")
			}
			if c.Size <= 0 || c.Size%int64(c.EraseUnit) != 0 {
				return nil, bad("size %d is not a positive multiple of the erase unit %d", c.Size, c.EraseUnit)
			}
			if c.Size > MaxDeviceSize {
				return nil, bad("size %d above the %d-byte limit", c.Size, MaxDeviceSize)
			}
			if c.Size/int64(c.EraseUnit) > MaxUnits {
				return nil, bad("%d erase units above the limit of %d", c.Size/int64(c.EraseUnit), MaxUnits)
			}
			runs = []Run{{Count: int(c.Size / int64(c.EraseUnit)), Size: c.EraseUnit}}
			g.uniform = int64(c.EraseUnit)
		}
		var chunk, total int64
		nunits := 0
		for _, r := range runs {
			if r.Count <= 0 || r.Size <= 0 {
				return nil, bad("erase unit run {count=%d, size=%d} must be positive", r.Count, r.Size)
			}
			if r.Count > MaxUnits-nunits {
				return nil, bad("more than %d erase units", MaxUnits)
			}
			if int64(r.Size) > MaxDeviceSize || int64(r.Count) > (MaxDeviceSize-total)/int64(r.Size) {
				return nil, bad("erase units add up to more than %d bytes", MaxDeviceSize)
			}
			nunits += r.Count
			total += int64(r.Count) * int64(r.Size)
			chunk = gcd(chunk, int64(r.Size))
		}
		g.unitStart = make([]int64, 1, nunits+1)
		for _, r := range runs {
			for i := 0; i < r.Count; i++ {
				g.unitStart = append(g.unitStart, g.unitStart[len(g.unitStart)-1]+int64(r.Size))
			}
		}
		if len(c.Units) > 0 && len(runs) == 1 {
			g.uniform = int64(runs[0].Size)
		}
		g.size = g.unitStart[len(g.unitStart)-1]
		if c.Size != 0 && c.Size != g.size {
			return nil, bad("size %d does not match the sum of the erase units %d", c.Size, g.size)
		}
		g.wb = int64(c.WriteBlock)
		if g.wb <= 0 || g.wb > MaxChunk {
			return nil, bad("write block %d must be in 1..%d", g.wb, MaxChunk)
		}
		if chunk%g.wb != 0 {
			return nil, bad("erase units (gcd %d) are not multiples of the write block %d", chunk, g.wb)
		}
		g.chunk = norChunk(chunk, g.wb)
		g.store = int(g.chunk)
		if c.OOBSize != 0 || c.PageSize != 0 || c.PagesPerBlock != 0 || c.Blocks != 0 {
			return nil, bad("NOR devices have no pages, blocks or spare area")
		}
	case NAND:
		if c.PageSize <= 0 || c.PagesPerBlock <= 0 || c.Blocks <= 0 || c.OOBSize < 0 {
			return nil, bad("NAND needs positive page size, pages per block and blocks")
		}
		if c.PageSize > MaxChunk || c.OOBSize > MaxChunk-c.PageSize {
			return nil, bad("page %d + spare %d above the %d-byte limit", c.PageSize, c.OOBSize, MaxChunk)
		}
		if c.Blocks > MaxUnits || c.PagesPerBlock > MaxUnits {
			return nil, bad("%d blocks of %d pages above the limit of %d", c.Blocks, c.PagesPerBlock, MaxUnits)
		}
		block := int64(c.PageSize) * int64(c.PagesPerBlock)
		if block*int64(c.Blocks) > MaxDeviceSize {
			return nil, bad("size %d above the %d-byte limit", block*int64(c.Blocks), MaxDeviceSize)
		}
		if c.EraseUnit != 0 && int64(c.EraseUnit) != block || len(c.Units) > 0 {
			return nil, bad("NAND erase units are its blocks (page size × pages per block)")
		}
		if c.Size != 0 && c.Size != block*int64(c.Blocks) {
			return nil, bad("size %d does not match %d blocks of %d bytes", c.Size, c.Blocks, block)
		}
		if c.NoExplicitErase {
			return nil, bad("NAND always needs an explicit erase")
		}
		g.chunk = int64(c.PageSize)
		g.store = c.PageSize + c.OOBSize
		g.uniform = block
		g.size = block * int64(c.Blocks)
		g.unitStart = make([]int64, c.Blocks+1)
		for i := range g.unitStart {
			g.unitStart[i] = int64(i) * block
		}
		g.wb = int64(c.WriteBlock)
		if g.wb == 0 {
			g.wb = int64(c.PageSize)
		}
		if g.wb <= 0 || int64(c.PageSize)%g.wb != 0 {
			return nil, bad("NAND write block %d must divide the page size %d", g.wb, c.PageSize)
		}
		if c.ECCBits < 0 || c.ECCStep < 0 {
			return nil, bad("ECC strength and step must not be negative")
		}
		if c.ECCBits > 0 {
			step := c.ECCStep
			if step == 0 {
				step = 512
			}
			if c.PageSize%step != 0 {
				return nil, bad("ECC step %d must divide the page size %d", step, c.PageSize)
			}
			g.cfg.ECCStep = step
		}
		g.badMark = slices.Clone(c.BadMarkPages)
		if len(g.badMark) == 0 {
			g.badMark = []int{0}
		}
		for i, p := range g.badMark {
			if p == -1 {
				p = c.PagesPerBlock - 1
			}
			if p < 0 || p >= c.PagesPerBlock {
				return nil, bad("bad-block mark page %d outside the block", p)
			}
			g.badMark[i] = p
		}
		if c.OOBSize == 0 {
			if len(c.BadBlocks) > 0 || c.BadMarkOffset != 0 {
				return nil, bad("bad-block marks need a spare area (oob size 0)")
			}
		} else if c.BadMarkOffset < 0 || c.BadMarkOffset >= c.OOBSize {
			return nil, bad("bad-block mark offset %d outside the %d-byte spare area", c.BadMarkOffset, c.OOBSize)
		}
		for _, b := range c.BadBlocks {
			if b < 0 || b >= c.Blocks {
				return nil, bad("bad block %d outside the device", b)
			}
			if g.factoryBad == nil {
				g.factoryBad = make([]bool, c.Blocks)
			}
			g.factoryBad[b] = true
		}
	default:
		return nil, bad("kind must be nor or nand")
	}
	if c.Violations != ViolationsStrict && c.Violations != ViolationsCount {
		return nil, bad("unknown violation mode %d", c.Violations)
	}
	if c.MaxPrograms < 0 || c.MaxPrograms > 255 || c.NOP < 0 || c.NOP > 65535 {
		return nil, bad("program limits must be in 0..255 (max_programs) and 0..65535 (nop)")
	}
	if err := c.Timing.validate(); err != nil {
		return nil, err
	}
	g.cfg.WriteBlock = int(g.wb)
	g.cfg.Size = g.size
	g.chunkShift, g.unitShift, g.wbShift = log2(g.chunk), log2(g.uniform), log2(g.wb)
	if g.kind == NAND {
		g.costPeriod = [2]int64{g.chunk, g.chunk}
	} else {
		pp := int64(c.Timing.ProgramPage)
		if pp <= 0 {
			pp = g.wb
		}
		g.costPeriod = [2]int64{0, pp}
	}
	g.nchunks = int(g.size / g.chunk)
	units := len(g.unitStart) - 1
	g.chunksUnit = make([]int, units+1)
	for i := range g.chunksUnit {
		g.chunksUnit[i] = int(g.unitStart[i] / g.chunk)
	}
	return g, nil
}

func (g *geometry) units() int { return len(g.unitStart) - 1 }

// unitAt returns the index of the erase unit holding off (0 <= off < size).
func (g *geometry) unitAt(off int64) int {
	if g.unitShift >= 0 {
		return int(off >> g.unitShift)
	}
	if g.uniform != 0 {
		return int(off / g.uniform)
	}
	return sort.Search(len(g.unitStart)-1, func(i int) bool { return g.unitStart[i+1] > off })
}

// Kind reports NOR or NAND.
func (d *Device) Kind() Kind { return d.g.kind }

// Size is the number of addressable data bytes (NAND: without OOB).
func (d *Device) Size() int64 { return d.g.size }

// WriteBlock is the program unit in bytes.
func (d *Device) WriteBlock() int { return int(d.g.wb) }

// EraseValue is the byte value of erased flash.
func (d *Device) EraseValue() byte { return d.g.ev }

// NoExplicitErase reports a RAM-like device that needs no erase before a write.
func (d *Device) NoExplicitErase() bool { return d.g.cfg.NoExplicitErase }

// Config returns a copy of the device's configuration (with derived fields filled in).
func (d *Device) Config() Config {
	c := d.g.cfg
	c.Units = append([]Run(nil), c.Units...)
	c.BadBlocks = append([]int(nil), c.BadBlocks...)
	c.BadMarkPages = append([]int(nil), d.g.badMark...)
	return c
}

// UnitCount is the number of erase units (NAND: blocks).
func (d *Device) UnitCount() int { return d.g.units() }

// Unit returns the start offset and size of erase unit i.
func (d *Device) Unit(i int) (start, size int64) {
	if i < 0 || i >= d.g.units() {
		return 0, 0
	}
	return d.g.unitStart[i], d.g.unitStart[i+1] - d.g.unitStart[i]
}

// UnitAt returns the erase unit holding device offset off.
func (d *Device) UnitAt(off int64) (i int, start, size int64, ok bool) {
	if off < 0 || off >= d.g.size {
		return 0, 0, 0, false
	}
	i = d.g.unitAt(off)
	return i, d.g.unitStart[i], d.g.unitStart[i+1] - d.g.unitStart[i], true
}

// Regions returns the erase-unit map as runs of equal units.
func (d *Device) Regions() []Run {
	var runs []Run
	for i := 0; i < d.g.units(); i++ {
		s := int(d.g.unitStart[i+1] - d.g.unitStart[i])
		if n := len(runs); n > 0 && runs[n-1].Size == s {
			runs[n-1].Count++
			continue
		}
		runs = append(runs, Run{Count: 1, Size: s})
	}
	return runs
}

// inRange is the overflow-safe test 0 <= off, 0 <= n, off+n <= size.
func (g *geometry) inRange(off, n int64) bool {
	return off >= 0 && n >= 0 && off <= g.size && n <= g.size-off
}

// checkRange is the overflow-safe bounds check: 0 <= off, 0 <= n, off+n <= size.
func (g *geometry) checkRange(off, n int64) error {
	if !g.inRange(off, n) {
		return fmt.Errorf("%w: offset %d length %d on a %d-byte device", ErrOutOfRange, off, n, g.size)
	}
	return nil
}
