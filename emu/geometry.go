package emu

import (
	"fmt"
	"math/bits"
	"slices"
	"sort"
)

// Kind says whether a device is NOR or NAND flash.
type Kind uint8

// Device kinds.
const (
	NOR Kind = iota + 1
	NAND
)

// String returns "nor" or "nand".
func (k Kind) String() string {
	switch k {
	case NOR:
		return "nor"
	case NAND:
		return "nand"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// MarshalText encodes the kind as "nor" or "nand" (JSON sidecars, traces).
func (k Kind) MarshalText() ([]byte, error) {
	if k != NOR && k != NAND {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, k)
	}
	return []byte(k.String()), nil
}

// UnmarshalText decodes "nor" or "nand".
func (k *Kind) UnmarshalText(b []byte) error {
	switch string(b) {
	case "nor", "NOR":
		*k = NOR
	case "nand", "NAND":
		*k = NAND
	default:
		return fmt.Errorf("%w: device kind %q (want nor or nand)", ErrInvalid, b)
	}
	return nil
}

// String returns "strict" or "count".
func (m ViolationMode) String() string {
	if m == ViolationsCount {
		return "count"
	}
	if m == ViolationsStrict {
		return "strict"
	}
	return fmt.Sprintf("violations(%d)", uint8(m))
}

// MarshalText encodes the mode as "strict" or "count".
func (m ViolationMode) MarshalText() ([]byte, error) {
	if m != ViolationsStrict && m != ViolationsCount {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, m)
	}
	return []byte(m.String()), nil
}

// UnmarshalText decodes "strict" (or "") and "count".
func (m *ViolationMode) UnmarshalText(b []byte) error {
	switch string(b) {
	case "strict", "":
		*m = ViolationsStrict
	case "count":
		*m = ViolationsCount
	default:
		return fmt.Errorf("%w: violation mode %q (want strict or count)", ErrInvalid, b)
	}
	return nil
}

// Run is a run of Count equal erase units of Size bytes; a list of runs
// describes a non-uniform sector map (STM32F4: 4×16 KiB, 1×64 KiB, 7×128 KiB).
type Run struct {
	Count int `json:"count"`
	Size  int `json:"size"`
}

// ViolationMode says what a program that asks a programmed bit to return to
// the erased state does (and likewise a program past MaxPrograms or NOP).
type ViolationMode uint8

const (
	// ViolationsStrict fails the program with EIO and changes nothing (default).
	ViolationsStrict ViolationMode = iota
	// ViolationsCount stores the physically possible result and counts the
	// violating bytes in Stats.Violations (Stats.LimitViolations for limits).
	ViolationsCount
)

// Config describes a device: geometry, rules, timing and identity. The zero
// value of every optional field means "the usual": write block = page for
// NAND, no program limit, strict violations, no protection. EraseValue is
// taken as given on both kinds, never defaulted: 0x00 is a real erase value
// (some MCU flash erases to 0x00), so set 0xFF explicitly. Physical NAND
// erases to 0xFF; another value on NAND models a controller that inverts or
// scrambles the data, and every rule (program, erase, bad-block marks, ECC)
// follows it consistently.
//
// Limits: at most MaxDeviceSize bytes, MaxUnits erase units, write blocks and
// NAND page+OOB of at most MaxChunk bytes, MaxPrograms ≤ 255, NOP ≤ 65535.
type Config struct {
	Name string `json:"name,omitempty"` // chip preset name, informative
	Kind Kind   `json:"kind"`

	// NOR geometry. Size may be left 0 when Units is given.
	Size       int64 `json:"size,omitempty"`
	EraseUnit  int   `json:"erase_unit,omitempty"` // uniform erase unit (sector) size
	Units      []Run `json:"units,omitempty"`      // non-uniform erase units; overrides EraseUnit
	WriteBlock int   `json:"write_block"`          // program unit; NAND default PageSize

	EraseValue byte `json:"erase_value"`

	// Rules.
	AlignedReads bool `json:"aligned_reads,omitempty"` // reads must be write-block aligned
	MaxPrograms  int  `json:"max_programs,omitempty"`  // programs per write block between erases; 0 = unlimited
	// ZeroOverwrite lets a write block be programmed past MaxPrograms when
	// the new data programs every bit (all zeros on 0xFF flash), as STM32L4
	// does for a double word of zeros (RM0351).
	ZeroOverwrite   bool          `json:"zero_overwrite,omitempty"`
	Violations      ViolationMode `json:"violations,omitempty"`        // strict (EIO) or count
	NoExplicitErase bool          `json:"no_explicit_erase,omitempty"` // RAM-like: program stores data as is
	ProtectBoot     bool          `json:"protect_boot,omitempty"`      // unit 0 write/erase protected at creation

	// NAND geometry and rules.
	PageSize      int   `json:"page_size,omitempty"`
	OOBSize       int   `json:"oob_size,omitempty"`
	PagesPerBlock int   `json:"pages_per_block,omitempty"`
	Blocks        int   `json:"blocks,omitempty"`
	NOP           int   `json:"nop,omitempty"`        // partial programs per page before erase; 0 = unlimited
	ECCBits       int   `json:"ecc_bits,omitempty"`   // correctable bits per step; 0 = no ECC
	ECCStep       int   `json:"ecc_step,omitempty"`   // bytes per ECC step (default 512)
	BadBlocks     []int `json:"bad_blocks,omitempty"` // factory bad blocks, marked at creation
	// BadMarkPages are the pages of a block whose OOB carries the bad-block
	// mark (default {0}; -1 means the last page). BadMarkOffset is the OOB byte.
	BadMarkPages  []int `json:"bad_mark_pages,omitempty"`
	BadMarkOffset int   `json:"bad_mark_offset,omitempty"`

	// Identity, for the Plan 9 control read-out.
	ManufacturerID uint32 `json:"manufacturer_id,omitempty"`
	DeviceID       uint32 `json:"device_id,omitempty"`
	BusWidth       int    `json:"bus_width,omitempty"` // bytes

	Timing Timing `json:"timing"`
	Seed   uint64 `json:"seed,omitempty"` // seeds device-level randomness (unstable bits)
}

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

// aligned reports whether v is a multiple of the write block.
func (g *geometry) aligned(v int64) bool {
	if g.wbShift >= 0 {
		return v&(g.wb-1) == 0
	}
	return v%g.wb == 0
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

// Limits that keep every derived quantity far from int64 overflow and keep a
// device's fixed metadata small; real parts are orders of magnitude below.
const (
	// MaxDeviceSize is the largest addressable size of a device (1 TiB).
	MaxDeviceSize = int64(1) << 40
	// MaxUnits is the largest number of erase units (NAND: blocks).
	MaxUnits = 1 << 20
	// MaxChunk is the largest piece stored as one unit: a NOR write block or
	// a NAND page plus its spare area (64 KiB).
	MaxChunk = 64 << 10
)

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
