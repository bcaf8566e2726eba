package emu

import (
	"path/filepath"
	"testing"
)

// BenchmarkSaveLoadImage16MiB saves a 16 MiB NOR image set (image, sidecar
// with digests) and loads it back, verifying the digest.
func BenchmarkSaveLoadImage16MiB(b *testing.B) {
	d, err := New(Config{Kind: NOR, Size: 16 << 20, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
	if err != nil {
		b.Fatal(err)
	}
	for off := int64(0); off < d.Size(); off += 1 << 16 {
		if err := d.Program(off, pattern(4096, byte(off>>16))); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(b.TempDir(), "img.bin")
	b.SetBytes(d.Size())
	b.ReportAllocs()
	for b.Loop() {
		if err := d.SaveImage(path, ImageOptions{Sidecar: true}); err != nil {
			b.Fatal(err)
		}
		if _, err := Load(path, nil, ImageOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
