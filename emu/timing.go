package emu

import (
	"fmt"
	"math"
	"math/bits"
)

// Timing is a device's timing model. Every operation advances the device's
// simulated clock by a cost computed from these parameters alone, so any
// operation's cost can be recomputed from Timing (see Cost and PageCost):
//
//	xfer(b)   = ceil(ceil(b*8/BusBits) * 1e9 / ClockHz)     bus transfer of b bytes
//	            (0 when ClockHz is 0; BusBits 0 counts as 1)
//	cmd(c,b,a)= OpOverheadNs + xfer(c + b) + a               one command
//	read      = NOR: cmd(ReadCmdBytes, n, ReadNs) for the whole range;
//	            NAND: the sum over the pages touched of cmd(ReadCmdBytes, k, ReadNs),
//	            k = bytes of the range inside that page
//	program   = the sum over the program pages touched of cmd(ProgramCmdBytes, k, array(k)),
//	            pages of ProgramPage bytes (NAND: the page size; 0 means the write block),
//	            k = bytes of the range inside that page;
//	            array(k) = min(ProgramNs, ProgramFirstNs + (k-1)*ProgramByteNs)
//	                         when ProgramFirstNs > 0 (SPI NOR: first-byte time tBP1,
//	                         per additional byte tBPn, at most the page time tPP),
//	                       else ceil(ProgramNs * k / ProgramPage) when ProgramScales,
//	                       else ProgramNs (NAND tPROG: a partial page costs a full one)
//	erase     = the sum over erase commands of cmd(EraseCmdBytes, 0, t):
//	            walking the range from its start, each command is the largest
//	            BlockErase size aligned at the current offset that fits in the
//	            rest of the range (t = its Ns), else the erase unit there
//	            (t = the EraseNs entry for that unit size; without one, the largest
//	            entry scaled by size, rounded up)
//	read_oob  = cmd(ReadCmdBytes, n, ReadNs)      (n spare bytes; ReadPage: data + spare)
//	program_oob = cmd(ProgramCmdBytes, n, ProgramNs) (WriteOOB; ProgramPage: data + spare)
//
// Cycles are ns * ClockHz / 1e9, truncated. Every parameter is bounded (see
// validation in New) so sums never overflow.
type Timing struct {
	ClockHz         int64 `json:"clock_hz"`          // interface clock (SPI SCK, NAND I/O, internal bus)
	BusBits         int   `json:"bus_bits"`          // data bits moved per clock
	OpOverheadNs    int64 `json:"op_overhead_ns"`    // fixed cost per command (controller setup, CS high time)
	ReadCmdBytes    int   `json:"read_cmd_bytes"`    // opcode+address+dummy bytes of a read command
	ProgramCmdBytes int   `json:"program_cmd_bytes"` // bytes of a program command (incl. write-enable)
	EraseCmdBytes   int   `json:"erase_cmd_bytes"`   // bytes of an erase command (incl. write-enable)
	ReadNs          int64 `json:"read_ns"`           // array read time per read command (NAND tR)
	ProgramPage     int   `json:"program_page"`      // program page size (SPI NOR 256, MCU word, NAND page)
	ProgramNs       int64 `json:"program_ns"`        // time to program one full program page (tPP, tPROG)
	ProgramScales   bool  `json:"program_scales"`    // array time scales with bytes within a page (NOR)
	// ProgramFirstNs and ProgramByteNs are the byte-program times of an
	// SPI NOR datasheet (tBP1 for the first byte of a page program, tBPn for
	// each further byte); when ProgramFirstNs is set, a program of k bytes
	// in one page costs min(ProgramNs, ProgramFirstNs + (k-1)*ProgramByteNs).
	ProgramFirstNs int64 `json:"program_first_ns,omitempty"`
	ProgramByteNs  int64 `json:"program_byte_ns,omitempty"`
	// EraseNs gives the erase time of one unit of each unit size (tSE, tBERS).
	EraseNs []EraseTime `json:"erase_ns"`
	// BlockErase lists larger erase commands (SPI NOR 32/64 KiB block erase)
	// used when the range covers an aligned block of that size.
	BlockErase []EraseTime `json:"block_erase,omitempty"`
}

// EraseTime is the duration of erasing Size bytes with one command.
type EraseTime struct {
	Size int   `json:"size"`
	Ns   int64 `json:"ns"`
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// maxNs bounds every duration parameter and every computed cost (about 13
// days), so that sums of costs never overflow int64.
const maxNs = int64(1) << 50

func (t *Timing) validate() error {
	bad := func(what string, v int64) error {
		return fmt.Errorf("%w: timing %s %d out of range", ErrInvalid, what, v)
	}
	for _, f := range []struct {
		name string
		v    int64
		hi   int64
	}{
		{"clock_hz", t.ClockHz, 1 << 40}, {"bus_bits", int64(t.BusBits), 1 << 16},
		{"op_overhead_ns", t.OpOverheadNs, maxNs}, {"read_cmd_bytes", int64(t.ReadCmdBytes), 1 << 16},
		{"program_cmd_bytes", int64(t.ProgramCmdBytes), 1 << 16}, {"erase_cmd_bytes", int64(t.EraseCmdBytes), 1 << 16},
		{"read_ns", t.ReadNs, maxNs}, {"program_page", int64(t.ProgramPage), 1 << 30}, {"program_ns", t.ProgramNs, maxNs},
		{"program_first_ns", t.ProgramFirstNs, maxNs}, {"program_byte_ns", t.ProgramByteNs, maxNs >> 30},
	} {
		if f.v < 0 || f.v > f.hi {
			return bad(f.name, f.v)
		}
	}
	for _, l := range [][]EraseTime{t.EraseNs, t.BlockErase} {
		for _, e := range l {
			if e.Size <= 0 || int64(e.Size) > MaxDeviceSize {
				return bad("erase size", int64(e.Size))
			}
			if e.Ns < 0 || e.Ns > maxNs {
				return bad("erase ns", e.Ns)
			}
		}
	}
	return nil
}

// addNs adds durations, saturating at maxNs·2^12 instead of overflowing.
func addNs(a, b int64) int64 {
	const limit = maxNs << 12
	if a > limit-b {
		return limit
	}
	return a + b
}

// Xfer is the bus time in ns to move b bytes.
func (t *Timing) Xfer(b int64) int64 {
	if t.ClockHz <= 0 || b <= 0 {
		return 0
	}
	busBits := int64(max(t.BusBits, 1))
	cycles := ceilDiv(b*8, busBits)
	hi, lo := bits.Mul64(uint64(cycles), 1e9)
	if hi >= uint64(t.ClockHz) {
		return maxNs // absurdly long transfer on a slow bus: saturate
	}
	q, r := bits.Div64(hi, lo, uint64(t.ClockHz))
	if r != 0 {
		q++
	}
	return int64(min(q, uint64(maxNs)))
}

// Cycles converts ns to clock cycles of the device clock (truncated).
func (t *Timing) Cycles(ns int64) int64 {
	if t.ClockHz <= 0 || ns <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(ns), uint64(t.ClockHz))
	if hi >= 1e9 {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, 1e9)
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

func (t *Timing) eraseUnitNs(size int64) int64 {
	var best EraseTime
	for _, e := range t.EraseNs {
		if int64(e.Size) == size {
			return e.Ns
		}
		if best.Size == 0 || e.Size > best.Size {
			best = e
		}
	}
	if best.Size == 0 {
		return 0
	}
	// No entry for this size: scale the largest known one by size.
	hi, lo := bits.Mul64(uint64(best.Ns), uint64(size))
	if hi >= uint64(best.Size) {
		return maxNs
	}
	q, r := bits.Div64(hi, lo, uint64(best.Size))
	if r != 0 {
		q++
	}
	return int64(min(q, uint64(maxNs)))
}

// Cost returns the simulated duration in ns of an operation of kind k over
// [off, off+n) on device d, exactly as the device charges it (0 when the
// range is outside the device). For the OOB
// kinds n is the number of spare bytes. A page operation that moves data and
// spare bytes together (ReadPage, ProgramPage) costs PageCost.
func (d *Device) Cost(k OpKind, off, n int64) int64 { return d.g.cost(k, off, n) }

// PageCost returns the duration in ns of one NAND page command moving
// dataLen data bytes and oobLen spare bytes (ReadPage, ProgramPage): one
// command, one array time, one bus transfer of both parts.
func (d *Device) PageCost(k OpKind, dataLen, oobLen int) int64 {
	if k == OpRead || k == OpReadOOB {
		k = OpReadOOB
	} else {
		k = OpProgramOOB
	}
	return d.g.cost(k, 0, int64(max(dataLen, 0))+int64(max(oobLen, 0)))
}

// pieces sums f(k) over the pieces of [off, off+n) cut at multiples of
// page: a leading partial piece, the full pages (all costing f(page)) and a
// trailing partial piece, in O(1).
func pieces(off, n, page int64, f func(k int64) int64) int64 {
	if n <= 0 {
		return 0
	}
	end := off + n
	first := min((off/page+1)*page, end)
	total := f(first - off)
	if first == end {
		return total
	}
	full := (end - first) / page
	if full > 0 {
		c := f(page)
		if c > 0 && full > maxNs/c {
			return maxNs
		}
		total = addNs(total, c*full)
	}
	if last := (end - first) % page; last > 0 {
		total = addNs(total, f(last))
	}
	return total
}

// cost computes an op's duration (see Timing); 0 for a range outside the device.
func (g *geometry) cost(k OpKind, off, n int64) int64 {
	t := &g.cfg.Timing
	if k != OpReadOOB && k != OpProgramOOB && !g.inRange(off, n) {
		return 0
	}
	cmd := func(cmdBytes int, b, array int64) int64 {
		return addNs(addNs(t.OpOverheadNs, t.Xfer(int64(cmdBytes)+b)), array)
	}
	switch k {
	case OpReadOOB:
		return cmd(t.ReadCmdBytes, n, t.ReadNs)
	case OpProgramOOB:
		return cmd(t.ProgramCmdBytes, n, t.ProgramNs)
	case OpRead:
		if g.kind != NAND || n == 0 {
			return cmd(t.ReadCmdBytes, n, t.ReadNs)
		}
		return pieces(off, n, g.chunk, func(k int64) int64 { return cmd(t.ReadCmdBytes, k, t.ReadNs) })
	case OpProgram:
		pp := int64(t.ProgramPage)
		if g.kind == NAND {
			pp = g.chunk
		}
		if pp <= 0 {
			pp = g.wb
		}
		return pieces(off, n, pp, func(k int64) int64 {
			arr := t.ProgramNs
			if t.ProgramFirstNs > 0 {
				// k <= pp <= 2^30 and ProgramByteNs <= 2^20: no overflow.
				return cmd(t.ProgramCmdBytes, k, min(arr, t.ProgramFirstNs+(k-1)*t.ProgramByteNs))
			}
			if t.ProgramScales {
				hi, lo := bits.Mul64(uint64(t.ProgramNs), uint64(k))
				q, r := bits.Div64(hi, lo, uint64(pp)) // k <= pp: no overflow
				if r != 0 {
					q++
				}
				arr = int64(q)
			}
			return cmd(t.ProgramCmdBytes, k, arr)
		})
	case OpErase:
		var total int64
		for p := off; p < off+n; {
			size := int64(0)
			var ns int64
			for _, b := range t.BlockErase {
				bs := int64(b.Size)
				if bs > size && p%bs == 0 && off+n-p >= bs {
					size, ns = bs, b.Ns
				}
			}
			if size == 0 {
				u := g.unitAt(p)
				size = g.unitStart[u+1] - g.unitStart[u]
				ns = t.eraseUnitNs(size)
			}
			total = addNs(total, cmd(t.EraseCmdBytes, 0, ns))
			p += size
		}
		return total
	}
	return 0
}

// Timing returns the device's timing model.
func (d *Device) Timing() Timing {
	t := d.g.cfg.Timing
	t.EraseNs = append([]EraseTime(nil), t.EraseNs...)
	t.BlockErase = append([]EraseTime(nil), t.BlockErase...)
	return t
}

// Now is the simulated time in ns since the device was created (power cycles
// do not reset it).
func (d *Device) Now() int64 { return d.now }

// Cycles is Now in clock cycles of the device clock.
func (d *Device) Cycles() int64 { return d.g.cfg.Timing.Cycles(d.now) }

// Advance moves the simulated clock forward by ns (ageing studies: retention
// faults look at the time since programming). Negative values are ignored.
func (d *Device) Advance(ns int64) {
	if ns > 0 {
		d.now += ns
	}
}

// Pieces calls fn for every command the device charges for an operation of
// kind k over [off, off+n), in order: [ps, pe) is the range the command
// covers and ns its cost (the sum over the pieces is Cost). Program: one
// piece per program page touched (NAND: page); read: one piece (NAND: one
// per page touched); erase: one per erase command (block erase or unit).
// fn returns false to stop. Fault models use it to find which command a
// power cut at a given time interrupts. Nothing is called for a range
// outside the device.
func (d *Device) Pieces(k OpKind, off, n int64, fn func(ps, pe, ns int64) bool) {
	g := d.g
	if !g.inRange(off, n) || n == 0 {
		return
	}
	t := &g.cfg.Timing
	var step func(p int64) int64 // end of the piece starting at p
	switch k {
	case OpRead:
		step = func(p int64) int64 { return off + n }
		if g.kind == NAND {
			step = func(p int64) int64 { return min((p/g.chunk+1)*g.chunk, off+n) }
		}
	case OpProgram:
		pp := int64(t.ProgramPage)
		if g.kind == NAND {
			pp = g.chunk
		}
		if pp <= 0 {
			pp = g.wb
		}
		step = func(p int64) int64 { return min((p/pp+1)*pp, off+n) }
	case OpErase:
		step = func(p int64) int64 {
			size := int64(0)
			for _, b := range t.BlockErase {
				if bs := int64(b.Size); bs > size && p%bs == 0 && off+n-p >= bs {
					size = bs
				}
			}
			if size == 0 {
				u := g.unitAt(p)
				size = g.unitStart[u+1] - g.unitStart[u]
			}
			return min(p+size, off+n)
		}
	default:
		return
	}
	for p := off; p < off+n; {
		e := step(p)
		if !fn(p, e, g.cost(k, p, e-p)) {
			return
		}
		p = e
	}
}
