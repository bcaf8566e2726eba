package emu

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// norCfg is a small uniform NOR device: 64 KiB, 4 KiB units, 4-byte blocks.
func norCfg(mods ...func(*Config)) Config {
	c := Config{Kind: NOR, Size: 64 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff}
	for _, m := range mods {
		m(&c)
	}
	return c
}

// nandCfg is a small NAND: 16 blocks of 8 pages of 512+16 bytes, NOP 2, ECC 2 bits per 256 bytes.
func nandCfg(mods ...func(*Config)) Config {
	c := Config{Kind: NAND, PageSize: 512, OOBSize: 16, PagesPerBlock: 8, Blocks: 16, EraseValue: 0xff,
		NOP: 2, ECCBits: 2, ECCStep: 256}
	for _, m := range mods {
		m(&c)
	}
	return c
}

func mustNew(t testing.TB, c Config) *Device {
	t.Helper()
	d, err := New(c)
	require.NoError(t, err)
	return d
}

func peek(t testing.TB, d *Device, off, n int64) []byte {
	t.Helper()
	p := make([]byte, n)
	require.NoError(t, d.Peek(off, p))
	return p
}

func read(t testing.TB, d *Device, off, n int64) []byte {
	t.Helper()
	p := make([]byte, n)
	require.NoError(t, d.Read(off, p))
	return p
}

func rep(b byte, n int) []byte { return bytes.Repeat([]byte{b}, n) }

// pattern returns n bytes of a simple deterministic pattern.
func pattern(n int, seed byte) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = byte(i*31) ^ seed
	}
	return p
}
