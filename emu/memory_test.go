package emu

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestSparseMemory: a 1 GiB NAND with 1 % of its pages touched uses at most
// 3× the touched bytes plus about 1 MiB.
func TestSparseMemory(t *testing.T) {
	cfg := Config{Kind: NAND, PageSize: 2048, OOBSize: 64, PagesPerBlock: 64, Blocks: 8192, ECCBits: 4, EraseValue: 0xff}
	before := heapAlloc()
	d, err := New(cfg)
	require.NoError(t, err)
	require.Equal(t, int64(1<<30), d.Size())
	data := pattern(2048, 1)
	oob := append([]byte{0xff}, rep(0x5a, 63)...)
	var touched uint64
	for p := 0; p < d.Pages(); p += 100 { // every 100th page: 1 % spread over all blocks
		require.NoError(t, d.ProgramPage(p, data, oob))
		touched += 2048 + 64
	}
	buf := make([]byte, 2048)
	for p := 0; p < d.Pages(); p += 997 {
		_, err := d.ReadPage(p, buf, nil) // reads of untouched pages allocate nothing lasting
		require.NoError(t, err)
	}
	after := heapAlloc()
	used := after - before
	limit := 3*touched + 1<<20
	t.Logf("1 GiB NAND, %d pages touched (%d bytes): heap grew %d bytes (limit %d)", d.Pages()/100+1, touched, used, limit)
	assert.LessOrEqual(t, used, limit)
	runtime.KeepAlive(d)

	// A snapshot and a device restored from it share the array.
	before = heapAlloc()
	s := d.Snapshot()
	e := FromSnapshot(s)
	after = heapAlloc()
	t.Logf("snapshot + restored device: %d bytes", after-before)
	assert.Less(t, after-before, uint64(64<<10))
	runtime.KeepAlive(e)
	runtime.KeepAlive(d)
}
