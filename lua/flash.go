package lua

import (
	"fmt"

	"github.com/flashemu/flashemu/devspec"
	"github.com/flashemu/flashemu/emu"
	glua "github.com/yuin/gopher-lua"
)

// flash: making devices.

func init() {
	registerModule(&moduleDef{
		name: "flash",
		doc:  "make emulated flash devices: nor, nand, chip, chips, load, from_snapshot; map (devicetree partitions)",
		funcs: []fnDef{
			{"nor", "flash.nor{size=, sector=, write_block=, erase_value=, sectors=, chip=, seed=, ...} --> dev", "a NOR device (defaults: 1M, 4K sectors, write block 1, 0xff)", flashNOR},
			{"nand", "flash.nand{page=, oob=, pages_per_block=, blocks=, nop=, ecc_bits=, ecc_step=, bad_blocks=, seed=, ...} --> dev", "a NAND device (defaults: 2048+64, 64 pages/block, 1024 blocks, NOP 4, 4-bit ECC)", flashNAND},
			{"chip", "flash.chip(name [, overrides]) --> dev", "a chip preset, optionally with overrides", flashChip},
			{"chips", "flash.chips() --> {info, ...}", "the chip presets (name, type, geometry, clock)", flashChips},
			{"load", "flash.load(path [, opts]) --> dev | nil, msg, errno", "a device holding a raw (.bin) or Intel HEX (.hex) image; geometry, wear and clock from PATH.json when present (sidecar=false ignores it), else opts as for nor/nand (type=\"nand\" for NAND; oob_layout=\"separate\"|\"interleaved\"|\"none\")", flashLoad},
			{"open", "flash.open(path [, opts]) --> dev | nil, msg, errno", "a write-through device backed by the raw image at path (like native_sim's flash.bin): every completed program and erase is written to the file, so a killed process loses at most the operation in flight; a missing file is created erased. opts as for nor/nand (type=\"nand\", oob_layout=); dev:sync(), dev:close()", flashOpen},
			{"from_snapshot", "flash.from_snapshot(snap) --> dev", "a new device in a snapshot's state", flashFromSnapshot},
			{"replay", "flash.replay(dev, path [, {before=SEQ, test=NAME}]) --> n | nil, msg, errno", "re-apply the programs and erases of an operation trace (dev:trace, --trace) to dev; before=SEQ stops at the first record with seq >= SEQ; returns the number of records applied", flashReplay},
			{"read_trace", "flash.read_trace(path [, {test=NAME}]) --> {{seq=, op=, off=, len=, start_ns=, dur_ns=, errno=, applied=, fault=, data=}, ...} | nil, msg, errno", "the records of an operation trace (data: the programmed bytes)", flashReadTrace},
			{"map", "flash.map(dev, dts) --> {label = area, ...} | nil, msg, errno", "a flash map from a devicetree fixed-partitions fragment", flashMap},
		},
	})
}

// newDeviceFrom makes a device from an options table argument.
func (s *State) newDeviceFrom(L *glua.LState, a args, n int, kind emu.Kind, chip string) int {
	f := a.opts(n)
	src := tableSource{f}
	var c emu.Config
	if chip != "" {
		if f.has("chip") {
			a.argError(n, "field 'chip': given twice")
		}
		c = devspec.Build(kind, chipOverride{tableSource: src, chip: chip})
	} else {
		c = devspec.Build(kind, src)
	}
	d, err := emu.New(c)
	if err != nil {
		a.raise("%s: %v", a.fn, err)
	}
	L.Push(s.NewDevice(d))
	return 1
}

// chipOverride is a table source whose chip field is fixed (flash.chip).
type chipOverride struct {
	tableSource
	chip string
}

func (c chipOverride) Str(name, def string) string {
	if name == "chip" {
		return c.chip
	}
	return c.tableSource.Str(name, def)
}

func flashNOR(s *State, L *glua.LState) int {
	return s.newDeviceFrom(L, argsOf(L, "nor"), 1, emu.NOR, "")
}

func flashNAND(s *State, L *glua.LState) int {
	return s.newDeviceFrom(L, argsOf(L, "nand"), 1, emu.NAND, "")
}

func flashChip(s *State, L *glua.LState) int {
	a := argsOf(L, "chip")
	name := a.str(1)
	if _, err := emu.Chip(name); err != nil {
		a.argError(1, fmt.Sprintf("unknown chip %q (flash.chips() lists them)", name))
	}
	return s.newDeviceFrom(L, a, 2, 0, name)
}

func flashChips(s *State, L *glua.LState) int {
	chips := emu.Chips()
	t := L.CreateTable(len(chips), 0)
	for _, c := range chips {
		t.Append(configTable(L, c, nil))
	}
	L.Push(t)
	return 1
}

func flashFromSnapshot(s *State, L *glua.LState) int {
	a := argsOf(L, "from_snapshot")
	sn := checkUD[Snapshot](a, 1, snapshotType)
	L.Push(s.NewDevice(emu.FromSnapshot(sn.Snap)))
	return 1
}

// imageSource defaults a NOR device's size to the image's size (rounded up
// to a whole number of sectors).
type imageSource struct {
	tableSource
	imageSize int64
}

// Size is tableSource.Size, except that an absent size (and no chip or
// sector map) is the image's.
func (i imageSource) Size(name string, def int64) int64 {
	if name == "size" && !i.tableSource.Has("size") && !i.tableSource.Has("chip") && !i.tableSource.Has("sectors") && i.imageSize > 0 {
		unit := i.tableSource.Size("sector", 4096)
		if unit <= 0 {
			unit = 4096
		}
		return (i.imageSize + unit - 1) / unit * unit
	}
	return i.tableSource.Size(name, def)
}
