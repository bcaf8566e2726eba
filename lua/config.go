package lua

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/flashemu/flashemu/emu"
	glua "github.com/yuin/gopher-lua"
)

// Device options are read from two sources with the same names: a Lua
// table (flash.nor{size = 1024*1024, sector = 4096}) and a command-line
// SPEC ("size=1M,sector=4K,wb=4"). optSource abstracts them.
type optSource interface {
	has(name string) bool
	int(name string, def int64) int64
	size(name string, def int64) int64
	str(name, def string) string
	boolean(name string, def bool) bool
	runs(name string) []emu.Run
	ints(name string) []int
	timing(name string, base emu.Timing) emu.Timing
	fail(name, msg string)
	done()
}

// Default timings for devices made without a chip preset: a typical SPI
// NOR (w25q128jv) and SLC NAND (mt29f1g08) part, so clock() means
// something. `timing = false` gives zero-cost operations.
func defaultTiming(kind emu.Kind) emu.Timing {
	name := "w25q128jv"
	if kind == emu.NAND {
		name = "mt29f1g08"
	}
	c, err := emu.Chip(name)
	if err != nil {
		return emu.Timing{}
	}
	return c.Timing
}

// buildConfig reads device options for a device of kind (0: take it from
// the chip, default NOR). It raises/records errors through src.
func buildConfig(kind emu.Kind, src optSource) emu.Config {
	var c emu.Config
	chip := src.str("chip", "")
	if chip != "" {
		cc, err := emu.Chip(chip)
		if err != nil {
			src.fail("chip", fmt.Sprintf("unknown chip %q (flash.chips() lists them)", chip))
		}
		if kind != 0 && cc.Kind != kind {
			src.fail("chip", fmt.Sprintf("%s is a %s chip", chip, cc.Kind))
		}
		c = cc
	} else {
		if kind == 0 {
			kind = emu.NOR
		}
		c.Kind = kind
		c.EraseValue = 0xff
		c.Timing = defaultTiming(kind)
		if kind == emu.NOR {
			c.Size, c.EraseUnit, c.WriteBlock = 1<<20, 4096, 1
		} else {
			c.PageSize, c.OOBSize, c.PagesPerBlock, c.Blocks = 2048, 64, 64, 1024
			c.NOP, c.ECCBits, c.ECCStep = 4, 4, 512
		}
	}
	c.Name = src.str("name", c.Name)
	if c.Kind == emu.NOR {
		if src.has("sectors") {
			c.Units = src.runs("sectors")
			c.Size = 0
			for _, r := range c.Units {
				c.Size += int64(r.Count) * int64(r.Size)
			}
		}
		if src.has("sector") {
			c.EraseUnit = int(src.size("sector", int64(c.EraseUnit)))
			c.Units = nil
		}
		c.Size = src.size("size", c.Size)
		c.WriteBlock = int(src.size("write_block", int64(c.WriteBlock)))
		c.NoExplicitErase = src.boolean("no_explicit_erase", c.NoExplicitErase)
		c.AlignedReads = src.boolean("aligned_reads", c.AlignedReads)
		c.ProtectBoot = src.boolean("protect_boot", c.ProtectBoot)
		c.ZeroOverwrite = src.boolean("zero_overwrite", c.ZeroOverwrite)
	} else {
		c.PageSize = int(src.size("page", int64(c.PageSize)))
		c.OOBSize = int(src.size("oob", int64(c.OOBSize)))
		c.PagesPerBlock = int(src.int("pages_per_block", int64(c.PagesPerBlock)))
		c.Blocks = int(src.int("blocks", int64(c.Blocks)))
		c.NOP = int(src.int("nop", int64(c.NOP)))
		c.ECCBits = int(src.int("ecc_bits", int64(c.ECCBits)))
		c.ECCStep = int(src.size("ecc_step", int64(c.ECCStep)))
		if src.has("bad_blocks") {
			c.BadBlocks = src.ints("bad_blocks")
		}
		c.WriteBlock = 0
	}
	ev := src.int("erase_value", int64(c.EraseValue))
	if ev < 0 || ev > 255 {
		src.fail("erase_value", fmt.Sprintf("%d out of range [0, 255]", ev))
	}
	c.EraseValue = byte(ev)
	c.MaxPrograms = int(src.int("max_programs", int64(c.MaxPrograms)))
	switch v := src.str("violations", ""); v {
	case "":
	case "strict":
		c.Violations = emu.ViolationsStrict
	case "count":
		c.Violations = emu.ViolationsCount
	default:
		src.fail("violations", fmt.Sprintf("%q is not \"strict\" or \"count\"", v))
	}
	seed := src.int("seed", int64(c.Seed))
	c.Seed = uint64(seed)
	c.Timing = src.timing("timing", c.Timing)
	src.done()
	return c
}

// ----- Lua table source -----

// tableSource reads options from a Lua table argument; errors raise
// "bad argument #n to 'fn' (field 'x': ...)".
type tableSource struct{ *fields }

func (t tableSource) runs(name string) []emu.Run {
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

func (t tableSource) ints(name string) []int {
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

func (t tableSource) timing(name string, base emu.Timing) emu.Timing {
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

// ----- SPEC source -----

// specAliases are the short names a SPEC may use.
var specAliases = map[string]string{
	"wb": "write_block", "ev": "erase_value", "ppb": "pages_per_block", "ecc": "ecc_bits",
	"bad": "bad_blocks", "units": "sectors", "erase": "sector",
}

// specSource reads options from a SPEC string: comma-separated key=value
// pairs, numbers as ParseNumber accepts them (K/M/G suffixes), booleans as
// true/false/1/0 or a bare key meaning true, lists joined with '+':
//
//	size=1M,sector=4K,wb=4,ev=0xff,max_programs=2,violations=count
//	sectors=4x16K+1x64K+7x128K           (non-uniform sector map)
//	page=2K,oob=64,ppb=64,blocks=1024,nop=4,ecc=4,bad=3+17
//	chip=w25q128jv,size=4M               (a preset with overrides)
//
// Aliases: wb=write_block, ev=erase_value, ppb=pages_per_block,
// ecc=ecc_bits, bad=bad_blocks, units=sectors, erase=sector.
type specSource struct {
	vals map[string]string
	seen map[string]bool
}

func parseSpec(spec string) (*specSource, error) {
	s := &specSource{vals: map[string]string{}, seen: map[string]bool{}}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if a, ok := specAliases[k]; ok {
			k = a
		}
		if !ok {
			v = "true"
		}
		if _, dup := s.vals[k]; dup {
			return nil, fmt.Errorf("duplicate key %q", k)
		}
		s.vals[k] = strings.TrimSpace(v)
	}
	return s, nil
}

// specError is what specSource.fail panics with; ConfigFromSpec recovers it.
type specError struct{ err error }

func (s *specSource) fail(name, msg string) {
	panic(specError{fmt.Errorf("%s: %s", name, msg)})
}

func (s *specSource) get(name string) (string, bool) {
	s.seen[name] = true
	v, ok := s.vals[name]
	return v, ok
}

func (s *specSource) has(name string) bool { _, ok := s.get(name); return ok }

func (s *specSource) int(name string, def int64) int64 { return s.size(name, def) }

func (s *specSource) size(name string, def int64) int64 {
	v, ok := s.get(name)
	if !ok {
		return def
	}
	n, err := ParseNumber(v)
	if err != nil || n > maxExactInt {
		s.fail(name, fmt.Sprintf("bad number %q", v))
	}
	return int64(n)
}

func (s *specSource) str(name, def string) string {
	if v, ok := s.get(name); ok {
		return v
	}
	return def
}

func (s *specSource) boolean(name string, def bool) bool {
	v, ok := s.get(name)
	if !ok {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		switch strings.ToLower(v) {
		case "yes", "on":
			return true
		case "no", "off":
			return false
		}
		s.fail(name, fmt.Sprintf("bad boolean %q", v))
	}
	return b
}

func (s *specSource) runs(name string) []emu.Run {
	v, _ := s.get(name)
	var out []emu.Run
	for _, r := range strings.Split(v, "+") {
		c, sz, ok := strings.Cut(strings.ToLower(r), "x")
		cn, err1 := ParseNumber(c)
		sn, err2 := ParseNumber(sz)
		if !ok || err1 != nil || err2 != nil || cn == 0 || sn == 0 || cn > emu.MaxUnits || sn > uint64(emu.MaxDeviceSize) {
			s.fail(name, fmt.Sprintf("bad run %q (want COUNTxSIZE, e.g. 4x16K)", r))
		}
		out = append(out, emu.Run{Count: int(cn), Size: int(sn)})
	}
	return out
}

func (s *specSource) ints(name string) []int {
	v, _ := s.get(name)
	var out []int
	for _, x := range strings.Split(v, "+") {
		n, err := ParseNumber(x)
		if err != nil || n > emu.MaxUnits {
			s.fail(name, fmt.Sprintf("bad number %q", x))
		}
		out = append(out, int(n))
	}
	return out
}

func (s *specSource) timing(name string, base emu.Timing) emu.Timing {
	v, ok := s.get(name)
	if !ok {
		return base
	}
	switch strings.ToLower(v) {
	case "false", "0", "none", "off":
		return emu.Timing{}
	case "true", "default":
		return base
	}
	s.fail(name, fmt.Sprintf("%q: only timing=none or timing=default in a SPEC", v))
	return base
}

func (s *specSource) done() {
	var unknown []string
	for k := range s.vals {
		if !s.seen[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		known := make([]string, 0, len(s.seen))
		for k := range s.seen {
			known = append(known, k)
		}
		sort.Strings(known)
		panic(specError{fmt.Errorf("unknown key %q (known: %s)", unknown[0], strings.Join(known, ", "))})
	}
}

// ConfigFromSpec builds a device configuration from a command-line SPEC
// (see specSource for the syntax); kind is emu.NOR for --nor, emu.NAND for
// --nand. The device itself is made with emu.New.
func ConfigFromSpec(kind emu.Kind, spec string) (cfg emu.Config, err error) {
	src, err := parseSpec(spec)
	if err != nil {
		return emu.Config{}, err
	}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(specError)
			if !ok {
				panic(r)
			}
			err = se.err
		}
	}()
	return buildConfig(kind, src), nil
}
