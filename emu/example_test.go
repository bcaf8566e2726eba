package emu_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/flashemu/flashemu/emu"
)

// NOR physics: programs only move bits away from the erased value; asking
// a bit back fails with EIO until the unit is erased.
func Example_nor() {
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 64 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff})
	if err != nil {
		panic(err)
	}
	_ = d.Program(0, []byte{0xf0, 0x0f, 0xff, 0x00})
	_ = d.Program(0, []byte{0x30, 0x0f, 0xff, 0x00}) // clears more bits: fine
	err = d.Program(0, []byte{0xff, 0xff, 0xff, 0xff})
	fmt.Println(err != nil, errors.Is(err, emu.ErrProgramViolation), emu.ErrnoOf(err))
	p := make([]byte, 4)
	_ = d.Read(0, p)
	fmt.Printf("% x\n", p)
	_ = d.Erase(0, 4096)
	_ = d.Read(0, p)
	fmt.Printf("% x wear=%d\n", p, d.Wear()[0])
	// Output:
	// true true -5
	// 30 0f ff 00
	// ff ff ff ff wear=1
}

// NAND ECC: a few bit errors are corrected (and reported), more return the
// raw data with EBADMSG.
func Example_nand() {
	d, err := emu.NewChip("mt29f1g08") // 4 bits per 512 bytes
	if err != nil {
		panic(err)
	}
	page := bytes.Repeat([]byte{0x5a}, 2048)
	_ = d.ProgramPage(1, page, nil)
	_ = d.XorFlips(2048+10, []byte{0x03}) // 2 bit errors in step 0
	got := make([]byte, 2048)
	rep, err := d.ReadPage(1, got, nil)
	fmt.Println(err, rep.Corrected, bytes.Equal(got, page))
	_ = d.XorFlips(2048+600, []byte{0x1f}) // 5 bit errors in step 1
	rep, err = d.ReadPage(1, got, nil)
	fmt.Println(emu.ErrnoOf(err), rep.Corrected, rep.Failed, got[600] == 0x5a^0x1f)
	// Output:
	// <nil> 2 true
	// -77 2 1 true
}

// Snapshots are copy-on-write: cheap to take, immutable, and any number of
// devices can start from one.
func Example_snapshot() {
	d, _ := emu.NewChip("w25q128jv")
	_ = d.Program(0, []byte("hello"))
	s := d.Snapshot()
	_ = d.Erase(0, 4096)

	e := emu.FromSnapshot(s)
	p := make([]byte, 5)
	_ = e.Read(0, p)
	fmt.Printf("%s %v\n", p, e.StateHash() == s.StateHash())
	_ = d.Restore(s)
	rewound := d.Now() == s.Now()
	_ = d.Read(0, p)
	fmt.Printf("%s %v\n", p, rewound)
	// Output:
	// hello true
	// hello true
}

// cutAfterHalf interrupts the first program: half of the data lands, the
// clock advances by half the program time, power is lost.
type cutAfterHalf struct{ done bool }

func (c *cutAfterHalf) Before(d *emu.Device, op *emu.Op) error {
	if op.Kind != emu.OpProgram || c.done {
		return nil
	}
	c.done = true
	_ = d.ApplyProgram(op.Off, op.Data[:len(op.Data)/2])
	op.Dur /= 2
	d.PowerOff()
	return emu.ErrPowerLoss
}

func (c *cutAfterHalf) After(d *emu.Device, op *emu.Op, err error) error { return err }

func ExampleDevice_SetHook() {
	d, _ := emu.New(emu.Config{Kind: emu.NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
	d.SetHook(&cutAfterHalf{})
	err := d.Program(0, []byte{1, 2, 3, 4})
	fmt.Println(errors.Is(err, emu.ErrPowerLoss), d.Powered())
	fmt.Println(d.Read(0, make([]byte, 4)) != nil)
	d.PowerOn()
	p := make([]byte, 4)
	_ = d.Read(0, p)
	fmt.Printf("% x\n", p)
	// Output:
	// true false
	// true
	// 01 02 ff ff
}

// A Tracer records every operation as JSON Lines; Replay rebuilds the array.
func ExampleTracer() {
	d, _ := emu.New(emu.Config{Kind: emu.NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
	var trace bytes.Buffer
	tr := emu.NewTracer(&trace)
	d.SetHook(tr)
	_ = d.Program(16, []byte{0xab})
	_ = d.Erase(4096, 4096)
	_ = tr.Flush()
	os.Stdout.Write(trace.Bytes())

	e, _ := emu.New(d.Config())
	_ = emu.Replay(e, &trace)
	fmt.Println(e.StateHash() == d.StateHash())
	// Output:
	// {"seq":0,"op":"program","off":16,"len":1,"page":-1,"start_ns":0,"dur_ns":0,"errno":0,"applied":true,"data":"ab"}
	// {"seq":1,"op":"erase","off":4096,"len":4096,"page":-1,"start_ns":0,"dur_ns":0,"errno":0,"applied":true}
	// true
}

// Spare-area overlays and the overlay read-back a fault model uses: a bit
// error in the spare area shows in ReadOOB (the ECC model covers data
// only), PeekFlipsOOB says where it is, and PeekOOB still sees the stored
// bits.
func ExampleDevice_XorFlipsOOB() {
	d, _ := emu.NewChip("mt29f1g08")
	_ = d.ProgramPage(1, nil, []byte{0xff, 0x12, 0x34})
	_ = d.XorFlipsOOB(1, []byte{0, 0x01})
	got, flips, stored := make([]byte, 3), make([]byte, 3), make([]byte, 3)
	_ = d.ReadOOB(1, got)
	_ = d.PeekFlipsOOB(1, flips)
	_ = d.PeekOOB(1, stored)
	fmt.Printf("read % x, flips % x, stored % x\n", got, flips, stored)
	_ = d.Erase(0, 64*2048)
	_ = d.PeekFlipsOOB(1, flips)
	fmt.Printf("after erase: flips % x\n", flips)
	// Output:
	// read ff 13 34, flips 00 01 00, stored ff 12 34
	// after erase: flips 00 00 00
}

// Read counting is off unless a fault model needs it (read disturb): then
// ReadsSinceErase counts the reads of each unit since its erase.
func ExampleDevice_TrackReads() {
	d, _ := emu.NewChip("w25q128jv")
	p := make([]byte, 16)
	_ = d.Read(0, p)
	fmt.Println(d.ReadsSinceErase(0))
	d.TrackReads(true)
	_ = d.Read(0, p)
	_ = d.Read(8, p)
	fmt.Println(d.ReadsSinceErase(0))
	_ = d.Erase(0, 4096)
	fmt.Println(d.ReadsSinceErase(0))
	// Output:
	// 0
	// 2
	// 0
}

// Dump is what the cells store; DumpAsRead is what a read returns, with the
// bit errors a fault model injected.
func ExampleDevice_DumpAsRead() {
	d, _ := emu.New(emu.Config{Kind: emu.NOR, Size: 4096, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
	_ = d.XorFlips(0, []byte{0x01})
	asRead, _, _ := d.DumpAsRead()
	fmt.Printf("stored %#x, read %#x\n", d.Dump()[0], asRead[0])
	// Output: stored 0xff, read 0xfe
}

// A block whose OOB mark byte software zeroed is still erasable; only
// factory-bad and grown-bad blocks are refused.
func ExampleDevice_BadBlocks() {
	d, _ := emu.New(emu.Config{Kind: emu.NAND, PageSize: 512, OOBSize: 16, PagesPerBlock: 8, Blocks: 4,
		EraseValue: 0xff, BadBlocks: []int{3}})
	_ = d.WriteOOB(0, []byte{0x00}) // a software bad-block mark on block 0
	fmt.Println(d.Erase(0, 4096))
	_ = d.MarkBad(1) // a wear fault: grown bad
	fmt.Println(d.BadBlocks())
	// Output:
	// <nil>
	// [{1 grown} {3 factory}]
}
