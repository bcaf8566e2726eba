package devspec_test

import (
	"fmt"

	"github.com/flashemu/flashemu/devspec"
	"github.com/flashemu/flashemu/emu"
)

// A command-line SPEC and its device: the option names are flash.nor{...}'s.
func ExampleParse() {
	cfg, err := devspec.Parse(emu.NOR, "size=64K,sector=4K,wb=4,timing=none")
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := emu.New(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Size(), d.UnitCount(), cfg.WriteBlock)
	_, err = devspec.Parse(emu.NOR, "sise=1M")
	fmt.Println(err)
	// Output:
	// 65536 16 4
	// unknown key "sise" (known: aligned_reads, chip, erase_value, max_programs, name, no_explicit_erase, protect_boot, sector, sectors, seed, size, timing, violations, write_block, zero_overwrite)
}
