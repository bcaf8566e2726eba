package lua

import (
	"errors"
	"fmt"

	"github.com/flashemu/flashemu/fcb"
	glua "github.com/yuin/gopher-lua"
)

// fcb: Zephyr's flash circular buffer over an area.

// FCB is the Go value behind a Lua fcb userdata ("flashemu.fcb").
type FCB struct {
	F    *fcb.FCB
	Area *Area
	// buf is reused for payloads by walk, entries and scan.
	buf []byte
}

func (f *FCB) luaType() string { return fcbType.name }
func (f *FCB) String() string {
	st := f.F.State()
	return fmt.Sprintf("fcb on %s (oldest %d, active %d, %d free)", f.Area.Area, st.Oldest, st.Active, st.FreeSectors)
}

var fcbType = &udType{name: "flashemu.fcb", short: "fcb_log",
	doc: "a mounted flash circular buffer (fcb.new); methods below"}

func init() {
	registerModule(&moduleDef{
		name: "fcb",
		doc:  "Zephyr's flash circular buffer (byte-compatible): fcb.new(area, opts)",
		funcs: []fnDef{
			{"new", "fcb.new(area, {magic=, version=, scratch=0, crc=true, repair=false}) --> log | nil, msg, errno", "fcb_init: mount (or format) an FCB in an area", fcbNew},
		},
		setup: func(s *State, mod *glua.LTable) {
			mod.RawSetString("MAX_LEN", glua.LNumber(fcb.MaxLen))
		},
	})
	registerType(fcbType)
	fcbType.methods = []fnDef{
		{"append", "log:append(len) --> loc | nil, msg, errno", "fcb_append: reserve an entry; write the payload at loc.area_off, then finish", fcbAppend},
		{"finish", "log:finish(loc) --> true | nil, msg, errno", "fcb_append_finish: write the end marker (CRC-8)", fcbFinish},
		{"push", "log:push(data) --> loc | nil, msg, errno", "append, write and finish one entry", fcbPush},
		{"walk", "log:walk(fn [, sector]) --> true | nil, msg, errno", "fcb_walk: fn(e) for every entry (e.data, e.len, e.sector, e.area_off); return true to stop", fcbWalk},
		{"entries", "for e in log:entries() do ... end", "iterate over the entries, oldest first", fcbEntries},
		{"scan", "log:scan(fn [, sector]) --> true | nil, msg, errno", "allocation-light walk: fn(data, sector, elem_off, area_off) for every entry, oldest first; return true to stop", fcbScan},
		{"dropped", "log:dropped() --> {{index=, offset=, skipped=, non_erased_bytes=, reason=}, ...}", "what repair mode gave up (torn sector headers, torn entry tails); empty without repair", fcbDropped},
		{"getnext", "log:getnext([loc]) --> loc | nil, msg, errno", "fcb_getnext: the entry after loc (the first without loc)", fcbGetNext},
		{"read", "log:read(loc) --> data | nil, msg, errno", "the payload of the entry at loc", fcbRead},
		{"rotate", "log:rotate() --> true | nil, msg, errno", "fcb_rotate: erase the oldest sector", fcbRotate},
		{"append_to_scratch", "log:append_to_scratch() --> true | nil, msg, errno", "fcb_append_to_scratch", fcbAppendToScratch},
		{"free_sectors", "log:free_sectors() --> n", "fcb_free_sector_cnt", fcbFreeSectors},
		{"is_empty", "log:is_empty() --> bool", "fcb_is_empty", fcbIsEmpty},
		{"last_n", "log:last_n(n) --> loc | nil, msg, errno", "fcb_offset_last_n: the entry n from the end", fcbLastN},
		{"clear", "log:clear() --> true | nil, msg, errno", "fcb_clear: rotate until empty", fcbClear},
		{"state", "log:state() --> table", "oldest_sector, active_sector, active_elem_off, active_id, free_sector_cnt, is_empty, align, erase_value", fcbState},
	}
}

func checkFCB(L *glua.LState, fn string) (*FCB, args) {
	a := methodOf(L, fn)
	return checkUD[FCB](a, 1, fcbType), a
}

func fcbNew(s *State, L *glua.LState) int {
	a := argsOf(L, "new")
	ar := checkUD[Area](a, 1, areaType)
	f := a.opts(2)
	magic := f.int("magic", 0)
	if magic < 0 || magic > 0xffffffff {
		f.fail("magic", fmt.Sprintf("%d out of range [0, 0xffffffff]", magic))
	}
	version := f.int("version", 0)
	if version < 0 || version > 255 {
		f.fail("version", fmt.Sprintf("%d out of range [0, 255]", version))
	}
	scratch := f.int("scratch", 0)
	if scratch < 0 || scratch > 1<<20 {
		f.fail("scratch", fmt.Sprintf("%d out of range", scratch))
	}
	opt := fcb.Options{
		Magic:        uint32(magic),
		Version:      uint8(version),
		ScratchCount: int(scratch),
		NoCRC:        !f.boolean("crc", true),
		Repair:       f.boolean("repair", false),
	}
	f.done()
	log, err := fcb.New(ar.Area, opt)
	if err != nil {
		return s.pushFailure(L, err)
	}
	s.pushUserData(L, fcbType, &FCB{F: log, Area: ar})
	return 1
}

// locTable renders an fcb location.
func locTable(L *glua.LState, loc fcb.Loc) *glua.LTable {
	t := L.CreateTable(0, 6)
	fillLoc(L, t, loc)
	return t
}

// checkLoc reads a location table argument.
func checkLoc(a args, n int, f *FCB) fcb.Loc {
	t := a.table(n)
	get := func(k string) int64 {
		v, ok := t.RawGetString(k).(glua.LNumber)
		if !ok {
			a.argError(n, fmt.Sprintf("field '%s': integer expected, got %s", k, typeNameOf(t.RawGetString(k))))
		}
		i, msg := toInt(v)
		if msg != "" {
			a.argError(n, fmt.Sprintf("field '%s': %s", k, msg))
		}
		return i
	}
	loc := fcb.Loc{Sector: int(get("sector")), ElemOff: int(get("elem_off"))}
	if v := t.RawGetString("data_off"); v != glua.LNil {
		loc.DataOff = int(get("data_off"))
	}
	if v := t.RawGetString("len"); v != glua.LNil {
		loc.Len = int(get("len"))
	}
	secs := f.F.Sectors()
	if loc.Sector >= 0 && loc.Sector < len(secs) {
		loc.SectorOff = secs[loc.Sector].Off
	} else if loc.Sector != fcb.NoSector {
		a.argError(n, fmt.Sprintf("field 'sector': %d out of range [0, %d)", loc.Sector, len(secs)))
	}
	return loc
}

func fcbAppend(s *State, L *glua.LState) int {
	f, a := checkFCB(L, "append")
	n := a.int(2)
	if n < 0 || n > fcb.MaxLen {
		return s.pushFailure(L, fmt.Errorf("%w: length %d", fcb.ErrInvalid, n))
	}
	loc, err := f.F.Append(int(n))
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(locTable(L, loc))
	return 1
}

func fcbFinish(s *State, L *glua.LState) int {
	f, a := checkFCB(L, "finish")
	loc := checkLoc(a, 2, f)
	if err := f.F.AppendFinish(loc); err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LTrue)
	return 1
}

func fcbPush(s *State, L *glua.LState) int {
	f, a := checkFCB(L, "push")
	data := a.str(2)
	loc, err := f.F.Push([]byte(data))
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(locTable(L, loc))
	return 1
}

// entryTable is what walk and entries yield: a location with its data
// (see locTable).
func entryTable(L *glua.LState, loc fcb.Loc, data []byte) *glua.LTable {
	t := L.CreateTable(0, 7)
	fillLoc(L, t, loc)
	t.RawSetH(keyData, glua.LString(data))
	return t
}

// The field names of location tables, boxed once: a check walking a log
// builds one table per entry, and a pre-boxed key costs no allocation.
var (
	keySector    glua.LValue = glua.LString("sector")
	keySectorOff glua.LValue = glua.LString("sector_off")
	keyElemOff   glua.LValue = glua.LString("elem_off")
	keyDataOff   glua.LValue = glua.LString("data_off")
	keyAreaOff   glua.LValue = glua.LString("area_off")
	keyLen       glua.LValue = glua.LString("len")
	keyData      glua.LValue = glua.LString("data")
)

// fillLoc sets a location's fields in t, numbers boxed through the state's
// bulk allocator.
func fillLoc(L *glua.LState, t *glua.LTable, loc fcb.Loc) {
	t.RawSetH(keySector, L.NumberValue(glua.LNumber(loc.Sector)))
	t.RawSetH(keySectorOff, L.NumberValue(glua.LNumber(loc.SectorOff)))
	t.RawSetH(keyElemOff, L.NumberValue(glua.LNumber(loc.ElemOff)))
	t.RawSetH(keyDataOff, L.NumberValue(glua.LNumber(loc.DataOff)))
	t.RawSetH(keyAreaOff, L.NumberValue(glua.LNumber(loc.AreaOff())))
	t.RawSetH(keyLen, L.NumberValue(glua.LNumber(loc.Len)))
}

// payload reads the entry at loc into f's reusable buffer; the result is
// valid until the next call.
func (f *FCB) payload(loc fcb.Loc) ([]byte, error) {
	if cap(f.buf) < loc.Len {
		f.buf = make([]byte, loc.Len)
	}
	n, err := f.F.Read(loc, f.buf[:loc.Len])
	return f.buf[:n], err
}

// errStopWalk stops a walk whose Lua callback returned true or raised.
var errStopWalk = errors.New("stop")

func fcbWalk(s *State, L *glua.LState) int {
	return walkLua(s, L, "walk", func(loc fcb.Loc, data []byte) int {
		L.Push(entryTable(L, loc, data))
		return 1
	})
}

// walkLua runs fcb_walk for log:walk and log:scan: fn (argument 2) is called
// with the values push leaves on the stack for each entry, optionally only
// in one sector (argument 3); fn returning true stops the walk and an error
// it raises propagates with its own position.
func walkLua(s *State, L *glua.LState, name string, push func(loc fcb.Loc, data []byte) int) int {
	f, a := checkFCB(L, name)
	fn := a.function(2)
	sector := int(a.optInt(3, fcb.NoSector))
	if sector != fcb.NoSector && (sector < 0 || sector >= len(f.F.Sectors())) {
		a.argError(3, fmt.Sprintf("sector %d out of range [0, %d)", sector, len(f.F.Sectors())))
	}
	var raised glua.LValue
	err := f.F.WalkSector(sector, func(loc fcb.Loc) error {
		data, err := f.payload(loc)
		if err != nil {
			return err
		}
		L.Push(fn)
		if perr := L.PCall(push(loc, data), 1, nil); perr != nil {
			raised = raisedValue(perr)
			return errStopWalk
		}
		stop := glua.LVAsBool(L.Get(-1))
		L.Pop(1)
		if stop {
			return fcb.SkipAll
		}
		return nil
	})
	if raised != nil {
		L.Error(raised, 0)
	}
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LTrue)
	return 1
}

// raisedValue is the Lua value behind a PCall error.
func raisedValue(err error) glua.LValue {
	var api *glua.ApiError
	if errors.As(err, &api) {
		return api.Object
	}
	return glua.LString(err.Error())
}

func fcbEntries(s *State, L *glua.LState) int {
	f, _ := checkFCB(L, "entries")
	loc := fcb.Loc{Sector: fcb.NoSector}
	done := false
	L.Push(L.NewFunction(func(L *glua.LState) int {
		if done {
			return 0
		}
		next, err := f.F.GetNext(loc)
		if errors.Is(err, fcb.ErrNoEntry) {
			done = true
			return 0
		}
		if err != nil {
			done = true
			if errors.Is(err, PowerLossErr) {
				s.raisePowerLoss(L, err)
			}
			L.RaiseError("%v", err)
		}
		data, err := f.payload(next)
		if err != nil {
			done = true
			if errors.Is(err, PowerLossErr) {
				s.raisePowerLoss(L, err)
			}
			L.RaiseError("%v", err)
		}
		loc = next
		L.Push(entryTable(L, next, data))
		return 1
	}))
	return 1
}

func fcbGetNext(s *State, L *glua.LState) int {
	f, a := checkFCB(L, "getnext")
	loc := fcb.Loc{Sector: fcb.NoSector}
	if a.present(2) {
		loc = checkLoc(a, 2, f)
	}
	next, err := f.F.GetNext(loc)
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(locTable(L, next))
	return 1
}

func fcbRead(s *State, L *glua.LState) int {
	f, a := checkFCB(L, "read")
	loc := checkLoc(a, 2, f)
	data, err := f.F.ReadData(loc)
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LString(data))
	return 1
}

func fcbSimple(name string, op func(*fcb.FCB) error) func(*State, *glua.LState) int {
	return func(s *State, L *glua.LState) int {
		f, _ := checkFCB(L, name)
		if err := op(f.F); err != nil {
			return s.pushFailure(L, err)
		}
		L.Push(glua.LTrue)
		return 1
	}
}

var (
	fcbRotate          = fcbSimple("rotate", (*fcb.FCB).Rotate)
	fcbAppendToScratch = fcbSimple("append_to_scratch", (*fcb.FCB).AppendToScratch)
	fcbClear           = fcbSimple("clear", (*fcb.FCB).Clear)
)

func fcbFreeSectors(s *State, L *glua.LState) int {
	f, _ := checkFCB(L, "free_sectors")
	L.Push(glua.LNumber(f.F.FreeSectorCount()))
	return 1
}

func fcbIsEmpty(s *State, L *glua.LState) int {
	f, _ := checkFCB(L, "is_empty")
	L.Push(glua.LBool(f.F.IsEmpty()))
	return 1
}

func fcbLastN(s *State, L *glua.LState) int {
	f, a := checkFCB(L, "last_n")
	n := a.int(2)
	if n < 0 || n > 255 {
		return s.pushFailure(L, fmt.Errorf("%w: n = %d (a u8 in Zephyr)", fcb.ErrInvalid, n))
	}
	loc, err := f.F.OffsetLastN(int(n))
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(locTable(L, loc))
	return 1
}

func fcbState(s *State, L *glua.LState) int {
	f, _ := checkFCB(L, "state")
	st := f.F.State()
	t := L.CreateTable(0, 8)
	t.RawSetString("oldest_sector", glua.LNumber(st.Oldest))
	t.RawSetString("active_sector", glua.LNumber(st.Active))
	t.RawSetString("active_elem_off", glua.LNumber(st.ActiveElemOff))
	t.RawSetString("active_id", glua.LNumber(st.ActiveID))
	t.RawSetString("free_sector_cnt", glua.LNumber(st.FreeSectors))
	t.RawSetString("is_empty", glua.LBool(st.Empty))
	t.RawSetString("align", glua.LNumber(st.Align))
	t.RawSetString("erase_value", glua.LNumber(st.EraseValue))
	L.Push(t)
	return 1
}

// fcbScan is log:scan(fn [, sector]): fcb_walk calling fn(data, sector,
// elem_off, area_off) with positional values instead of an entry table
// (no table per entry: one payload string and three numbers).
func fcbScan(s *State, L *glua.LState) int {
	return walkLua(s, L, "scan", func(loc fcb.Loc, data []byte) int {
		L.Push(glua.LString(data))
		L.Push(L.NumberValue(glua.LNumber(loc.Sector)))
		L.Push(L.NumberValue(glua.LNumber(loc.ElemOff)))
		L.Push(L.NumberValue(glua.LNumber(loc.AreaOff())))
		return 4
	})
}

// droppedTable renders what FCB repair mode gave up.
func droppedTable(L *glua.LState, ds []fcb.DroppedSector) *glua.LTable {
	t := L.CreateTable(len(ds), 0)
	for _, d := range ds {
		e := L.CreateTable(0, 5)
		e.RawSetString("index", glua.LNumber(d.Index))
		e.RawSetString("offset", glua.LNumber(d.Offset))
		e.RawSetString("skipped", glua.LNumber(d.Skipped))
		e.RawSetString("non_erased_bytes", glua.LNumber(d.NonErasedBytes))
		e.RawSetString("reason", glua.LString(d.Reason))
		t.Append(e)
	}
	return t
}

func fcbDropped(s *State, L *glua.LState) int {
	f, _ := checkFCB(L, "dropped")
	L.Push(droppedTable(L, f.F.Dropped()))
	return 1
}
