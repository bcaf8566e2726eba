package emu_test

import (
	"bytes"
	"fmt"

	"github.com/flashemu/flashemu/emu"
)

// ReplayTrace rebuilds a device's array from its operation trace: here the
// trace of an erase and two programs, replayed up to (not including)
// operation 2.
func ExampleReplayTrace() {
	cfg := emu.Config{Kind: emu.NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff}
	d, _ := emu.New(cfg)
	var trace bytes.Buffer
	tr := emu.NewTracer(&trace)
	d.SetHook(tr)
	_ = d.Erase(0, 4096)
	_ = d.Program(0, []byte("ab"))
	_ = d.Program(2, []byte("cd"))
	_ = tr.Flush()

	fresh, _ := emu.New(cfg)
	n, err := emu.ReplayTrace(fresh, bytes.NewReader(trace.Bytes()), emu.ReplayOptions{Before: 2, HasBefore: true})
	buf := make([]byte, 4)
	_ = fresh.Peek(0, buf)
	fmt.Printf("%d operations applied, err %v: %q\n", n, err, buf)
	// Output: 2 operations applied, err <nil>: "ab\xff\xff"
}
