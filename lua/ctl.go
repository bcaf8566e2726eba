package lua

import (
	"errors"
	"fmt"
	"io"

	"github.com/flashemu/flashemu/api"
	glua "github.com/yuin/gopher-lua"
)

// Plan 9 flash(3) partition control (dev:ctl, dev:ctlinfo, dev:part,
// area:ctl, area:ctlinfo) and the devicetree flash map (flash.map).
//
// A device's control is created by its first dev:ctl, dev:part or
// area:ctl call. As opening a Plan 9 flash device does, that turns boot
// protection on: erase unit 0 refuses writes and erases (EACCES), through
// partitions and directly, until ctl("protectboot off"). dev:ctlinfo() on
// a device without control reads the information without that side effect.

// control returns the device's partition control, creating it (and so
// turning boot protection on) on first use.
func (d *Device) control() (*api.Ctl, error) {
	if d.ctl == nil {
		c, err := api.NewCtl(d.API())
		if err != nil {
			return nil, err
		}
		d.ctl = c
	}
	return d.ctl, nil
}

// infoView is the device without write protection, so that a Ctl made only
// to read the control information changes nothing.
type infoView struct {
	api.Device
	id api.Identifier
}

func (v infoView) Identity() api.Identity { return v.id.Identity() }

func devCtl(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "ctl")
	cmd := a.str(2)
	c, err := d.control()
	if err == nil {
		err = c.Exec(cmd)
	}
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LTrue)
	return 1
}

func devCtlInfo(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "ctlinfo")
	c := d.ctl
	if c == nil {
		var dev api.Device = d.API()
		if id, ok := dev.(api.Identifier); ok {
			dev = infoView{Device: dev, id: id}
		} else {
			dev = infoView{Device: dev}
		}
		var err error
		c, err = api.NewCtl(dev)
		if err != nil {
			a.raise("ctlinfo: %v", err)
		}
	}
	L.Push(glua.LString(c.Info()))
	return 1
}

func devPart(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "part")
	name := a.str(2)
	c, err := d.control()
	if err != nil {
		return s.pushFailure(L, err)
	}
	p, err := c.Part(name)
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(s.newUserData(areaType, &Area{Area: p.Area(), Dev: d, Part: p}))
	return 1
}

// partOf returns the partition behind an area, nil, or pushes a failure.
func partOf(ar *Area) (*api.Partition, error) {
	if ar.Part == nil {
		return nil, fmt.Errorf("%w: area %s is not a partition (use dev:part)", api.ErrNoPart, ar.Area)
	}
	return ar.Part, nil
}

func areaCtl(s *State, L *glua.LState) int {
	ar, a := checkArea(L, "ctl")
	cmd := a.str(2)
	p, err := partOf(ar)
	if err == nil {
		err = p.Exec(cmd)
	}
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LTrue)
	return 1
}

func areaCtlInfo(s *State, L *glua.LState) int {
	ar, _ := checkArea(L, "ctlinfo")
	p, err := partOf(ar)
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LString(p.Info()))
	return 1
}

func flashMap(s *State, L *glua.LState) int {
	a := argsOf(L, "map")
	d := checkUD[Device](a, 1, deviceType)
	src := a.str(2)
	m, err := api.ParseDTS(d.API(), src)
	if err != nil {
		return s.pushFailure(L, err)
	}
	t := L.NewTable()
	for _, ar := range m.Areas() {
		t.RawSetString(ar.Label(), s.NewArea(ar, d))
	}
	L.Push(t)
	return 1
}

// areaPread is part:pread(off, len): Partition.ReadAt, byte-granular.
func areaPread(s *State, L *glua.LState) int {
	ar, a := checkArea(L, "pread")
	off := a.int(2)
	n := a.nonNeg(3)
	p, err := partOf(ar)
	if err != nil {
		return s.pushFailure(L, err)
	}
	if n > ar.Area.Size() {
		n = ar.Area.Size()
	}
	if err := s.checkAlloc(n); err != nil {
		return s.pushFailure(L, err)
	}
	buf := make([]byte, n)
	got, err := p.ReadAt(buf, off)
	if err != nil && !errors.Is(err, io.EOF) {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LString(bytesToString(buf[:got])))
	return 1
}

// areaPwrite is part:pwrite(off, data): Partition.WriteAt, byte-granular
// (read-modify-write of the write blocks it touches). It returns the bytes
// written: fewer than given when the write reaches the partition's end.
func areaPwrite(s *State, L *glua.LState) int {
	ar, a := checkArea(L, "pwrite")
	off := a.int(2)
	data := a.str(3)
	p, err := partOf(ar)
	if err != nil {
		return s.pushFailure(L, err)
	}
	n, err := p.WriteAt([]byte(data), off)
	if err != nil && !(errors.Is(err, io.EOF) && n > 0) {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LNumber(n))
	return 1
}
