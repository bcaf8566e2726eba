package streamflash_test

import (
	"bytes"
	"fmt"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/settings"
	"github.com/flashemu/flashemu/streamflash"
)

// Stream an image into flash with erase on demand and a read-back check.
func Example() {
	d, _ := emu.New(emu.Config{Kind: emu.NOR, Size: 64 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff})
	dev := api.FromEmu(d)
	image := bytes.Repeat([]byte("firmware"), 1250) // 10000 bytes

	verify := func(buf []byte, off int64) error {
		if !bytes.Equal(buf, image[off:off+int64(len(buf))]) {
			return fmt.Errorf("verify failed at %d", off)
		}
		return nil
	}
	s, err := streamflash.New(dev, make([]byte, 1024), 0, 0, verify, streamflash.Options{Erase: true})
	if err != nil {
		panic(err)
	}
	for off := 0; off < len(image); off += 1500 { // network-sized chunks
		end := min(off+1500, len(image))
		if err := s.Write(image[off:end], end == len(image)); err != nil {
			panic(err)
		}
	}
	fmt.Println("written:", s.BytesWritten(), "buffered:", s.BytesBuffered())
	fmt.Println("pages erased:", d.Stats().Erases)
	// Output:
	// written: 10000 buffered: 0
	// pages erased: 3
}

// A write that does not fit gives ENOMEM and consumes nothing.
func ExampleStream_Write_noMem() {
	d, _ := emu.New(emu.Config{Kind: emu.NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
	s, _ := streamflash.New(api.FromEmu(d), make([]byte, 256), 4096, 0, nil, streamflash.Options{})
	err := s.Write(make([]byte, 5000), false)
	fmt.Println(errno.Of(err), s.BytesWritten(), s.BytesBuffered())
	// Output: -12 0 0
}

// Resume an interrupted download from progress kept in a settings store.
func ExampleStream_LoadProgress() {
	d, _ := emu.New(emu.Config{Kind: emu.NOR, Size: 64 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff})
	dev := api.FromEmu(d)
	slot, _ := api.NewArea(dev, "slot1", 0, 48<<10)
	storage, _ := api.NewArea(dev, "storage", 48<<10, 16<<10)
	store, _ := settings.New(storage, settings.Options{})

	s, _ := streamflash.NewArea(slot, make([]byte, 4096), 0, 0, nil, streamflash.Options{Erase: true})
	_ = s.Write(make([]byte, 10000), false) // 8192 on flash, 1808 buffered
	_ = s.SaveProgress(store, "dl/progress")

	// ... reboot: a new context picks up where the flash left off.
	s2, _ := streamflash.NewArea(slot, make([]byte, 4096), 0, 0, nil, streamflash.Options{Erase: true})
	_ = s2.LoadProgress(store, "dl/progress")
	fmt.Println("resume at", s2.BytesWritten())
	// Output: resume at 8192
}

// ErasePage works on device pages and remembers only the last one.
func ExampleStream_ErasePage() {
	d, _ := emu.New(emu.Config{Kind: emu.NOR, Size: 16 << 10, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
	s, _ := streamflash.New(api.FromEmu(d), make([]byte, 256), 0, 0, nil, streamflash.Options{Erase: true})
	for _, off := range []int64{0, 100, 4096, 0} {
		_ = s.ErasePage(off)
	}
	fmt.Println("erases:", d.Stats().Erases, "last:", s.LastErasedPage())
	fmt.Println(errno.Of(s.ErasePage(16 << 10)))
	// Output:
	// erases: 3 last: 0
	// -22
}
