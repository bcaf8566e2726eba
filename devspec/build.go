package devspec

import (
	"fmt"
	"strings"

	"github.com/flashemu/flashemu/emu"
)

// Source reads device options by name. Every getter returns def (or base)
// when the option is absent and marks the name as known; Fail reports a bad
// value and does not return (it panics or raises); Done fails on the first
// option no getter asked for, so a typo ("sise") is an error.
type Source interface {
	Has(name string) bool
	// Int reads an integer, Size an integer that may carry a K/M/G suffix
	// where the source has text.
	Int(name string, def int64) int64
	Size(name string, def int64) int64
	Str(name, def string) string
	Bool(name string, def bool) bool
	// Runs reads a non-uniform sector map (COUNTxSIZE runs).
	Runs(name string) []emu.Run
	// Ints reads a list of non-negative integers (bad block numbers).
	Ints(name string) []int
	// Timing reads timing overrides on top of base (false or "none": no
	// simulated time).
	Timing(name string, base emu.Timing) emu.Timing
	Fail(name, msg string)
	Done()
}

// DefaultTiming is the timing of a device made without a chip preset: a
// typical SPI NOR (w25q128jv) or SLC NAND (mt29f1g08) part, so a device's
// clock means something. timing = false gives zero-cost operations.
func DefaultTiming(kind emu.Kind) emu.Timing {
	name := "w25q128jv"
	if kind == emu.NAND {
		name = "mt29f1g08"
	}
	c, err := emu.Chip(name)
	if err != nil {
		return emu.Timing{}
	}
	return c.Timing
}

// Build reads the options of a device of kind (0: the chip's kind, NOR
// without a chip) from src and returns its configuration; a bad option
// goes to src.Fail. The device itself is made with emu.New, which checks
// the geometry (emu.Config.Validate).
func Build(kind emu.Kind, src Source) emu.Config {
	var c emu.Config
	chip := src.Str("chip", "")
	if chip != "" {
		cc, err := emu.Chip(chip)
		if err != nil {
			src.Fail("chip", strings.TrimPrefix(err.Error(), "emu: "))
		}
		if kind != 0 && cc.Kind != kind {
			src.Fail("chip", fmt.Sprintf("%s is a %s chip", chip, cc.Kind))
		}
		c = cc
	} else {
		if kind == 0 {
			kind = emu.NOR
		}
		c.Kind = kind
		c.EraseValue = 0xff
		c.Timing = DefaultTiming(kind)
		if kind == emu.NOR {
			c.Size, c.EraseUnit, c.WriteBlock = 1<<20, 4096, 1
		} else {
			c.PageSize, c.OOBSize, c.PagesPerBlock, c.Blocks = 2048, 64, 64, 1024
			c.NOP, c.ECCBits, c.ECCStep = 4, 4, 512
		}
	}
	c.Name = src.Str("name", c.Name)
	if c.Kind == emu.NOR {
		if src.Has("sectors") {
			c.Units = src.Runs("sectors")
			c.Size = 0
			for _, r := range c.Units {
				c.Size += int64(r.Count) * int64(r.Size)
			}
		}
		if src.Has("sector") {
			c.EraseUnit = int(src.Size("sector", int64(c.EraseUnit)))
			c.Units = nil
		}
		c.Size = src.Size("size", c.Size)
		c.WriteBlock = int(src.Size("write_block", int64(c.WriteBlock)))
		c.NoExplicitErase = src.Bool("no_explicit_erase", c.NoExplicitErase)
		c.AlignedReads = src.Bool("aligned_reads", c.AlignedReads)
		c.ProtectBoot = src.Bool("protect_boot", c.ProtectBoot)
		c.ZeroOverwrite = src.Bool("zero_overwrite", c.ZeroOverwrite)
	} else {
		c.PageSize = int(src.Size("page", int64(c.PageSize)))
		c.OOBSize = int(src.Size("oob", int64(c.OOBSize)))
		c.PagesPerBlock = int(src.Int("pages_per_block", int64(c.PagesPerBlock)))
		c.Blocks = int(src.Int("blocks", int64(c.Blocks)))
		c.NOP = int(src.Int("nop", int64(c.NOP)))
		c.ECCBits = int(src.Int("ecc_bits", int64(c.ECCBits)))
		c.ECCStep = int(src.Size("ecc_step", int64(c.ECCStep)))
		if src.Has("bad_blocks") {
			c.BadBlocks = src.Ints("bad_blocks")
		}
		c.WriteBlock = 0
	}
	ev := src.Int("erase_value", int64(c.EraseValue))
	if ev < 0 || ev > 255 {
		src.Fail("erase_value", fmt.Sprintf("%d out of range [0, 255]", ev))
	}
	c.EraseValue = byte(ev)
	c.MaxPrograms = int(src.Int("max_programs", int64(c.MaxPrograms)))
	switch v := src.Str("violations", ""); v {
	case "":
	case "strict":
		c.Violations = emu.ViolationsStrict
	case "count":
		c.Violations = emu.ViolationsCount
	default:
		src.Fail("violations", fmt.Sprintf("%q is not \"strict\" or \"count\"", v))
	}
	c.Seed = uint64(src.Int("seed", int64(c.Seed)))
	c.Timing = src.Timing("timing", c.Timing)
	src.Done()
	return c
}
