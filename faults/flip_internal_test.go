package faults

import (
	"bytes"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFlipTowardSkipsOnlyTheBit: retention and read disturb leave a bit
// that already carries an error (or is unstable) alone, but not the other
// bits of its byte.
func TestFlipTowardSkipsOnlyTheBit(t *testing.T) {
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
	require.NoError(t, err)
	require.NoError(t, d.Program(0, make([]byte, 4096)))                   // every bit programmed
	require.NoError(t, d.XorFlips(0, bytes.Repeat([]byte{0x01}, 4096)))    // bit 0 of every byte: an error
	require.NoError(t, d.SetUnstable(0, bytes.Repeat([]byte{0x02}, 4096))) // bit 1: unstable
	inj, err := Attach(d, Plan{Seed: 1})
	require.NoError(t, err)
	r := newRNG(3)
	hit := map[int]int{}
	for i := 0; i < 400; i++ {
		if off, bit := inj.flipToward(d, 0, true, &r); off >= 0 {
			hit[bit]++
		}
	}
	assert.Zero(t, hit[0], "a bit with an error is skipped")
	assert.Zero(t, hit[1], "an unstable bit is skipped")
	assert.Greater(t, len(hit), 3, "the other bits of those bytes are not: %v", hit)
}
