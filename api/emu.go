package api

import (
	"fmt"

	"github.com/flashemu/flashemu/emu"
)

// FromEmu returns the Zephyr flash driver view of an emulated device:
//   - Read, Write and Erase are emu's Read, Program and Erase, whose errors
//     already carry Zephyr errnos (EINVAL for range and alignment, EIO for a
//     refused program, EACCES for protection, ...);
//   - the page layout is emu's erase units (NAND: blocks);
//   - the write block is emu's write block (NAND: the page);
//   - NoExplicitErase follows the device configuration.
//
// The result also implements EraseCapability, Protector, Identifier and
// Readier; EmuOf gets the emu device back.
func FromEmu(d *emu.Device) Device {
	if d == nil {
		return nil
	}
	return &emuDevice{d: d}
}

// EmuOf returns the emu device behind a Device made by FromEmu.
func EmuOf(dev Device) (*emu.Device, bool) {
	e, ok := dev.(*emuDevice)
	if !ok {
		return nil, false
	}
	return e.d, true
}

type emuDevice struct {
	d *emu.Device
}

func (e *emuDevice) Read(off int64, p []byte) error  { return e.d.Read(off, p) }
func (e *emuDevice) Write(off int64, p []byte) error { return e.d.Program(off, p) }
func (e *emuDevice) Erase(off, size int64) error     { return e.d.Erase(off, size) }
func (e *emuDevice) Size() int64                     { return e.d.Size() }
func (e *emuDevice) PageCount() int                  { return e.d.UnitCount() }
func (e *emuDevice) HasErase() bool                  { return true }
func (e *emuDevice) Ready() bool                     { return true }
func (e *emuDevice) Protect(off, n int64)            { e.d.Protect(off, n) }
func (e *emuDevice) Unprotect(off, n int64)          { e.d.Unprotect(off, n) }

func (e *emuDevice) Parameters() Parameters {
	return Parameters{
		WriteBlockSize:  e.d.WriteBlock(),
		EraseValue:      e.d.EraseValue(),
		NoExplicitErase: e.d.NoExplicitErase(),
	}
}

func (e *emuDevice) PageByOffset(off int64) (PageInfo, error) {
	i, start, size, ok := e.d.UnitAt(off)
	if !ok {
		return PageInfo{}, fmt.Errorf("%w: no page at offset %d", ErrInvalid, off)
	}
	return PageInfo{Index: i, Start: start, Size: size}, nil
}

func (e *emuDevice) PageByIndex(i int) (PageInfo, error) {
	if i < 0 || i >= e.d.UnitCount() {
		return PageInfo{}, fmt.Errorf("%w: no page %d", ErrInvalid, i)
	}
	start, size := e.d.Unit(i)
	return PageInfo{Index: i, Start: start, Size: size}, nil
}

func (e *emuDevice) Identity() Identity {
	c := e.d.Config()
	id := Identity{
		ManufacturerID: c.ManufacturerID,
		DeviceID:       c.DeviceID,
		Width:          c.BusWidth,
		NAND:           e.d.Kind() == emu.NAND,
	}
	if id.Width <= 0 {
		id.Width = 1
	}
	if id.NAND {
		id.PageSize = e.d.PageSize() + e.d.OOBSize()
	}
	return id
}
