package emu_test

import (
	"bytes"
	"fmt"

	"github.com/flashemu/flashemu/emu"
)

// A HEX file keeps its base: WriteHex writes the line at the base even when
// it is erased, and ReadHexAutoBase takes the base from the file.
func ExampleDevice_ReadHexAutoBase() {
	cfg := emu.Config{Kind: emu.NOR, Size: 16 << 10, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff}
	d, _ := emu.New(cfg)
	_ = d.Program(0x1000, []byte("DATA"))
	var buf bytes.Buffer
	_ = d.WriteHex(&buf, 0x08000000)

	e, _ := emu.New(cfg)
	base, err := e.ReadHexAutoBase(&buf)
	got := make([]byte, 4)
	_ = e.Peek(0x1000, got)
	fmt.Printf("base %#x, %q at 0x1000, err %v\n", base, got, err)
	// Output: base 0x8000000, "DATA" at 0x1000, err <nil>
}
