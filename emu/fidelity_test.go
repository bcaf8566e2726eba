package emu

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Regression tests for the device-physics rows of issue 13.

// TestNANDEraseValueZero: a NAND configured with erase value 0x00 erases to
// 0x00 like NOR does (it reported and stored 0xFF: the zero value was taken
// as "unset").
func TestNANDEraseValueZero(t *testing.T) {
	for _, ev := range []byte{0x00, 0x55, 0xff} {
		d := mustNew(t, nandCfg(func(c *Config) { c.EraseValue = ev }))
		assert.Equal(t, ev, d.EraseValue(), "ev %#x", ev)
		assert.Equal(t, ev, d.Config().EraseValue, "ev %#x", ev)
		assert.Equal(t, rep(ev, 512), read(t, d, 0, 512), "erased data reads the erase value %#x", ev)
		oob := make([]byte, 16)
		require.NoError(t, d.ReadOOB(0, oob))
		assert.Equal(t, rep(ev, 16), oob)
		// Program moves bits away from the erase value, erase brings them back.
		data := pattern(512, 3)
		require.NoError(t, d.Program(0, data))
		assert.Equal(t, data, read(t, d, 0, 512))
		require.NoError(t, d.Erase(0, 4096))
		assert.Equal(t, rep(ev, 512), read(t, d, 0, 512))
		// The configuration round-trips (sidecars, snapshots).
		d2 := mustNew(t, d.Config())
		assert.Equal(t, ev, d2.EraseValue())
	}
}

// TestBadMarkIsSoftwareConvention: a zero written at the bad-block mark
// offset (by software, or by a torn erase's pre-program) does not make the
// chip refuse the block: only factory-bad blocks (Config.BadBlocks) and
// grown-bad blocks (MarkBad, wear faults) refuse program and erase.
func TestBadMarkIsSoftwareConvention(t *testing.T) {
	d := mustNew(t, nandCfg(func(c *Config) { c.BadBlocks = []int{3} }))
	require.NoError(t, d.WriteOOB(0, []byte{0}))
	assert.False(t, d.IsBad(0), "an OOB byte is data, not a chip state")
	require.NoError(t, d.Erase(0, 4096), "real chips erase a block whatever its OOB says")
	oob := make([]byte, 1)
	require.NoError(t, d.ReadOOB(0, oob))
	assert.Equal(t, []byte{0xff}, oob, "the erase cleared the software mark")

	// A torn pre-program (all zeros, spare areas included) leaves the block erasable.
	for p := 8; p < 16; p++ {
		require.NoError(t, d.ApplyProgramPage(p, rep(0, 512), rep(0, 16)))
	}
	assert.False(t, d.IsBad(1))
	require.NoError(t, d.Erase(4096, 4096))

	// Factory-bad: configured, refuses, survives erases.
	assert.True(t, d.IsBad(3))
	assert.Equal(t, BadFactory, d.BadKind(3))
	assert.ErrorIs(t, d.Erase(3*4096, 4096), ErrBadBlock)
	// Grown-bad: MarkBad (wear faults), refuses, survives raw erases and snapshots.
	require.NoError(t, d.MarkBad(5))
	assert.Equal(t, BadGrown, d.BadKind(5))
	assert.Equal(t, BadNone, d.BadKind(0))
	assert.ErrorIs(t, d.Erase(5*4096, 4096), ErrBadBlock)
	assert.ErrorIs(t, d.WriteOOB(5*8, []byte{0}), ErrBadBlock)
	require.NoError(t, d.ApplyErase(5))
	s := d.Snapshot()
	r := FromSnapshot(s)
	assert.Equal(t, BadGrown, r.BadKind(5))
	assert.Equal(t, []BadBlock{{Block: 3, Kind: BadFactory}, {Block: 5, Kind: BadGrown}}, r.BadBlocks())
	// The snapshot keeps its own state: marking another block later does not leak into it.
	require.NoError(t, d.MarkBad(6))
	assert.False(t, FromSnapshot(s).IsBad(6))
	assert.True(t, d.IsBad(6))
	// Protection and grown-bad state do not disturb each other.
	d.Protect(0, 4096)
	assert.True(t, d.Protected(0))
	assert.True(t, d.IsBad(5) && d.IsBad(6))
	d.Unprotect(0, 4096)
	assert.False(t, d.Protected(0))
	assert.True(t, d.IsBad(6))
	assert.False(t, d.Protected(16+5), "grown-bad flags are not protection flags")
	// The marks are still written in the spare area for software to find.
	require.NoError(t, d.PeekOOB(5*8, oob))
	assert.Equal(t, []byte{0}, oob)
}

// TestReadECCPerRead: each read reports its own ECC work (MTD's
// max_bitflips), without allocating, and says when the block should be
// scrubbed (MTD's -EUCLEAN: max_bitflips at or above bitflip_threshold,
// by default 3/4 of the ECC strength rounded up).
func TestReadECCPerRead(t *testing.T) {
	d := mustNew(t, nandCfg(func(c *Config) { c.ECCBits = 4; c.ECCStep = 256 }))
	assert.Equal(t, 3, d.BitflipThreshold(), "DIV_ROUND_UP(4*3, 4)")
	data := pattern(512, 7)
	require.NoError(t, d.Program(0, data))
	require.NoError(t, d.XorFlips(0, []byte{0x01}))   // step 0: 1 error
	require.NoError(t, d.XorFlips(256, []byte{0x07})) // step 1: 3 errors
	buf := make([]byte, 512)
	r, err := d.ReadECC(0, buf)
	require.NoError(t, err)
	assert.Equal(t, data, buf, "corrected data")
	assert.Equal(t, ECCReport{Corrected: 4, CorrectedSteps: 2, MaxBitflips: 3}, r)
	assert.True(t, r.Unclean(d.BitflipThreshold()), "3 flips in a step reach the threshold: scrub (-EUCLEAN)")
	r, err = d.ReadECC(0, buf[:256])
	require.NoError(t, err)
	assert.Equal(t, ECCReport{Corrected: 1, CorrectedSteps: 1, MaxBitflips: 1}, r, "the report is per read, not cumulative")
	assert.False(t, r.Unclean(d.BitflipThreshold()))
	r, err = d.ReadECC(4096, buf)
	require.NoError(t, err)
	assert.Zero(t, r, "a clean read reports nothing")
	allocs := testing.AllocsPerRun(100, func() { _, _ = d.ReadECC(0, buf) })
	assert.Zero(t, allocs, "ReadECC does not allocate")
	// NOR and NAND without ECC: no threshold, never unclean.
	assert.Zero(t, mustNew(t, norCfg()).BitflipThreshold())
	assert.False(t, ECCReport{}.Unclean(0))
	assert.False(t, ECCReport{Failed: 1, MaxBitflips: 9}.Unclean(3), "uncorrectable is EBADMSG, not EUCLEAN")
}

// TestDumpViews: the stored bits (Dump, Peek) and what a read returns
// (DumpAsRead, PeekRead) are both available; after a bit flip they differ.
func TestDumpViews(t *testing.T) {
	d := mustNew(t, norCfg())
	require.NoError(t, d.XorFlips(5, []byte{0x01}))
	require.NoError(t, d.SetStuck(9, 7, false))
	assert.Equal(t, byte(0xfe), read(t, d, 5, 1)[0], "the flip reads")
	stored := d.Dump()
	assert.Equal(t, byte(0xff), stored[5], "Dump is the stored bits")
	asRead, r, err := d.DumpAsRead()
	require.NoError(t, err)
	assert.Zero(t, r)
	assert.Equal(t, byte(0xfe), asRead[5], "DumpAsRead is what a read returns")
	assert.Equal(t, byte(0x7f), asRead[9], "stuck bits too")
	assert.Equal(t, read(t, d, 0, d.Size()), asRead)

	// Unstable bits: the view shows what the next read returns, and changes nothing.
	require.NoError(t, d.SetUnstable(100, rep(0xff, 64)))
	now, st, hash := d.Now(), d.Stats(), d.StateHash()
	view := make([]byte, 64)
	_, err = d.PeekRead(100, view)
	require.NoError(t, err)
	assert.Equal(t, now, d.Now(), "no clock")
	assert.Equal(t, st, d.Stats(), "no counters")
	assert.Equal(t, hash, d.StateHash())
	assert.Equal(t, read(t, d, 100, 64), view, "the next read returns the same bytes")

	// NAND with ECC: correctable steps corrected, uncorrectable raw + EBADMSG.
	n := mustNew(t, nandCfg())
	data := pattern(512, 1)
	require.NoError(t, n.Program(0, data))
	require.NoError(t, n.XorFlips(0, []byte{0x01}))
	require.NoError(t, n.XorFlips(256, []byte{0x07}))
	nd, r, err := n.DumpAsRead()
	assert.ErrorIs(t, err, ErrBadMsg)
	assert.Equal(t, ECCReport{Corrected: 1, CorrectedSteps: 1, Failed: 1, MaxBitflips: 3}, r)
	assert.Equal(t, data[:256], nd[:256], "corrected step")
	assert.Equal(t, data[257:512], nd[257:512])
	assert.Equal(t, data[256]^0x07, nd[256], "uncorrectable step: raw bits")
	assert.Equal(t, data, n.Dump()[:512], "stored bits")
	assert.Zero(t, n.Stats().ECCFailedSteps, "a view is not a read")

	require.NoError(t, n.XorFlipsOOB(3, []byte{0, 0x10}))
	assert.Equal(t, byte(0xff), n.DumpOOB()[3*16+1])
	assert.Equal(t, byte(0xef), n.DumpOOBAsRead()[3*16+1])
	oob := make([]byte, 2)
	require.NoError(t, n.PeekOOBRead(3, oob))
	assert.Equal(t, []byte{0xff, 0xef}, oob)
	assert.Nil(t, d.DumpOOBAsRead())
	_, err = d.PeekRead(-1, oob)
	assert.ErrorIs(t, err, ErrOutOfRange)
}

// TestReplayGeometryMismatch: a NAND trace replayed onto NOR fails with a
// geometry-mismatch error naming the trace line it stopped at (it said
// "corrupt trace: line 1" whatever the line).
func TestReplayGeometryMismatch(t *testing.T) {
	var buf bytes.Buffer
	n := mustNew(t, nandCfg())
	tr := NewTracer(&buf)
	n.SetHook(tr)
	require.NoError(t, n.Erase(0, 4096))
	require.NoError(t, n.ProgramPage(0, pattern(512, 1), []byte{1, 2}))
	require.NoError(t, n.WriteOOB(1, []byte{3}))
	require.NoError(t, tr.Flush())
	trace := buf.String()

	err := Replay(mustNew(t, norCfg()), strings.NewReader(trace))
	require.ErrorIs(t, err, ErrTraceMismatch)
	assert.NotErrorIs(t, err, ErrCorruptTrace)
	assert.Contains(t, err.Error(), "emu: trace does not match the device: line 2: ")
	assert.Contains(t, err.Error(), "NAND page 0 on a nor device")
	assert.Equal(t, -22, ErrnoOf(err))

	// One line at a time (as the Lua binding reads a trace): no line number of its own.
	lines := strings.SplitAfter(trace, "\n")
	err = ReplayLine(mustNew(t, norCfg()), []byte(lines[1]))
	require.ErrorIs(t, err, ErrTraceMismatch)
	assert.NotContains(t, err.Error(), "line")

	// Ranges past the end of a smaller device, and erases that are not its units.
	small := func() *Device { return mustNew(t, norCfg(func(c *Config) { c.Size = 8192 })) }
	for _, s := range []string{
		`{"op":"program","off":65532,"len":4,"page":-1,"data":"00000000","applied":true}`,
		`{"op":"erase","off":0,"len":99999999,"applied":true}`,
		`{"op":"erase","off":0,"len":2048,"applied":true}`,
	} {
		assert.ErrorIs(t, Replay(small(), strings.NewReader(s)), ErrTraceMismatch, s)
	}
	// The same NAND trace onto a NAND of the same geometry replays.
	e := mustNew(t, nandCfg())
	require.NoError(t, Replay(e, strings.NewReader(trace)))
	assert.Equal(t, n.Dump(), e.Dump())
	assert.Equal(t, n.DumpOOB(), e.DumpOOB())
}

// TestSPINORByteProgramTime: a small SPI NOR program costs the datasheet's
// first-byte time plus the per-byte time, capped at the page program time
// (W25Q128JV: tBP1 30 µs, tBPn 2.5 µs, tPP 0.4 ms typical); it cost
// 1/256 of tPP per byte (1.56 µs for one byte).
func TestSPINORByteProgramTime(t *testing.T) {
	d, err := NewChip("w25q128jv")
	require.NoError(t, err)
	tm := d.Timing()
	xfer := func(n int64) int64 { return tm.Xfer(5 + n) } // WREN + 02h + 3 address bytes, then data
	const us = int64(1000)
	assert.Equal(t, xfer(1)+30*us, d.Cost(OpProgram, 0, 1), "one byte: tBP1")
	assert.Equal(t, xfer(4)+30*us+3*2500, d.Cost(OpProgram, 0, 4), "four bytes: tBP1 + 3 tBPn")
	assert.Equal(t, xfer(256)+400*us, d.Cost(OpProgram, 0, 256), "a full page: tPP (tBP1 + 255 tBPn is more)")
	assert.Equal(t, xfer(148)+30*us+147*2500, d.Cost(OpProgram, 0, 148))
	assert.Equal(t, xfer(149)+400*us, d.Cost(OpProgram, 0, 149), "from 149 bytes on, tPP")
	assert.Equal(t, 2*(xfer(2)+30*us+2500), d.Cost(OpProgram, 254, 4), "over a page boundary: two commands of 2 bytes")
	require.NoError(t, d.Program(0, []byte{0x12}))
	assert.Equal(t, xfer(1)+30*us, d.Now(), "the clock is charged the same")
}

// TestSTM32L4ZeroOverwrite: RM0351 allows programming an already programmed
// double word again when the new data is all zeros; any other second
// program fails (PROGERR).
func TestSTM32L4ZeroOverwrite(t *testing.T) {
	d, err := NewChip("stm32l4")
	require.NoError(t, err)
	require.NoError(t, d.Program(0, []byte{1, 2, 3, 4, 5, 6, 7, 8}))
	assert.ErrorIs(t, d.Program(0, []byte{0, 0, 0, 0, 5, 6, 7, 8}), ErrProgramLimit, "not all zeros")
	require.NoError(t, d.Program(0, make([]byte, 8)), "all zeros over a programmed double word")
	assert.Equal(t, make([]byte, 8), read(t, d, 0, 8))
	require.NoError(t, d.Program(0, make([]byte, 8)), "and again")
	// Mixed: a zero double word next to a fresh one in one program.
	require.NoError(t, d.Program(8, []byte{9, 9, 9, 9, 9, 9, 9, 9}))
	require.NoError(t, d.Program(8, make([]byte, 16)))
	assert.EqualValues(t, 1, d.Stats().LimitViolations, "only the refused program")
	// Without the rule (a device configured like it by hand) the limit holds.
	c, _ := Chip("stm32l4")
	c.ZeroOverwrite = false
	e := mustNew(t, c)
	require.NoError(t, e.Program(0, []byte{1, 2, 3, 4, 5, 6, 7, 8}))
	assert.ErrorIs(t, e.Program(0, make([]byte, 8)), ErrProgramLimit)
	// Count mode: a zero overwrite is not counted as a limit violation.
	c.ZeroOverwrite, c.Violations = true, ViolationsCount
	f := mustNew(t, c)
	require.NoError(t, f.Program(0, []byte{1, 2, 3, 4, 5, 6, 7, 8}))
	require.NoError(t, f.Program(0, make([]byte, 8)))
	assert.Zero(t, f.Stats().LimitViolations)
	require.NoError(t, f.Program(0, []byte{0, 0, 0, 0, 0, 0, 0, 0}))
	require.NoError(t, f.Program(8, []byte{1, 1, 1, 1, 1, 1, 1, 1}))
	require.NoError(t, f.Program(8, []byte{0, 1, 1, 1, 1, 1, 1, 1}))
	assert.EqualValues(t, 1, f.Stats().LimitViolations)
}
