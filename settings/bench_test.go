package settings_test

import (
	"encoding/binary"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/settings"
)

// BenchmarkSaveProgress saves an 8-byte progress value (as stream_flash
// does every few KiB) to a 4 × 4 KiB store with a handful of other keys,
// compressing and rotating as it fills.
func BenchmarkSaveProgress(b *testing.B) {
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 16 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff})
	if err != nil {
		b.Fatal(err)
	}
	a, err := api.NewArea(api.FromEmu(d), "storage", 0, d.Size())
	if err != nil {
		b.Fatal(err)
	}
	s, err := settings.New(a, settings.Options{})
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range []string{"net/ssid", "net/psk", "boot/count", "app/mode"} {
		if err := s.Save(k, []byte(k+" value")); err != nil {
			b.Fatal(err)
		}
	}
	v := make([]byte, 8)
	b.ReportAllocs()
	for i := range b.N {
		binary.LittleEndian.PutUint64(v, uint64(i+1))
		if err := s.Save("fw/dl/progress", v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoad loads one key from the same kind of store, full of records.
func BenchmarkLoad(b *testing.B) {
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 16 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff})
	if err != nil {
		b.Fatal(err)
	}
	a, _ := api.NewArea(api.FromEmu(d), "storage", 0, d.Size())
	s, err := settings.New(a, settings.Options{})
	if err != nil {
		b.Fatal(err)
	}
	v := make([]byte, 8)
	for i := range 300 {
		binary.LittleEndian.PutUint64(v, uint64(i+1))
		if err := s.Save("fw/dl/progress", v); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for range b.N {
		if _, ok, err := s.Load("fw/dl/progress"); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
