package emu

import (
	"fmt"
)

// The configuration of a device: what New accepts and Config.Validate
// checks. The rules live in one place, newGeometry (geometry.go), which
// turns a valid Config into the derived geometry.

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

// Validate reports whether New accepts c, with the reason wrapped around
// ErrInvalid (geometry, write block, NAND page/spare/ECC, limits, ...).
func (c Config) Validate() error {
	_, err := newGeometry(c)
	return err
}
