package lua

import (
	"fmt"

	"github.com/flashemu/flashemu/api"
	glua "github.com/yuin/gopher-lua"
)

// Areas: the Zephyr flash_area userdata (dev:area, flash.map, dev:part).

// Area is the Go value behind a Lua area userdata ("flashemu.area").
type Area struct {
	Area *api.Area
	// Dev is the device value the area lives on (for power-loss checks
	// and for bindings that want the whole device).
	Dev *Device
	// Part is the partition behind an area made by dev:part, else nil.
	Part *api.Partition
	wbuf []byte
}

func (a *Area) luaType() string { return areaType.name }
func (a *Area) String() string  { return "area " + a.Area.String() }

// AreaOf returns the area behind a Lua value made by dev:area or flash.map.
func AreaOf(v glua.LValue) (*Area, bool) {
	if ud, ok := v.(*glua.LUserData); ok {
		a, ok := ud.Value.(*Area)
		return a, ok
	}
	return nil, false
}

var areaType = &udType{name: "flashemu.area", short: "area",
	doc: "a Zephyr flash_area (dev:area{...}, flash.map); fields label, offset, size"}

func init() {
	registerType(areaType)
	areaType.methods = []fnDef{
		{"read", "area:read(off, len) --> data | nil, msg, errno", "flash_area_read", areaRead},
		{"write", "area:write(off, data) --> true | nil, msg, errno", "flash_area_write", areaWrite},
		{"erase", "area:erase(off, len) --> true | nil, msg, errno", "flash_area_erase", areaErase},
		{"flatten", "area:flatten(off, len) --> true | nil, msg, errno", "flash_area_flatten: erase, or fill with the erase value on RAM-like devices", areaFlatten},
		{"align", "area:align() --> n", "flash_area_align: the write block size", areaAlign},
		{"erased_val", "area:erased_val() --> n", "flash_area_erased_val", areaErasedVal},
		{"sectors", "area:sectors() --> {{off=, size=}, ...}", "flash_area_get_sectors (offsets relative to the area)", areaSectors},
		{"device", "area:device() --> dev", "the device the area lives on", areaDevice},
		{"ctl", "area:ctl(cmd) --> true | nil, msg, errno", "partition control on this partition (areas from dev:part)", areaCtl},
		{"ctlinfo", "area:ctlinfo() --> text | nil, msg, errno", "the partctl read-out of this partition", areaCtlInfo},
		{"pread", "part:pread(off, len) --> data | nil, msg, errno", "dev:part areas: read like Plan 9's part data file, at any offset and length (cut short at the end)", areaPread},
		{"pwrite", "part:pwrite(off, data) --> n | nil, msg, errno", "dev:part areas: write like Plan 9's part data file: any offset and length; the write blocks around it are read and re-programmed with only these bytes changed (a 0->1 change, a protected unit or a refused re-program fails before anything is written)", areaPwrite},
	}
	areaType.field = func(s *State, L *glua.LState, v any, key string) glua.LValue {
		a := v.(*Area)
		switch key {
		case "offset":
			return glua.LNumber(a.Area.Offset())
		case "size":
			return glua.LNumber(a.Area.Size())
		case "label":
			return glua.LString(a.Area.Label())
		case "id":
			return glua.LNumber(a.Area.ID())
		}
		return glua.LNil
	}
}

// NewArea wraps an api.Area on device d as a Lua value.
func (s *State) NewArea(ar *api.Area, d *Device) glua.LValue {
	return s.newUserData(areaType, &Area{Area: ar, Dev: d})
}

func devArea(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "area")
	f := a.opts(2)
	label := f.str("label", "")
	off := f.int("offset", 0)
	size := f.int("size", d.Dev.Size()-off)
	f.done()
	ar, err := api.NewArea(d.API(), label, off, size)
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(s.NewArea(ar, d))
	return 1
}

func checkArea(L *glua.LState, fn string) (*Area, args) {
	a := methodOf(L, fn)
	return checkUD[Area](a, 1, areaType), a
}

func areaRead(s *State, L *glua.LState) int {
	ar, a := checkArea(L, "read")
	off := a.int(2)
	n := a.nonNeg(3)
	if n > ar.Area.Size() {
		return s.pushFailure(L, fmt.Errorf("%w: read of %d bytes from a %d-byte area", api.ErrOutOfBounds, n, ar.Area.Size()))
	}
	if err := s.checkAlloc(n); err != nil {
		return s.pushFailure(L, err)
	}
	buf := make([]byte, n)
	if err := ar.Area.Read(off, buf); err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LString(bytesToString(buf)))
	return 1
}

func areaWrite(s *State, L *glua.LState) int {
	ar, a := checkArea(L, "write")
	off := a.int(2)
	data := a.str(3)
	if cap(ar.wbuf) < len(data) {
		ar.wbuf = make([]byte, len(data))
	}
	buf := ar.wbuf[:len(data)]
	copy(buf, data)
	if err := ar.Area.Write(off, buf); err != nil {
		return s.pushFailure(L, err)
	}
	if cap(ar.wbuf) > 1<<20 {
		ar.wbuf = nil
	}
	L.Push(glua.LTrue)
	return 1
}

func areaErase(s *State, L *glua.LState) int {
	ar, a := checkArea(L, "erase")
	off := a.int(2)
	n := a.int(3)
	if err := ar.Area.Erase(off, n); err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LTrue)
	return 1
}

func areaFlatten(s *State, L *glua.LState) int {
	ar, a := checkArea(L, "flatten")
	off := a.int(2)
	n := a.int(3)
	if err := ar.Area.Flatten(off, n); err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LTrue)
	return 1
}

func areaAlign(s *State, L *glua.LState) int {
	ar, _ := checkArea(L, "align")
	L.Push(glua.LNumber(ar.Area.Align()))
	return 1
}

func areaErasedVal(s *State, L *glua.LState) int {
	ar, _ := checkArea(L, "erased_val")
	L.Push(glua.LNumber(ar.Area.ErasedVal()))
	return 1
}

func areaSectors(s *State, L *glua.LState) int {
	ar, _ := checkArea(L, "sectors")
	secs, err := ar.Area.Sectors()
	if err != nil {
		return s.pushFailure(L, err)
	}
	t := L.CreateTable(len(secs), 0)
	for _, sec := range secs {
		st := L.CreateTable(0, 2)
		st.RawSetString("off", glua.LNumber(sec.Off))
		st.RawSetString("size", glua.LNumber(sec.Size))
		t.Append(st)
	}
	L.Push(t)
	return 1
}

func areaDevice(s *State, L *glua.LState) int {
	ar, _ := checkArea(L, "device")
	if ar.Dev == nil {
		L.Push(glua.LNil)
		return 1
	}
	L.Push(s.newUserData(deviceType, ar.Dev))
	return 1
}
