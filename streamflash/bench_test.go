package streamflash_test

import (
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/streamflash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	benchImage = 1 << 20
	benchBuf   = 4096
	benchChunk = 1024
)

// streamImage streams n bytes of src into dev in benchChunk pieces through
// a 4 KiB buffer with erase on demand, flushing at the end.
func streamImage(tb testing.TB, s *streamflash.Stream, src []byte) {
	for off := 0; off < len(src); off += benchChunk {
		end := min(off+benchChunk, len(src))
		if err := s.Write(src[off:end], end == len(src)); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkStream1MiBW25Q128JV streams 1 MiB with 4 KiB buffers and erase
// on demand into the w25q128jv preset. Host throughput is the MB/s column;
// sim-ms/op is the simulated chip time of one 1 MiB stream and sim-MB/s the
// throughput on the emulated chip.
func BenchmarkStream1MiBW25Q128JV(b *testing.B) {
	d, err := emu.NewChip("w25q128jv")
	require.NoError(b, err)
	dev := wrap(d)
	src := streamBytes(benchImage)
	buf := make([]byte, benchBuf)
	b.SetBytes(benchImage)
	b.ReportAllocs()
	t0 := d.Now()
	b.ResetTimer()
	for range b.N {
		s, err := streamflash.New(dev, buf, 0, benchImage, nil, streamflash.Options{Erase: true})
		if err != nil {
			b.Fatal(err)
		}
		streamImage(b, s, src)
	}
	b.StopTimer()
	simNs := float64(d.Now()-t0) / float64(b.N)
	b.ReportMetric(simNs/1e6, "sim-ms/op")
	b.ReportMetric(float64(benchImage)/(simNs/1e9)/1e6, "sim-MB/s")
}

// BenchmarkStream1MiBVerify is the same stream with a read-back callback
// (every buffer inverted, read back and handed to the callback).
func BenchmarkStream1MiBVerify(b *testing.B) {
	d, err := emu.NewChip("w25q128jv")
	require.NoError(b, err)
	dev := wrap(d)
	src := streamBytes(benchImage)
	buf := make([]byte, benchBuf)
	cb := func([]byte, int64) error { return nil }
	b.SetBytes(benchImage)
	b.ReportAllocs()
	for range b.N {
		s, err := streamflash.New(dev, buf, 0, benchImage, cb, streamflash.Options{Erase: true})
		if err != nil {
			b.Fatal(err)
		}
		streamImage(b, s, src)
	}
}

// ceilDiv is ⌈a/b⌉.
func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

// TestStreamTimingMatchesPreset checks that the simulated time of the 1 MiB
// stream equals the w25q128jv timing formula, recomputed here from the
// preset's parameters (emu.Timing): 256 buffers, each one 4 KiB sector
// erase (the range is one sector, so no 32/64 KiB block command) and one
// 4096-byte program split into 256-byte program pages; with the read-back
// callback, one 4096-byte read per buffer. It also checks emu's own per-op
// Cost agrees.
func TestStreamTimingMatchesPreset(t *testing.T) {
	for _, verify := range []bool{false, true} {
		d, err := emu.NewChip("w25q128jv")
		require.NoError(t, err)
		tm := d.Timing()
		xfer := func(bytes int64) int64 {
			cycles := ceilDiv(bytes*8, int64(max(tm.BusBits, 1)))
			return ceilDiv(cycles*1_000_000_000, tm.ClockHz)
		}
		var sectorNs int64
		for _, e := range tm.EraseNs {
			if e.Size == 4096 {
				sectorNs = e.Ns
			}
		}
		require.NotZero(t, sectorNs, "the preset has a 4 KiB sector erase time")
		pp := int64(tm.ProgramPage)
		require.Equal(t, int64(256), pp)
		require.True(t, tm.ProgramScales)

		erase := tm.OpOverheadNs + xfer(int64(tm.EraseCmdBytes)) + sectorNs
		program := (benchBuf / pp) * (tm.OpOverheadNs + xfer(int64(tm.ProgramCmdBytes)+pp) + ceilDiv(tm.ProgramNs*pp, pp))
		read := tm.OpOverheadNs + xfer(int64(tm.ReadCmdBytes)+benchBuf) + tm.ReadNs
		perBuf := erase + program
		if verify {
			perBuf += read
		}
		want := int64(benchImage/benchBuf) * perBuf

		// emu's own cost function agrees for each op kind.
		assert.Equal(t, erase, d.Cost(emu.OpErase, 0, 4096))
		assert.Equal(t, program, d.Cost(emu.OpProgram, 0, benchBuf))
		assert.Equal(t, read, d.Cost(emu.OpRead, 0, benchBuf))

		var cb streamflash.Callback
		if verify {
			cb = func([]byte, int64) error { return nil }
		}
		s, err := streamflash.New(wrap(d), make([]byte, benchBuf), 0, benchImage, cb, streamflash.Options{Erase: true})
		require.NoError(t, err)
		t0 := d.Now()
		streamImage(t, s, streamBytes(benchImage))
		assert.Equal(t, want, d.Now()-t0, "verify=%v: simulated time = 256 × (erase + program [+ read])", verify)
		st := d.Stats()
		assert.Equal(t, uint64(256), st.Erases)
		assert.Equal(t, uint64(256), st.Programs)
		t.Logf("verify=%v: %.3f s simulated for 1 MiB (%.1f KB/s); erase %d ns, program %d ns, read %d ns per 4 KiB",
			verify, float64(want)/1e9, benchImage/(float64(want)/1e9)/1e3, erase, program, read)
	}
}

// BenchmarkStream1MiBArea is BenchmarkStream1MiBW25Q128JV inside a 1 MiB
// flash area at 1 MiB (the *api.Area is the stream's device: every page
// lookup goes through the area's page layout).
func BenchmarkStream1MiBArea(b *testing.B) {
	d, err := emu.NewChip("w25q128jv")
	require.NoError(b, err)
	slot, err := api.NewArea(wrap(d), "slot1", benchImage, benchImage)
	require.NoError(b, err)
	src := streamBytes(benchImage)
	buf := make([]byte, benchBuf)
	b.SetBytes(benchImage)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s, err := streamflash.NewArea(slot, buf, 0, 0, nil, streamflash.Options{Erase: true})
		if err != nil {
			b.Fatal(err)
		}
		streamImage(b, s, src)
	}
}
