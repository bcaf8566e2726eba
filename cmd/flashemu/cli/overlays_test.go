package cli

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOverlaysRecordStuckBits: a dump's overlays file lists stuck bits with
// their values (data and NAND spare area), and image info counts them.
func TestOverlaysRecordStuckBits(t *testing.T) {
	cfg, err := emu.Chip("w25n01gv")
	require.NoError(t, err)
	d, err := emu.New(cfg)
	require.NoError(t, err)
	require.NoError(t, d.SetStuck(64, 0, true))
	require.NoError(t, d.SetStuck(64, 7, false))
	require.NoError(t, d.SetStuckOOB(2, 0, 1, true))
	require.NoError(t, d.SetUnstable(4096, []byte{0x0f}))
	img := filepath.Join(t.TempDir(), "after.bin")
	require.NoError(t, writeOverlays(img, d))

	info, err := readOverlayInfo(img)
	require.NoError(t, err)
	require.NotNil(t, info)
	assert.Equal(t, 3, info.Stuck)
	assert.Equal(t, 4, info.Unstable)
	var stuck []overlayEntry
	for _, e := range info.Overlays {
		if e.Kind == "stuck" {
			stuck = append(stuck, e)
		}
	}
	require.Len(t, stuck, 2)
	assert.Equal(t, overlayEntry{Kind: "stuck", Area: "data", Off: 64, Mask: "81", Value: "01"}, stuck[0])
	assert.Equal(t, "oob", stuck[1].Area)
	require.NotNil(t, stuck[1].Page)
	assert.Equal(t, 2, *stuck[1].Page)
	assert.Equal(t, "02", stuck[1].Mask)
	assert.Equal(t, "02", stuck[1].Value)

	var out bytes.Buffer
	info.print(&out)
	assert.Contains(t, out.String(), "4 unstable, 0 flipped, 3 stuck bits")
	assert.Contains(t, out.String(), "stuck       0x00000040  mask 81  value 01")
}
