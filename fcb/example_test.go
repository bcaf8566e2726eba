package fcb_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/fcb"
)

// newExampleArea makes a 4 x 4 KiB NOR flash and one area over all of it.
func newExampleArea() *api.Area {
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 4 * 4096, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xFF})
	if err != nil {
		panic(err)
	}
	a, err := api.DeviceArea(api.FromEmu(d), "storage")
	if err != nil {
		panic(err)
	}
	return a
}

func Example() {
	area := newExampleArea()
	log, err := fcb.New(area, fcb.Options{Magic: 0x12345678, Version: 1})
	if err != nil {
		panic(err)
	}
	for _, msg := range []string{"boot", "sensor=21.5", "shutdown"} {
		if _, err := log.Push([]byte(msg)); err != nil {
			panic(err)
		}
	}
	for e, err := range log.Entries() {
		if err != nil {
			panic(err)
		}
		fmt.Printf("sector %d offset %3d: %s\n", e.Sector, e.ElemOff, e.Data)
	}
	// Output:
	// sector 0 offset   8: boot
	// sector 0 offset  20: sensor=21.5
	// sector 0 offset  40: shutdown
}

// The Zephyr way: append reserves the entry, the application writes the
// payload at FCB_ENTRY_FA_DATA_OFF, finish writes the CRC that makes it
// visible.
func ExampleFCB_Append() {
	area := newExampleArea()
	log, _ := fcb.New(area, fcb.Options{})
	loc, err := log.Append(8)
	if err != nil {
		panic(err)
	}
	_ = area.Write(loc.AreaOff(), []byte("12345678")) // 8 bytes: whole write blocks
	n := 0
	_ = log.Walk(func(fcb.Loc) error { n++; return nil })
	fmt.Println("before finish:", n)
	_ = log.AppendFinish(loc)
	n = 0
	_ = log.Walk(func(fcb.Loc) error { n++; return nil })
	fmt.Println("after finish:", n)
	// Output:
	// before finish: 0
	// after finish: 1
}

// A full FCB reports ENOSPC; rotating erases the oldest sector.
func ExampleFCB_Rotate() {
	area := newExampleArea()
	log, _ := fcb.New(area, fcb.Options{})
	entry := make([]byte, 1000)
	appended := 0
	for {
		_, err := log.Push(entry)
		if errors.Is(err, fcb.ErrNoSpace) {
			fmt.Println("full after", appended, "entries:", errno.Of(err))
			break
		}
		appended++
	}
	_ = log.Rotate()
	left := 0
	_ = log.Walk(func(fcb.Loc) error { left++; return nil })
	fmt.Println("after rotate:", left)
	// Output:
	// full after 16 entries: -28
	// after rotate: 12
}

// WalkImage is the field-dump walker behind `flashemu fcb walk --json`.
func ExampleWalkImage() {
	area := newExampleArea()
	log, _ := fcb.New(area, fcb.Options{Magic: 0xC0FFEE})
	_, _ = log.Push([]byte{1, 2, 3})
	img := make([]byte, area.Size())
	_ = area.Read(0, img)

	opt := fcb.DefaultImageOptions(4096)
	opt.Magic, opt.Align = 0xC0FFEE, 4
	entries, err := fcb.WalkImage(img, opt)
	if err != nil {
		panic(err)
	}
	out, _ := json.Marshal(entries)
	fmt.Println(string(out))

	opt.Magic = 1 // wrong magic: the mount fails like fcb_init
	_, err = fcb.WalkImage(img, opt)
	fmt.Println(errno.Errno(errno.Of(err)))
	// Output:
	// [{"sector":0,"elem_off":8,"data_off":12,"len":3,"data":"010203"}]
	// ENOMSG (-35)
}
