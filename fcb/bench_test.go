package fcb_test

import (
	"errors"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/fcb"
)

// benchFCB is the benchmark geometry: 16 x 4 KiB sectors, write block 4.
func benchFCB(b *testing.B) *fcb.FCB {
	b.Helper()
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 16 * 4096, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xFF})
	if err != nil {
		b.Fatal(err)
	}
	a, err := api.DeviceArea(api.FromEmu(d), "bench")
	if err != nil {
		b.Fatal(err)
	}
	f, err := fcb.New(a, fcb.Options{Magic: vecMagic})
	if err != nil {
		b.Fatal(err)
	}
	return f
}

// push appends one entry, rotating when the FCB is full.
func push(b *testing.B, f *fcb.FCB, data []byte) {
	for {
		_, err := f.Push(data)
		if err == nil {
			return
		}
		if !errors.Is(err, fcb.ErrNoSpace) {
			b.Fatal(err)
		}
		if err := f.Rotate(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAppend32 is one 32-byte append (append, payload write, finish)
// with rotation when full. ns/op is ns/append.
func BenchmarkAppend32(b *testing.B) {
	f := benchFCB(b)
	data := make([]byte, 32)
	b.SetBytes(32)
	b.ReportAllocs()
	for b.Loop() {
		push(b, f, data)
	}
}

// BenchmarkWalk32 walks a full FCB of 32-byte entries; ns/op is per walked
// entry.
func BenchmarkWalk32(b *testing.B) {
	f := benchFCB(b)
	data := make([]byte, 32)
	for range 5000 {
		push(b, f, data)
	}
	n := 0
	count := func(fcb.Loc) error { n++; return nil }
	if err := f.Walk(count); err != nil {
		b.Fatal(err)
	}
	entries := n
	b.SetBytes(32)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += entries {
		if err := f.Walk(count); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkScenario200k is the reference workload: 200,000 appends of
// 32-byte entries on 16 x 4 KiB sectors at write block 4, rotating when
// full, then one full walk (Zephyr's C code: ~464 ns/append, ~600 ns per
// walked entry). Run with -benchtime=1x.
func BenchmarkScenario200k(b *testing.B) {
	data := make([]byte, 32)
	var appendNs, walkNs float64
	var walked int
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		f := benchFCB(b)
		b.StartTimer()
		t0 := nowNs()
		for range 200_000 {
			push(b, f, data)
		}
		t1 := nowNs()
		walked = 0
		if err := f.Walk(func(fcb.Loc) error { walked++; return nil }); err != nil {
			b.Fatal(err)
		}
		t2 := nowNs()
		appendNs += float64(t1-t0) / 200_000
		walkNs += float64(t2-t1) / float64(walked)
	}
	b.ReportMetric(appendNs/float64(b.N), "ns/append")
	b.ReportMetric(walkNs/float64(b.N), "ns/walked-entry")
	b.ReportMetric(float64(walked), "walked-entries")
}
