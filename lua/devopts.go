package lua

import (
	"fmt"
	"strings"

	"github.com/flashemu/flashemu/devspec"
	"github.com/flashemu/flashemu/emu"
	glua "github.com/yuin/gopher-lua"
)

// tableSource is the devspec.Source of a Lua options table
// (flash.nor{...}, flash.load's geometry): devspec.Build reads it with the
// names a command-line SPEC uses; errors raise "bad argument #n to 'fn'
// (field 'x': ...)".
type tableSource struct{ *fields }

var _ devspec.Source = tableSource{}

func (t tableSource) Has(name string) bool              { return t.fields.has(name) }
func (t tableSource) Int(name string, def int64) int64  { return t.fields.int(name, def) }
func (t tableSource) Size(name string, def int64) int64 { return t.fields.size(name, def) }
func (t tableSource) Str(name, def string) string       { return t.fields.str(name, def) }
func (t tableSource) Bool(name string, def bool) bool   { return t.fields.boolean(name, def) }
func (t tableSource) Fail(name, msg string)             { t.fields.fail(name, msg) }
func (t tableSource) Done()                             { t.fields.done() }

func (t tableSource) Runs(name string) []emu.Run {
	tab := t.fields.table(name)
	if tab == nil {
		return nil
	}
	var out []emu.Run
	for i := 1; i <= tab.Len(); i++ {
		r, ok := tab.RawGetInt(i).(*glua.LTable)
		if !ok {
			t.fail(name, fmt.Sprintf("entry %d: table {count=, size=} expected", i))
		}
		cnt, ok1 := r.RawGetString("count").(glua.LNumber)
		sz, ok2 := r.RawGetString("size").(glua.LNumber)
		if !ok1 || !ok2 {
			t.fail(name, fmt.Sprintf("entry %d: count and size must be integers", i))
		}
		ci, m1 := toInt(cnt)
		si, m2 := toInt(sz)
		if m1 != "" || m2 != "" || ci <= 0 || si <= 0 || ci > emu.MaxUnits || si > emu.MaxDeviceSize {
			t.fail(name, fmt.Sprintf("entry %d: count and size must be positive integers", i))
		}
		out = append(out, emu.Run{Count: int(ci), Size: int(si)})
	}
	if len(out) == 0 {
		t.fail(name, "empty list")
	}
	return out
}

func (t tableSource) Ints(name string) []int {
	tab := t.fields.table(name)
	if tab == nil {
		return nil
	}
	var out []int
	for i := 1; i <= tab.Len(); i++ {
		n, ok := tab.RawGetInt(i).(glua.LNumber)
		if !ok {
			t.fail(name, fmt.Sprintf("entry %d: integer expected", i))
		}
		v, msg := toInt(n)
		if msg != "" || v < 0 || v > emu.MaxUnits {
			t.fail(name, fmt.Sprintf("entry %d: %s", i, strings.TrimSpace(msg+" out of range")))
		}
		out = append(out, int(v))
	}
	return out
}

func (t tableSource) Timing(name string, base emu.Timing) emu.Timing {
	v := t.fields.get(name)
	if v == glua.LNil {
		return base
	}
	if b, ok := v.(glua.LBool); ok {
		if !b {
			return emu.Timing{}
		}
		return base
	}
	tab, ok := v.(*glua.LTable)
	if !ok {
		t.fail(name, "table or false expected, got "+typeNameOf(v))
	}
	f := &fields{a: t.fields.a, n: t.fields.n, t: tab, seen: map[string]bool{}}
	sub := tableSource{f}
	tm := base
	tm.ClockHz = sub.int("clock_hz", tm.ClockHz)
	tm.BusBits = int(sub.int("bus_bits", int64(tm.BusBits)))
	tm.OpOverheadNs = sub.int("op_overhead_ns", tm.OpOverheadNs)
	tm.ReadCmdBytes = int(sub.int("read_cmd_bytes", int64(tm.ReadCmdBytes)))
	tm.ProgramCmdBytes = int(sub.int("program_cmd_bytes", int64(tm.ProgramCmdBytes)))
	tm.EraseCmdBytes = int(sub.int("erase_cmd_bytes", int64(tm.EraseCmdBytes)))
	tm.ReadNs = sub.int("read_ns", tm.ReadNs)
	tm.ProgramPage = int(sub.int("program_page", int64(tm.ProgramPage)))
	tm.ProgramNs = sub.int("program_ns", tm.ProgramNs)
	tm.ProgramFirstNs = sub.int("program_first_ns", tm.ProgramFirstNs)
	tm.ProgramByteNs = sub.int("program_byte_ns", tm.ProgramByteNs)
	tm.ProgramScales = sub.boolean("program_scales", tm.ProgramScales)
	if sub.has("erase_ns") {
		tm.EraseNs = eraseTimes(sub, "erase_ns")
	}
	if sub.has("block_erase") {
		tm.BlockErase = eraseTimes(sub, "block_erase")
	}
	sub.done()
	return tm
}

func eraseTimes(t tableSource, name string) []emu.EraseTime {
	v := t.fields.get(name)
	if n, ok := v.(glua.LNumber); ok {
		// A single number: the time of one erase unit of any size.
		i, msg := toInt(n)
		if msg != "" || i < 0 {
			t.fail(name, "non-negative integer expected")
		}
		return []emu.EraseTime{{Size: 0, Ns: i}}
	}
	tab := t.fields.table(name)
	var out []emu.EraseTime
	for i := 1; tab != nil && i <= tab.Len(); i++ {
		r, ok := tab.RawGetInt(i).(*glua.LTable)
		if !ok {
			t.fail(name, fmt.Sprintf("entry %d: table {size=, ns=} expected", i))
		}
		sz, ok1 := r.RawGetString("size").(glua.LNumber)
		ns, ok2 := r.RawGetString("ns").(glua.LNumber)
		if !ok1 || !ok2 {
			t.fail(name, fmt.Sprintf("entry %d: size and ns must be integers", i))
		}
		si, smsg := toInt(sz)
		ni, nmsg := toInt(ns)
		switch {
		case smsg != "" || si < 0:
			t.fail(name, fmt.Sprintf("entry %d: size %v: non-negative integer expected", i, sz))
		case nmsg != "" || ni < 0:
			t.fail(name, fmt.Sprintf("entry %d: ns %v: non-negative integer expected", i, ns))
		}
		out = append(out, emu.EraseTime{Size: int(si), Ns: ni})
	}
	return out
}
