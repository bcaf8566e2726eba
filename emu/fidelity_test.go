package emu

import (
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
