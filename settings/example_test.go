package settings_test

import (
	"fmt"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/settings"
)

func Example() {
	d, _ := emu.New(emu.Config{Kind: emu.NOR, Size: 16 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff})
	area, _ := api.NewArea(api.FromEmu(d), "storage", 0, d.Size())

	store, _ := settings.New(area, settings.Options{})
	_ = store.Save("net/ssid", []byte("flashemu"))
	_ = store.Save("net/ssid", []byte("flashemu-5g")) // the newest record wins
	_ = store.Save("boot/count", []byte{3})
	_ = store.Delete("boot/count")

	// After a reboot the values are still there.
	store, _ = settings.New(area, settings.Options{})
	v, ok, _ := store.Load("net/ssid")
	fmt.Printf("%s %v\n", v, ok)
	_, ok, _ = store.Load("boot/count")
	fmt.Println(ok)
	// Output:
	// flashemu-5g true
	// false
}
