package emu

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 13 item 1: a device with data only at 0x1000 saved with base
// 0x08000000 must load back with the data at 0x1000, the base recovered
// from the file.
func TestHexKeepsBase(t *testing.T) {
	d := mustNew(t, norCfg())
	require.NoError(t, d.Program(0x1000, []byte("DATA")))
	var buf bytes.Buffer
	require.NoError(t, d.WriteHex(&buf, 0x08000000))

	h, err := ParseHex(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, uint32(0x08000000), h.Base(), "the lowest address of a written file is its base")

	e := mustNew(t, norCfg())
	base, err := e.ReadHexAutoBase(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, uint32(0x08000000), base)
	assert.Equal(t, d.Dump(), e.Dump())
	got := make([]byte, 4)
	require.NoError(t, e.Peek(0x1000, got))
	assert.Equal(t, "DATA", string(got))

	// an erased device still records its base
	buf.Reset()
	require.NoError(t, mustNew(t, norCfg()).WriteHex(&buf, 0x08000000))
	h, err = ParseHex(&buf)
	require.NoError(t, err)
	assert.Equal(t, uint32(0x08000000), h.Base())
}

func TestHexBaseAmbiguous(t *testing.T) {
	// lowest record at 0x10: not on an erase-unit boundary
	h, err := ParseHex(strings.NewReader(":0100100001EE\n:00000001FF\n"))
	require.NoError(t, err)
	_, err = mustNew(t, norCfg()).HexBase(h)
	require.ErrorIs(t, err, ErrCorruptImage)
	assert.Contains(t, err.Error(), "ambiguous")
	// below the base given: refused, nothing written
	d := mustNew(t, norCfg())
	err = d.LoadHexImage(h, 0x20)
	require.ErrorIs(t, err, ErrCorruptImage)
	assert.Contains(t, err.Error(), "outside")
}

func TestHexRules(t *testing.T) {
	bad := []struct{ name, text, msg string }{
		{"no eof", ":0100000001FE\n", "end-of-file"},
		{"overlap same address", ":0100000001FE\n:0100000002FD\n:00000001FF\n", "overlaps"},
		{"overlap partial", ":020000000102FB\n:0100010003FB\n:00000001FF\n", "overlaps"},
		{"overlap out of order", ":0100010003FB\n:020000000102FB\n:00000001FF\n", "overlaps"},
		{"more data than the device", bigHex(), "more than"},
		{"long line", ":" + strings.Repeat("0", 2*MaxHexLine) + "\n:00000001FF\n", "longer than"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := mustNew(t, norCfg()).ReadHex(strings.NewReader(tc.text), 0)
			require.ErrorIs(t, err, ErrCorruptImage)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	// adjacent records merge into one segment; records after EOF are ignored
	h, err := ParseHex(strings.NewReader(":0100010003FB\n:0100000001FE\n:00000001FF\n:0100000002FD\n"))
	require.NoError(t, err)
	require.Len(t, h.Segments, 1)
	assert.Equal(t, []byte{1, 3}, h.Segments[0].Data)
	h, err = ParseHex(strings.NewReader(":0100000001FE\n:0100020003FA\n:00000001FF\n"))
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 0xee, 3}, h.Flatten(0xee))
	assert.True(t, IsHex([]byte("\n:0100000001FE")))
	assert.False(t, IsHex([]byte(":01zz")))
}

// bigHex is a valid file with one byte more than norCfg's device holds.
func bigHex() string {
	var b strings.Builder
	d, _ := New(norCfg())
	for a := int64(0); a <= d.Size(); a += 16 {
		if a%0x10000 == 0 {
			rec := []byte{2, 0, 0, 4, byte(a >> 24), byte(a >> 16)}
			b.WriteString(hexRecord(rec))
		}
		rec := append([]byte{16, byte(a >> 8), byte(a), 0}, bytes.Repeat([]byte{1}, 16)...)
		b.WriteString(hexRecord(rec))
	}
	b.WriteString(":00000001FF\n")
	return b.String()
}

func hexRecord(rec []byte) string {
	var sum byte
	for _, c := range rec {
		sum += c
	}
	return ":" + strings.ToUpper(hex.EncodeToString(append(rec, -sum))) + "\n"
}

func TestIsHexName(t *testing.T) {
	for name, want := range map[string]bool{"a.hex": true, "A.HEX": true, "x/y.ihex": true, "b.ihx": true, "c.bin": false, "hex": false, "d.hex.bin": false, "e.json": false} {
		assert.Equal(t, want, IsHexName(name), name)
	}
}
