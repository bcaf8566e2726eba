package api_test

import (
	"crypto/sha256"
	"fmt"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
)

func exampleDevice() api.Device {
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 64 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xFF})
	if err != nil {
		panic(err)
	}
	return api.FromEmu(d)
}

func ExampleFromEmu() {
	dev := exampleDevice()
	fmt.Println(dev.Parameters(), dev.PageCount(), "pages")
	err := dev.Write(2, []byte{1, 2, 3, 4}) // not on a write block boundary
	fmt.Println(errno.Of(err), errno.NameOf(errno.Of(err)))
	// Output:
	// {4 255 false} 16 pages
	// -22 EINVAL
}

func ExampleParseDTS() {
	m, err := api.ParseDTS(exampleDevice(), `
	partitions {
		compatible = "fixed-partitions";
		#address-cells = <1>;
		#size-cells = <1>;
		boot_partition: partition@0 { label = "mcuboot"; reg = <0x0 DT_SIZE_K(32)>; };
		storage_partition: partition@8000 { label = "storage"; reg = <0x8000 0x8000>; };
	};`)
	if err != nil {
		panic(err)
	}
	a, _ := m.OpenLabel("storage_partition")
	fmt.Println(a.ID(), a)
	_, err = api.ParseDTS(exampleDevice(), "partitions { compatible = \"fixed-partitions\";\n p@0 { reg = <0 0x20000>; };\n};")
	fmt.Println(err)
	// Output:
	// 1 storage@0x8000+0x8000
	// api: devicetree: line 2: partition "p@0" [0x0, 0x20000) lies outside the device [0x0, 0x10000)
}

func ExampleCtl() {
	c, err := api.NewCtl(exampleDevice())
	if err != nil {
		panic(err)
	}
	if err := c.Exec("add boot 0 0x4000\nadd data 0x4000 end"); err != nil {
		panic(err)
	}
	data, _ := c.Part("data")
	fmt.Print(data.Info())
	_, _ = data.WriteAt([]byte("hi"), 3) // any offset: the write block is hidden
	buf := make([]byte, 6)
	_, _ = data.ReadAt(buf, 0)
	fmt.Printf("%q\n", buf)
	boot, _ := c.Part("boot")
	_, err = boot.WriteAt([]byte{0}, 0)
	fmt.Println(err)
	// Output:
	// 0x00 0x0000 1 nor
	// 0x00004000 0x00010000 0x00001000
	// "\xff\xff\xffhi\xff"
	// api: flash region protected: write at 0x0
}

func ExampleArea_CheckSHA256() {
	a, _ := api.DeviceArea(exampleDevice(), "image")
	img := []byte("a firmware image!")
	_ = a.Write(0, append(img, 0xFF, 0xFF, 0xFF)) // whole write blocks
	sum := sha256.Sum256(img)
	err := a.CheckSHA256(&api.IntegrityCheck{Match: sum[:], Clen: int64(len(img)), Rbuf: make([]byte, 8)})
	fmt.Println(err)
	sum[0]++
	err = a.CheckSHA256(&api.IntegrityCheck{Match: sum[:], Clen: int64(len(img)), Rbuf: make([]byte, 8)})
	fmt.Println(errno.NameOf(errno.Of(err)))
	// Output:
	// <nil>
	// EILSEQ
}

func ExampleFlatten() {
	d, _ := emu.New(emu.Config{Kind: emu.NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0x00, NoExplicitErase: true})
	dev := api.FromEmu(d)
	_ = api.Fill(dev, 0x5A, 0, 8192)
	_ = api.Flatten(dev, 0, 4096) // RAM-like: filled with the erase value, no erase
	b := make([]byte, 2)
	_ = dev.Read(4095, b)
	fmt.Printf("% x, erases: %d\n", b, d.Stats().Erases)
	// Output: 00 5a, erases: 0
}

// An *Area is a Device: code written for a device runs inside the area, with
// area offsets, and sees the device pages that start inside the area.
func ExampleArea_PageByOffset() {
	dev := exampleDevice() // 16 pages of 4 KiB
	var slot api.Device
	slot, _ = api.NewArea(dev, "slot1", 0x3000, 0x2800) // ends mid page 4
	p, _ := slot.PageByOffset(0x1800)
	fmt.Println(slot.Size(), slot.PageCount(), p)
	_ = api.Fill(slot, 0x00, 0, 8) // writes device bytes 0x3000..0x3007
	b := make([]byte, 2)
	_ = dev.Read(0x3006, b)
	fmt.Printf("% x\n", b)
	// Output:
	// 10240 3 {1 4096 4096}
	// 00 00
}
