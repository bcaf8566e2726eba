package emu

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPeekStuck: PeekStuck and PeekStuckOOB return exactly what SetStuck
// and SetStuckOOB set (data and spare bits kept apart on NAND), and the
// stuck bits are part of the state a snapshot's key sees.
func TestPeekStuck(t *testing.T) {
	d := mustNew(t, norCfg())
	require.NoError(t, d.SetStuck(100, 3, true))
	require.NoError(t, d.SetStuck(100, 0, false))
	require.NoError(t, d.SetStuck(4097, 7, true))
	mask, val := make([]byte, 8), make([]byte, 8)
	require.NoError(t, d.PeekStuck(96, mask, val))
	assert.Equal(t, []byte{0, 0, 0, 0, 0x09, 0, 0, 0}, mask)
	assert.Equal(t, []byte{0, 0, 0, 0, 0x08, 0, 0, 0}, val)
	require.NoError(t, d.PeekStuck(4096, mask[:2], val[:2]))
	assert.Equal(t, []byte{0, 0x80}, mask[:2])
	assert.Equal(t, []byte{0, 0x80}, val[:2])
	assert.ErrorIs(t, d.PeekStuck(0, make([]byte, 2), make([]byte, 3)), ErrInvalid)
	assert.Error(t, d.PeekStuck(d.Size()-1, make([]byte, 2), make([]byte, 2)))

	n := mustNew(t, nandCfg())
	ps := int64(n.PageSize())
	require.NoError(t, n.SetStuck(ps+5, 1, false))
	require.NoError(t, n.SetStuckOOB(1, 2, 6, true))
	m, v := make([]byte, ps), make([]byte, ps)
	require.NoError(t, n.PeekStuck(ps, m, v))
	assert.Equal(t, byte(0x02), m[5])
	assert.Equal(t, 1, countSet(m), "the spare-area stuck bit is not in the data area")
	om, ov := make([]byte, n.OOBSize()), make([]byte, n.OOBSize())
	require.NoError(t, n.PeekStuckOOB(1, om, ov))
	assert.Equal(t, byte(0x40), om[2])
	assert.Equal(t, byte(0x40), ov[2])
	assert.Equal(t, 1, countSet(om))

	before := n.Snapshot().StateKey()
	require.NoError(t, n.SetStuck(0, 0, false))
	assert.NotEqual(t, before, n.Snapshot().StateKey(), "a new stuck bit changes the state key")
}

func countSet(b []byte) int {
	n := 0
	for _, x := range b {
		if x != 0 {
			n++
		}
	}
	return n
}
