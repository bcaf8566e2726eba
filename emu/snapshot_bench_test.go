package emu

import "testing"

// snapSink keeps benchmarked snapshots alive (escaping, as a sweep's do).
var snapSink *Snapshot

// snapshotBenchDevices are the sizes of the snapshot benchmarks: NOR of
// 1, 16 and 128 MiB (4 KiB units) and a 1 GiB NAND (2 KiB pages + 64 OOB,
// 64 pages a block), each with a few units holding data.
var snapshotBenchDevices = []struct {
	name string
	cfg  Config
}{
	{"NOR1MiB", Config{Kind: NOR, Size: 1 << 20, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff}},
	{"NOR16MiB", Config{Kind: NOR, Size: 16 << 20, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff}},
	{"NOR128MiB", Config{Kind: NOR, Size: 128 << 20, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff}},
	{"NAND1GiB", Config{Kind: NAND, PageSize: 2048, OOBSize: 64, PagesPerBlock: 64, Blocks: 8192, EraseValue: 0xff}},
}

func snapshotBenchDevice(b *testing.B, cfg Config) *Device {
	d, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	// Touch a spread of units in the second half so that the tables are
	// not empty (the benchmarks write into the first half).
	n := d.Size() / 64
	src := pattern(16, 3)
	if d.Kind() == NAND {
		src = pattern(d.PageSize(), 3)
	}
	for off := d.Size() / 2; off < d.Size(); off += n {
		if err := d.Program(off, src); err != nil {
			b.Fatal(err)
		}
	}
	return d
}

// BenchmarkSnapshotSize takes a snapshot of devices from 1 MiB to 1 GiB:
// the cost must not grow with the size.
func BenchmarkSnapshotSize(b *testing.B) {
	for _, c := range snapshotBenchDevices {
		b.Run(c.name, func(b *testing.B) {
			d := snapshotBenchDevice(b, c.cfg)
			b.ReportAllocs()
			for b.Loop() {
				snapSink = d.Snapshot()
			}
		})
	}
}

// BenchmarkSnapshotWrite is what a sweep's recorder pays per operation: a
// snapshot and then a 16-byte program (the copy-on-write of what the program
// changes). B/op is the memory each snapshot pins.
func BenchmarkSnapshotWrite(b *testing.B) {
	for _, c := range snapshotBenchDevices {
		b.Run(c.name, func(b *testing.B) {
			d := snapshotBenchDevice(b, c.cfg)
			src := pattern(16, 5)
			wb := int64(16)
			if d.Kind() == NAND {
				wb = int64(d.PageSize()) // one page a program
				src = pattern(int(wb), 5)
			}
			var off int64
			b.ReportAllocs()
			for b.Loop() {
				snapSink = d.Snapshot()
				if off+wb > d.Size()/2 {
					b.StopTimer()
					if err := d.Erase(0, d.Size()/2); err != nil {
						b.Fatal(err)
					}
					off = 0
					b.StartTimer()
				}
				if err := d.Program(off, src); err != nil {
					b.Fatal(err)
				}
				off += wb
			}
		})
	}
}
