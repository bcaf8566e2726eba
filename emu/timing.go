package emu

import "math/bits"

// Timing is a device's timing model. Every operation advances the device's
// simulated clock by a cost computed from these parameters alone, so any
// operation's cost can be recomputed from Timing (see Cost):
//
//	xfer(b)   = ceil(ceil(b*8/BusBits) * 1e9 / ClockHz)     bus transfer of b bytes
//	read      = per read command: OpOverheadNs + xfer(ReadCmdBytes + bytes) + ReadNs
//	            (NOR: one command for the whole range; NAND: one per page touched)
//	program   = per program page touched (ProgramPage-aligned pieces of the range):
//	            OpOverheadNs + xfer(ProgramCmdBytes + k) + array(k)
//	            array(k) = ceil(ProgramNs * k / ProgramPage) when ProgramScales,
//	                       else ProgramNs (NAND tPROG: a partial page costs a full one)
//	erase     = per erase command: OpOverheadNs + xfer(EraseCmdBytes) + t(size)
//	            the range is covered greedily by the largest aligned BlockErase
//	            command that fits, else one command per erase unit, costing the
//	            EraseNs entry for that unit size.
//
// Cycles are ns * ClockHz / 1e9, truncated.
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

// Xfer is the bus time in ns to move b bytes.
func (t *Timing) Xfer(b int64) int64 {
	if t.ClockHz <= 0 || b <= 0 {
		return 0
	}
	busBits := int64(max(t.BusBits, 1))
	cycles := ceilDiv(b*8, busBits)
	hi, lo := bits.Mul64(uint64(cycles), 1e9)
	q, r := bits.Div64(hi, lo, uint64(t.ClockHz))
	if r != 0 {
		q++
	}
	return int64(q)
}

// Cycles converts ns to clock cycles of the device clock (truncated).
func (t *Timing) Cycles(ns int64) int64 {
	if t.ClockHz <= 0 || ns <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(ns), uint64(t.ClockHz))
	q, _ := bits.Div64(hi, lo, 1e9)
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
	return ceilDiv(best.Ns*size, int64(best.Size))
}

// Cost returns the simulated duration in ns of an operation of kind k over
// [off, off+n) on device d, exactly as the device charges it.
func (d *Device) Cost(k OpKind, off, n int64) int64 { return d.g.cost(k, off, n) }

func (g *geometry) cost(k OpKind, off, n int64) int64 {
	t := &g.cfg.Timing
	switch k {
	case OpRead, OpReadOOB:
		if g.kind == NAND {
			var total int64
			page := g.chunk
			if k == OpReadOOB {
				return t.OpOverheadNs + t.Xfer(int64(t.ReadCmdBytes)+n) + t.ReadNs
			}
			for p := off; p < off+n || (n == 0 && p == off); {
				end := min((p/page+1)*page, off+n)
				total += t.OpOverheadNs + t.Xfer(int64(t.ReadCmdBytes)+end-p) + t.ReadNs
				if n == 0 {
					break
				}
				p = end
			}
			return total
		}
		return t.OpOverheadNs + t.Xfer(int64(t.ReadCmdBytes)+n) + t.ReadNs
	case OpProgram, OpProgramOOB:
		pp := int64(t.ProgramPage)
		if g.kind == NAND {
			pp = g.chunk
		}
		if pp <= 0 {
			pp = g.wb
		}
		if k == OpProgramOOB {
			return t.OpOverheadNs + t.Xfer(int64(t.ProgramCmdBytes)+n) + t.ProgramNs
		}
		var total int64
		for p := off; p < off+n; {
			end := min((p/pp+1)*pp, off+n)
			kb := end - p
			arr := t.ProgramNs
			if t.ProgramScales {
				arr = ceilDiv(t.ProgramNs*kb, pp)
			}
			total += t.OpOverheadNs + t.Xfer(int64(t.ProgramCmdBytes)+kb) + arr
			p = end
		}
		return total
	case OpErase:
		var total int64
		for p := off; p < off+n; {
			cmd := int64(0)
			var ns int64
			for _, b := range t.BlockErase {
				bs := int64(b.Size)
				if bs > cmd && p%bs == 0 && off+n-p >= bs {
					cmd, ns = bs, b.Ns
				}
			}
			if cmd == 0 {
				u := g.unitAt(p)
				cmd = g.unitStart[u+1] - g.unitStart[u]
				ns = t.eraseUnitNs(cmd)
			}
			total += t.OpOverheadNs + t.Xfer(int64(t.EraseCmdBytes)) + ns
			p += cmd
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
