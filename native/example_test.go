package native_test

import (
	"fmt"
	"log"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/native"
)

// Load a library built with `cc $(flashemu cc-flags) -shared -fPIC` and
// call one of its int(void) functions on an emulated device.
func ExampleLoad() {
	lib, err := native.Load("libkv.so", native.Options{
		Areas: []native.Area{{ID: 0, Label: "storage_partition"}}, // the whole device
	})
	if err != nil {
		log.Fatal(err)
	}
	defer lib.Close()
	dev, err := emu.New(emu.Config{Kind: emu.NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff})
	if err != nil {
		log.Fatal(err)
	}
	n, err := lib.Call("kv_count", native.Env{Dev: dev})
	fmt.Println(n, err)
}

// CCFlags is what `flashemu cc-flags` prints.
func ExampleCCFlags() {
	flags, err := native.CCFlags()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(flags) // -I<cache>/flashemu/<hash>/include <cache>/flashemu/<hash>/runtime/flashemu_rt.c
}
