package faults_test

import (
	"flag"
	"math/rand/v2"
	"testing"

	"github.com/flashemu/flashemu/internal/testseed"

	"github.com/stretchr/testify/require"

	"github.com/flashemu/flashemu/emu"
)

var seedFlag = flag.Uint64("faults.seed", 0, "seed for property tests (0: from $FAULTS_SEED or the clock)")

// propSeed returns the property-test seed (flag, env FAULTS_SEED, or time) and logs it.
func propSeed(t testing.TB) uint64 {
	return testseed.Seed(t, *seedFlag, "faults.seed", "FAULTS_SEED")
}

func randBytes(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 99))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// spiTiming is a W25Q-like timing: 256-byte program pages, 4 KiB sectors.
func spiTiming() emu.Timing {
	return emu.Timing{ClockHz: 100_000_000, BusBits: 1, ReadCmdBytes: 5, ProgramCmdBytes: 5, EraseCmdBytes: 5,
		ProgramPage: 256, ProgramNs: 400_000, ProgramScales: true,
		EraseNs: []emu.EraseTime{{Size: 4096, Ns: 45_000_000}}}
}

// mcuTiming is an internal-flash timing: word programs, page erase.
func mcuTiming(wb int) emu.Timing {
	return emu.Timing{ClockHz: 64_000_000, BusBits: 32, ProgramPage: wb, ProgramNs: 41_000, ProgramScales: true,
		EraseNs: []emu.EraseTime{{Size: 4096, Ns: 85_000_000}}}
}

func newNOR(t testing.TB, ev byte, wb int, tm emu.Timing) *emu.Device {
	t.Helper()
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 64 << 10, EraseUnit: 4096, WriteBlock: wb, EraseValue: ev, Seed: 3, Timing: tm})
	require.NoError(t, err)
	return d
}

func newNAND(t testing.TB, nop, eccBits int) *emu.Device {
	t.Helper()
	d, err := emu.New(emu.Config{Kind: emu.NAND, PageSize: 512, OOBSize: 16, PagesPerBlock: 8, Blocks: 8,
		EraseValue: 0xff, NOP: nop, ECCBits: eccBits, ECCStep: 512, Seed: 5,
		Timing: emu.Timing{ClockHz: 50_000_000, BusBits: 8, ReadNs: 25_000, ProgramNs: 200_000,
			EraseNs: []emu.EraseTime{{Size: 4096, Ns: 700_000}}}})
	require.NoError(t, err)
	return d
}

// dump returns the stored bits of the whole data area.
func dump(t testing.TB, d *emu.Device) []byte {
	t.Helper()
	b := make([]byte, d.Size())
	require.NoError(t, d.Peek(0, b))
	return b
}

// fill programs the whole device with pseudo-random data (no hook installed).
func fill(t testing.TB, d *emu.Device, seed uint64) {
	t.Helper()
	require.NoError(t, d.Program(0, randBytes(seed, int(d.Size()))))
}
