package emu

import (
	"fmt"
	"testing"
)

// Run with: go test -bench . -benchmem ./emu/
// BenchmarkCopy4K is the yardstick: program and read should reach at least
// half its bandwidth, with zero allocations per operation.

const benchUnits = 256 // 1 MiB of 4 KiB units to rotate over

func benchDevice(b *testing.B) *Device {
	d, err := New(Config{Kind: NOR, Size: benchUnits * 4096, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff})
	if err != nil {
		b.Fatal(err)
	}
	return d
}

func BenchmarkCopy4K(b *testing.B) {
	src, dst := pattern(4096, 1), make([]byte, 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	for b.Loop() {
		copy(dst, src)
	}
}

// rotateUnits is how many units BenchmarkProgram4K rotates over before an
// erase outside the timer (128 KiB: L2-resident; StopTimer's stop-the-world
// pollutes the caches, so it should not run too often either).
const rotateUnits = 32

// BenchmarkCopy4KRotating is Copy4K in BenchmarkProgram4K's harness: the
// same rotating destinations and the same StopTimer pattern, to separate the
// harness's cache effects from the emulator's own overhead.
func BenchmarkCopy4KRotating(b *testing.B) {
	src, dst := pattern(4096, 1), make([]byte, rotateUnits*4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	u := 0
	for i := 0; i < b.N; i++ {
		if u == rotateUnits {
			b.StopTimer()
			fill(dst, 0xff)
			u = 0
			b.StartTimer()
		}
		copy(dst[u*4096:(u+1)*4096], src)
		u++
	}
}

// BenchmarkProgram4K programs whole erased 4 KiB units, rotating over
// rotateUnits units and erasing them all (outside the timer) once every
// unit is used.
func BenchmarkProgram4K(b *testing.B) {
	d := benchDevice(b)
	src := pattern(4096, 1)
	// Warm up: materialise every chunk once so the steady state is measured.
	for u := 0; u < rotateUnits; u++ {
		if err := d.Program(int64(u)*4096, src); err != nil {
			b.Fatal(err)
		}
	}
	if err := d.Erase(0, rotateUnits*4096); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	u := 0
	for i := 0; i < b.N; i++ {
		if u == rotateUnits {
			b.StopTimer()
			if err := d.Erase(0, rotateUnits*4096); err != nil {
				b.Fatal(err)
			}
			u = 0
			b.StartTimer()
		}
		if err := d.Program(int64(u)*4096, src); err != nil {
			b.Fatal(err)
		}
		u++
	}
}

// BenchmarkProgram4KOverwrite programs 4 KiB over already programmed data
// (the general AND path with the strict check; same data, so it is legal).
func BenchmarkProgram4KOverwrite(b *testing.B) {
	d := benchDevice(b)
	src := pattern(4096, 1)
	if err := d.Program(0, src); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(4096)
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Program(0, src); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRead4K(b *testing.B) {
	d := benchDevice(b)
	if err := d.Program(8192, pattern(4096, 1)); err != nil {
		b.Fatal(err)
	}
	p := make([]byte, 4096)
	b.SetBytes(4096)
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Read(8192, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkErase4K erases one programmed 4 KiB unit per op, rotating over
// rotateUnits units that are programmed again (outside the timer) once all are erased.
func BenchmarkErase4K(b *testing.B) {
	d := benchDevice(b)
	src := pattern(4096, 1)
	refill := func() {
		for u := 0; u < rotateUnits; u++ {
			if err := d.ApplyProgram(int64(u)*4096, src); err != nil {
				b.Fatal(err)
			}
		}
	}
	refill()
	b.SetBytes(4096)
	b.ReportAllocs()
	b.ResetTimer()
	u := 0
	for i := 0; i < b.N; i++ {
		if u == rotateUnits {
			b.StopTimer()
			refill()
			u = 0
			b.StartTimer()
		}
		if err := d.Erase(int64(u)*4096, 4096); err != nil {
			b.Fatal(err)
		}
		u++
	}
}

func BenchmarkReadPageNAND(b *testing.B) {
	d, err := NewChip("mt29f1g08")
	if err != nil {
		b.Fatal(err)
	}
	if err := d.ProgramPage(64, pattern(2048, 1), nil); err != nil {
		b.Fatal(err)
	}
	if err := d.XorFlips(64*2048+5, []byte{1}); err != nil { // one corrected bit: the ECC path
		b.Fatal(err)
	}
	p, oob := make([]byte, 2048), make([]byte, 64)
	b.SetBytes(2048 + 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.ReadPage(64, p, oob); err != nil {
			b.Fatal(err)
		}
	}
}

// touchedDevice is a device of size bytes with 1 % of its 4 KiB units programmed.
func touchedDevice(b *testing.B, size int64) (*Device, int64) { return touchedEvery(b, size, 100) }

// touchedEvery programs every step-th 4 KiB unit of a device of size bytes.
func touchedEvery(b *testing.B, size, step int64) (*Device, int64) {
	d, err := New(Config{Kind: NOR, Size: size, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff})
	if err != nil {
		b.Fatal(err)
	}
	src := pattern(4096, 1)
	units := size / 4096
	var touched int64
	for u := int64(0); u < units; u += step {
		if err := d.Program(u*4096, src); err != nil {
			b.Fatal(err)
		}
		touched += 4096
	}
	return d, touched
}

// BenchmarkSnapshot64MiB takes a snapshot of a 64 MiB device with 1 % of its
// units touched. SetBytes is the touched data captured, so MB/s compares with
// copying that data; the cost does not grow with it.
func BenchmarkSnapshot64MiB(b *testing.B) {
	d, touched := touchedDevice(b, 64<<20)
	b.SetBytes(touched)
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Snapshot()
	}
}

// BenchmarkSnapshotRestore64MiB is the exploration cycle: snapshot, change
// one unit (copy-on-write of one chunk and one leaf), restore.
func BenchmarkSnapshotRestore64MiB(b *testing.B) {
	d, touched := touchedDevice(b, 64<<20)
	src := pattern(4096, 2)
	b.SetBytes(touched)
	b.ReportAllocs()
	for b.Loop() {
		s := d.Snapshot()
		if err := d.Erase(0, 4096); err != nil {
			b.Fatal(err)
		}
		if err := d.Program(0, src); err != nil {
			b.Fatal(err)
		}
		if err := d.Restore(s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSnapshot1GiB shows the snapshot cost barely depends on size: the
// top-level table is size/1 MiB pointers.
func BenchmarkSnapshot1GiB(b *testing.B) {
	d, touched := touchedDevice(b, 1<<30)
	b.SetBytes(touched)
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Snapshot()
	}
}

// BenchmarkSnapshotTouched shows that taking a snapshot does not depend on
// how much of the device holds data (1 %, 10 %, 100 % of 64 MiB): it copies
// the top-level tables only; the data is shared copy-on-write.
func BenchmarkSnapshotTouched(b *testing.B) {
	for _, step := range []int64{100, 10, 1} {
		b.Run(fmt.Sprintf("touched=%d%%", 100/step), func(b *testing.B) {
			d, touched := touchedEvery(b, 64<<20, step)
			b.SetBytes(touched)
			b.ReportAllocs()
			for b.Loop() {
				_ = d.Snapshot()
			}
		})
	}
}

// BenchmarkReadSmall is the per-operation fixed cost of a read: 16 bytes,
// as a file system's header walk issues them.
func BenchmarkReadSmall(b *testing.B) {
	d := benchDevice(b)
	if err := d.Program(8192, pattern(4096, 1)); err != nil {
		b.Fatal(err)
	}
	p := make([]byte, 16)
	b.SetBytes(16)
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Read(8192+64, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProgramSmall is the per-operation fixed cost of a program: 16
// bytes over the same data (legal), so no erase is ever needed.
func BenchmarkProgramSmall(b *testing.B) {
	d := benchDevice(b)
	src := pattern(16, 1)
	b.SetBytes(16)
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Program(8192+64, src); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadRestored is a 16-byte read on a device just restored from a
// snapshot (a sweep branch's first reads): the copy-on-write cost of a
// read, if any, shows here.
func BenchmarkReadRestored(b *testing.B) {
	d := benchDevice(b)
	if err := d.Program(8192, pattern(4096, 1)); err != nil {
		b.Fatal(err)
	}
	s := d.Snapshot()
	p := make([]byte, 16)
	b.SetBytes(16)
	b.ReportAllocs()
	for b.Loop() {
		if err := d.Restore(s); err != nil {
			b.Fatal(err)
		}
		if err := d.Read(8192+64, p); err != nil {
			b.Fatal(err)
		}
	}
}
