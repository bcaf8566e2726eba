package emu

import (
	"fmt"
	"slices"
	"strings"
)

// Chip presets: geometry from the datasheets, typical (not maximum) timings
// where the datasheet gives one; a preset whose source publishes only a
// maximum says so. Sources are named per preset; flash-physics.md lists the
// secondary ones.
var chips = []Config{
	{
		// Winbond W25Q128JV SPI NOR: 16 MiB, 4 KiB sectors, 256-byte pages,
		// tPP 0.4 ms, tSE 45 ms, tBE1 (32 KiB) 120 ms, tBE2 (64 KiB) 150 ms;
		// byte program tBP1 30 µs (first byte), tBPn 2.5 µs (each further
		// byte), so a program of k bytes in a page takes
		// min(tPP, tBP1 + (k-1)·tBPn) (the datasheet's note: tBPn applies per
		// byte after the first, up to the page time) — all typical values of
		// the datasheet's AC Electrical Characteristics (Rev F, §9.6; maxima
		// 50 µs, 12 µs, 3 ms);
		// single-lane SPI at 133 MHz, fast read 0Bh (opcode+3 address+1 dummy),
		// program = WREN(1) + 02h+3 address, erase = WREN(1) + opcode+3 address.
		Name: "w25q128jv", Kind: NOR, Size: 16 << 20, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff,
		ManufacturerID: 0xef, DeviceID: 0x4018, BusWidth: 1,
		Timing: Timing{
			ClockHz: 133_000_000, BusBits: 1, OpOverheadNs: 0,
			ReadCmdBytes: 5, ProgramCmdBytes: 5, EraseCmdBytes: 5,
			ProgramPage: 256, ProgramNs: 400_000, ProgramScales: true, ProgramFirstNs: 30_000, ProgramByteNs: 2_500,
			EraseNs:    []EraseTime{{Size: 4096, Ns: 45_000_000}},
			BlockErase: []EraseTime{{Size: 32 << 10, Ns: 120_000_000}, {Size: 64 << 10, Ns: 150_000_000}},
		},
	},
	{
		// Nordic nRF52840 internal flash (NVMC): 1 MiB, 4 KiB pages, 32-bit
		// words, each word written at most twice between erases (nWRITE = 2),
		// tWRITE 41 µs per word, tERASEPAGE 85 ms; 64 MHz AHB, 32-bit bus.
		// The product specification (NVMC electrical specification) gives
		// only maximum values for tWRITE and tERASEPAGE, no typical ones, so
		// these two are maxima: real parts are often faster.
		Name: "nrf52840", Kind: NOR, Size: 1 << 20, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff,
		MaxPrograms: 2, ProtectBoot: false, ManufacturerID: 0x0059, DeviceID: 0x52840, BusWidth: 4,
		Timing: Timing{
			ClockHz: 64_000_000, BusBits: 32,
			ProgramPage: 4, ProgramNs: 41_000, ProgramScales: true,
			EraseNs: []EraseTime{{Size: 4096, Ns: 85_000_000}},
		},
	},
	{
		// ST STM32F405/407 internal flash, 1 MiB in sectors 4×16 KiB, 1×64 KiB,
		// 7×128 KiB; byte programming (x8 parallelism) 16 µs per byte; sector
		// erase x8: 16 KiB 400 ms, 64 KiB 1200 ms, 128 KiB 2000 ms (DS8626
		// typical); 168 MHz, 8-bit program path. Sector 0 holds the vector
		// table, so the boot sector is protected by default.
		Name: "stm32f4", Kind: NOR, WriteBlock: 1, EraseValue: 0xff, ProtectBoot: true,
		Units:          []Run{{Count: 4, Size: 16 << 10}, {Count: 1, Size: 64 << 10}, {Count: 7, Size: 128 << 10}},
		ManufacturerID: 0x0020, DeviceID: 0x0413, BusWidth: 1,
		Timing: Timing{
			ClockHz: 168_000_000, BusBits: 8,
			ProgramPage: 1, ProgramNs: 16_000, ProgramScales: true,
			EraseNs: []EraseTime{{Size: 16 << 10, Ns: 400_000_000}, {Size: 64 << 10, Ns: 1_200_000_000}, {Size: 128 << 10, Ns: 2_000_000_000}},
		},
	},
	{
		// ST STM32L476 internal flash: 1 MiB, 2 KiB pages, 64-bit double words
		// programmed once (ECC), except that a double word of all zeros may
		// be programmed over a programmed one (RM0351 §3.3.7: programming a
		// previously programmed address is not allowed "except if the data to
		// write is full zero"), tPROG 81.69 µs per double word, page erase
		// 22.02 ms (DS10198 typical); 80 MHz, 64-bit bus.
		Name: "stm32l4", Kind: NOR, Size: 1 << 20, EraseUnit: 2048, WriteBlock: 8, EraseValue: 0xff,
		MaxPrograms: 1, ZeroOverwrite: true, ManufacturerID: 0x0020, DeviceID: 0x0415, BusWidth: 8,
		Timing: Timing{
			ClockHz: 80_000_000, BusBits: 64,
			ProgramPage: 8, ProgramNs: 81_690, ProgramScales: true,
			EraseNs: []EraseTime{{Size: 2048, Ns: 22_020_000}},
		},
	},
	{
		// Micron MT29F1G08ABADA SLC NAND: 1 Gbit, 2048+64-byte pages, 64 pages
		// per block, 1024 blocks, NOP 4, 4-bit/512-byte ECC required; tR 25 µs,
		// tPROG 200 µs, tBERS 700 µs (typ.); x8 async bus at tRC 20 ns (50 MHz);
		// read = 00h+5 address+30h, program = 80h+5 address+10h, erase = 60h+3 address+D0h.
		Name: "mt29f1g08", Kind: NAND, PageSize: 2048, OOBSize: 64, PagesPerBlock: 64, Blocks: 1024,
		EraseValue: 0xff, NOP: 4, ECCBits: 4, ECCStep: 512, ManufacturerID: 0x2c, DeviceID: 0xf1, BusWidth: 1,
		Timing: Timing{
			ClockHz: 50_000_000, BusBits: 8,
			ReadCmdBytes: 7, ProgramCmdBytes: 7, EraseCmdBytes: 5,
			ReadNs: 25_000, ProgramNs: 200_000,
			EraseNs: []EraseTime{{Size: 128 << 10, Ns: 700_000}},
		},
	},
	{
		// Winbond W25N01GV SPI NAND: 1 Gbit, 2048+64-byte pages, 64 pages per
		// block, 1024 blocks, NOP 4, on-die ECC 1 bit per 512 bytes; tRD 60 µs
		// (ECC on), tPP 250 µs, tBE 2 ms; single-lane SPI at 104 MHz;
		// read = 13h+3 address, then 03h+2 column+dummy; program = WREN, 02h+2
		// column, data, 10h+3 address; erase = WREN, D8h+3 address.
		Name: "w25n01gv", Kind: NAND, PageSize: 2048, OOBSize: 64, PagesPerBlock: 64, Blocks: 1024,
		EraseValue: 0xff, NOP: 4, ECCBits: 1, ECCStep: 512, ManufacturerID: 0xef, DeviceID: 0xaa21, BusWidth: 1,
		Timing: Timing{
			ClockHz: 104_000_000, BusBits: 1,
			ReadCmdBytes: 8, ProgramCmdBytes: 8, EraseCmdBytes: 5,
			ReadNs: 60_000, ProgramNs: 250_000,
			EraseNs: []EraseTime{{Size: 128 << 10, Ns: 2_000_000}},
		},
	},
}

// Chips returns the chip presets.
func Chips() []Config {
	out := make([]Config, len(chips))
	for i, c := range chips {
		out[i] = cloneConfig(c)
	}
	return out
}

// Chip returns the preset called name (case-insensitive).
func Chip(name string) (Config, error) {
	for _, c := range chips {
		if strings.EqualFold(c.Name, name) {
			return cloneConfig(c), nil
		}
	}
	names := make([]string, len(chips))
	for i, c := range chips {
		names[i] = c.Name
	}
	return Config{}, fmt.Errorf("%w: %q (known: %s)", ErrUnknownChip, name, strings.Join(names, ", "))
}

// NewChip creates a device from the preset called name.
func NewChip(name string) (*Device, error) {
	c, err := Chip(name)
	if err != nil {
		return nil, err
	}
	return New(c)
}

func cloneConfig(c Config) Config {
	c.Units = slices.Clone(c.Units)
	c.BadBlocks = slices.Clone(c.BadBlocks)
	c.BadMarkPages = slices.Clone(c.BadMarkPages)
	c.Timing.EraseNs = slices.Clone(c.Timing.EraseNs)
	c.Timing.BlockErase = slices.Clone(c.Timing.BlockErase)
	return c
}
