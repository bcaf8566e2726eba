package faults

import (
	"fmt"

	"github.com/flashemu/flashemu/emu"
)

// Model names what an interrupted program or erase leaves behind.
type Model string

// Torn program models.
const (
	// Prefix: write blocks are programmed in order; those before the cut
	// complete, the one at the cut gets a random subset of its pending bit
	// transitions (each with probability = the fraction of that block's time
	// elapsed), the rest are untouched. MCU internal flash, word by word.
	Prefix Model = "prefix"
	// Scatter: the bits of a program page move in parallel; program pages
	// before the cut complete, each pending transition of the page at the cut
	// happened with probability = the fraction of that page's time elapsed.
	// Page-buffered SPI NOR and NAND.
	Scatter Model = "scatter"
	// Metastable: like Scatter, but the transitions that did not firmly land
	// are unstable: every read returns a fresh random value for them until
	// the unit is erased (UBIFS's "unstable bits"). Also an erase model: bits
	// not yet erased read randomly until erased again.
	Metastable Model = "metastable"
)

// Interrupted erase models (Metastable is also one).
const (
	// Preprogram: the chip first programs the unit to the programmed state
	// from its end towards its start (the first half of the erase time), then
	// erases it (the second half, bits reaching the erased state at random):
	// an early cut leaves old data at the head and zeros at the tail
	// (Spansion S29GL, see UBI's nor_erase_prepare).
	Preprogram Model = "preprogram"
	// Partial: each programmed bit reached the erased state with probability
	// = the fraction of the erase time elapsed.
	Partial Model = "partial"
)

// PreprogramShare is the share of a Preprogram erase's time spent
// programming the unit to zeros before the erase pulses start.
const PreprogramShare = 0.5

// Models lists every model name.
func Models() []Model { return []Model{Prefix, Scatter, Metastable, Preprogram, Partial} }

func (m Model) valid() bool {
	switch m {
	case "", Prefix, Scatter, Metastable, Preprogram, Partial:
		return true
	}
	return false
}

func (m Model) forProgram() bool { return m == Prefix || m == Scatter || m == Metastable }
func (m Model) forErase() bool   { return m == Preprogram || m == Partial || m == Metastable }

// ParseModel checks a model name ("" means the device default).
func ParseModel(s string) (Model, error) {
	m := Model(s)
	if !m.valid() {
		return "", badPlan("unknown model %q (prefix, scatter, metastable, preprogram, partial)", s)
	}
	return m, nil
}

// devInfo are the facts about a device that tearing needs, computed once
// (Config and Timing copy slices).
type devInfo struct {
	kind       emu.Kind
	ev         byte
	wb         int64
	progPage   int64 // program page: cost pieces, Scatter/Metastable unit
	strict     bool  // a violating program changes nothing
	noErase    bool  // RAM-like: program stores data as is
	ecc        bool  // NAND with ECC: torn bits are ECC errors against the intended data
	pageSize   int64
	oobSize    int
	progModel  Model // device default for programs
	eraseModel Model // device default for erases
}

func infoOf(d *emu.Device) *devInfo {
	c := d.Config()
	inf := &devInfo{
		kind: c.Kind, ev: c.EraseValue, wb: int64(c.WriteBlock),
		strict:  c.Violations == emu.ViolationsStrict,
		noErase: c.NoExplicitErase,
	}
	switch c.Kind {
	case emu.NAND:
		inf.pageSize = int64(c.PageSize)
		inf.oobSize = c.OOBSize
		inf.progPage = inf.pageSize
		inf.ecc = c.ECCBits > 0
		inf.progModel, inf.eraseModel = Scatter, Metastable
	default:
		inf.progPage = int64(c.Timing.ProgramPage)
		if inf.progPage <= 0 {
			inf.progPage = inf.wb
		}
		if inf.progPage > inf.wb {
			// Page-buffered (SPI) NOR: all bits of a page in parallel; its
			// erase preprograms the sector first.
			inf.progModel, inf.eraseModel = Scatter, Preprogram
		} else {
			// MCU internal flash: word by word; erase pulses the whole page.
			inf.progModel, inf.eraseModel = Prefix, Partial
		}
	}
	return inf
}

// DefaultModels returns the models a device uses when a plan names none:
// NAND: Scatter program, Metastable erase; page-buffered NOR (program page
// larger than the write block, e.g. SPI NOR): Scatter program, Preprogram
// erase; other NOR (MCU internal flash programmed word by word): Prefix
// program, Partial erase.
func DefaultModels(d *emu.Device) (program, erase Model) {
	inf := infoOf(d)
	return inf.progModel, inf.eraseModel
}

// modelFor resolves the model for an operation kind: m when it applies to
// that kind, the device default otherwise.
func (inf *devInfo) modelFor(k emu.OpKind, m Model) Model {
	if k == emu.OpErase {
		if m.forErase() {
			return m
		}
		return inf.eraseModel
	}
	if m.forProgram() {
		return m
	}
	return inf.progModel
}

// unitSize is the torn-unit size of a program under model m.
func (inf *devInfo) unitSize(m Model) int64 {
	if m == Prefix {
		return inf.wb
	}
	return inf.progPage
}

func (inf *devInfo) String() string {
	return fmt.Sprintf("%s ev=%#x wb=%d page=%d", inf.kind, inf.ev, inf.wb, inf.progPage)
}
