package lua

import (
	"errors"
	"fmt"

	glua "github.com/yuin/gopher-lua"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/faults"
)

// Device is the Go value behind a Lua device userdata ("flashemu.device").
// Other bindings (sweep, faults) get the *emu.Device with DeviceOf.
type Device struct {
	// Dev is the emulated chip.
	Dev *emu.Device
	// api is the Zephyr driver view (for areas, fcb, streamflash).
	api api.Device
	// Inj is the fault injector the faults module attached, if any.
	Inj *faults.Injector
	// ctl is the Plan 9 partition control, made on first use (ctl.go).
	ctl *api.Ctl
	// wbuf is reused by write so that a write does not allocate.
	wbuf []byte
	// trace is the running operation trace (dev:trace, --trace), if any.
	trace *deviceTrace
}

func (d *Device) luaType() string { return deviceType.name }

// String is what tostring(dev) shows: "nor 1M (4K sectors, wb 1)".
func (d *Device) String() string { return describeDevice(d.Dev) }

// API returns the Zephyr flash driver view of the device.
func (d *Device) API() api.Device {
	if d.api == nil {
		d.api = api.FromEmu(d.Dev)
	}
	return d.api
}

// describeDevice is a short geometry summary for prompts and tostring.
func describeDevice(d *emu.Device) string {
	c := d.Config()
	name := c.Name
	if name != "" {
		name += " "
	}
	if d.Kind() == emu.NAND {
		return fmt.Sprintf("%snand %s (%d+%d pages, %d/block, %d blocks)", name, api.FormatSize(d.Size()), d.PageSize(), d.OOBSize(), c.PagesPerBlock, d.UnitCount())
	}
	_, u0 := d.Unit(0)
	units := api.FormatSize(u0) + " sectors"
	if len(d.Regions()) > 1 {
		units = fmt.Sprintf("%d sectors, non-uniform", d.UnitCount())
	}
	return fmt.Sprintf("%snor %s (%s, wb %d)", name, api.FormatSize(d.Size()), units, d.WriteBlock())
}

// DeviceOf returns the device behind a Lua value made by the flash module.
func DeviceOf(v glua.LValue) (*Device, bool) {
	if ud, ok := v.(*glua.LUserData); ok {
		d, ok := ud.Value.(*Device)
		return d, ok
	}
	return nil, false
}

// NewDevice wraps an emulated device as a Lua value of this state.
// With Options.Trace, the first device wrapped in a state is traced.
func (s *State) NewDevice(d *emu.Device) glua.LValue {
	dev := &Device{Dev: d}
	s.autoTrace(dev)
	return s.newUserData(deviceType, dev)
}

var deviceType = &udType{name: "flashemu.device", short: "device",
	doc: "an emulated flash chip (flash.nor/nand/chip/load); methods below"}

func init() {
	registerType(deviceType)
	deviceType.methods = []fnDef{
		{"read", "dev:read(off, len) --> data | nil, msg, errno", "read len bytes at off", devRead},
		{"read_ecc", "dev:read_ecc(off, len) --> data, {corrected=, corrected_steps=, failed=, max_bitflips=, euclean=, errno=} | nil, msg, errno", "NAND: read with this read's ECC report (MTD's max_bitflips; euclean: the block should be scrubbed; failed > 0: uncorrectable, errno -77 EBADMSG, raw data)", devReadECC},
		{"is_bad", "dev:is_bad(block) --> false | \"factory\" | \"grown\"", "NAND: whether the chip refuses block (factory-bad from the configuration, or grown bad by wear)", devIsBad},
		{"sync", "dev:sync() --> true | nil, msg, errno", "write-through device (flash.open): flush the image file to disk", devSync},
		{"close", "dev:close() --> true | nil, msg, errno", "write-through device (flash.open): sync and close the image file", devClose},
		{"write", "dev:write(off, data) --> true | nil, msg, errno", "program data at off (bits only move away from the erase value)", devWrite},
		{"erase", "dev:erase(off, len) --> true | nil, msg, errno", "erase whole erase units", devErase},
		{"read_oob", "dev:read_oob(page [, len]) --> data | nil, msg, errno", "NAND: read a page's spare area", devReadOOB},
		{"write_oob", "dev:write_oob(page, data) --> true | nil, msg, errno", "NAND: program a page's spare area", devWriteOOB},
		{"peek", "dev:peek(off, len) --> data", "the stored bits, without counting an operation or advancing the clock", devPeek},
		{"poke", "dev:poke(off, data)", "set the stored bits, whatever the physics says", devPoke},
		{"info", "dev:info() --> table", "geometry: type, size, erase_unit, write_block, erase_value, regions, ...", devInfo},
		{"stats", "dev:stats() --> table", "counters: reads, writes, erases, bytes_read, bytes_written, ...", devStats},
		{"wear", "dev:wear() --> {n, ...}", "erase count per erase unit (1-based list)", devWear},
		{"wear_report", "dev:wear_report{svg=path, csv=path, title=, endurance=, columns=} --> true | svg, csv | nil, msg, errno", "report.wear of this device's erase counts (heatmap SVG, CSV)", devWearReport},
		{"clock", "dev:clock() --> ns", "simulated time in ns", devClock},
		{"cycles", "dev:cycles() --> n", "simulated time in cycles of the device clock", devCycles},
		{"timing", "dev:timing() --> table", "the timing model's parameters", devTiming},
		{"unit_at", "dev:unit_at(off) --> index, start, size", "the erase unit holding off (index from 0)", devUnitAt},
		{"snapshot", "dev:snapshot() --> snap", "capture the whole device state (copy-on-write, cheap)", devSnapshot},
		{"restore", "dev:restore(snap)", "return to a snapshot's state", devRestore},
		{"save", "dev:save(path [, {sidecar=false, oob=\"separate\"|\"interleaved\"|\"none\", format=\"raw\"|\"hex\", base=0}]) --> true | nil, msg, errno", "write the content to a raw (native_sim flash.bin) or Intel HEX image, atomically; sidecar=true also writes PATH.json (geometry, wear, clock, counters)", devSave},
		{"dump", "dev:dump() --> data", "the whole content as a string", devDump},
		{"trace", "dev:trace(path [, {data=true}]) | dev:trace() --> true | nil, msg, errno", "record every operation as JSON Lines into path (written atomically when the trace stops: dev:trace() or the end of the script)", devTrace},
		{"power_off", "dev:power_off()", "cut the power: every op raises a power-loss error until power_on", devPowerOff},
		{"power_on", "dev:power_on()", "restore power", devPowerOn},
		{"powered", "dev:powered() --> bool", "whether the device has power", devPowered},
		{"area", "dev:area{label=, offset=, size=} --> area", "a Zephyr flash_area over part of the device", devArea},
		{"ctl", "dev:ctl(cmd) --> true | nil, msg, errno", "Plan 9 partition control: \"add name start [end]\", \"remove name\", \"erase all\", \"erase off\", \"protectboot [off]\", \"sync\" (the first call turns boot protection on)", devCtl},
		{"ctlinfo", "dev:ctlinfo() --> text", "the partctl read-out: \"manufacturer device width nor|nand\", then one line per region", devCtlInfo},
		{"part", "dev:part(name) --> area | nil, msg, errno", "an area over a partition made with ctl \"add\"", devPart},
	}
	deviceType.meta = func(s *State, mt *glua.LTable) {
		mt.RawSetString("__eq", s.L.NewFunction(func(L *glua.LState) int {
			a, _ := DeviceOf(L.Get(1))
			b, _ := DeviceOf(L.Get(2))
			L.Push(glua.LBool(a != nil && a == b))
			return 1
		}))
	}
}

func checkDevice(L *glua.LState, fn string) (*Device, args) {
	a := methodOf(L, fn)
	return checkUD[Device](a, 1, deviceType), a
}

// pushFailure pushes the Lua form of a failed operation: nil, message,
// errno (negative, Zephyr's), except a power cut, which raises the
// power-loss object instead.
func (s *State) pushFailure(L *glua.LState, err error) int {
	if errors.Is(err, emu.ErrPowerLoss) {
		s.raisePowerLoss(L, err)
	}
	L.Push(glua.LNil)
	L.Push(glua.LString(err.Error()))
	L.Push(glua.LNumber(errno.Of(err)))
	return 3
}

// readLen reports whether a read of n bytes can fit the device (which
// range-checks); it prevents a huge allocation for an impossible read.
func readLen(d *emu.Device, n int64) bool { return n <= d.Size() }

// ErrTooLarge is returned for a single buffer (a read) larger than half
// the state's memory limit: reading a whole 1 TiB device into a Lua string
// is refused instead of exhausting the host's memory.
var ErrTooLarge = errno.New("lua: buffer too large for the memory limit", errno.ENOMEM)

// checkAlloc refuses a buffer of n bytes past half the memory limit.
func (s *State) checkAlloc(n int64) error {
	if lim := s.opts.memoryLimit(); lim > 0 && n > lim/2 {
		return fmt.Errorf("%w: %d bytes (limit %d)", ErrTooLarge, n, lim)
	}
	return nil
}

func devRead(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "read")
	off := a.int(2)
	n := a.nonNeg(3)
	if !readLen(d.Dev, n) {
		return s.pushFailure(L, fmt.Errorf("%w: read of %d bytes on a %d-byte device", emu.ErrOutOfRange, n, d.Dev.Size()))
	}
	if err := s.checkAlloc(n); err != nil {
		return s.pushFailure(L, err)
	}
	buf := make([]byte, n)
	if err := d.Dev.Read(off, buf); err != nil {
		if !errors.Is(err, emu.ErrBadMsg) {
			return s.pushFailure(L, err)
		}
		// Uncorrectable ECC: Zephyr returns -EBADMSG; the raw data is
		// returned as a fourth value for inspection.
		s.pushFailure(L, err)
		L.Push(glua.LString(buf))
		return 4
	}
	L.Push(glua.LString(bytesToString(buf)))
	return 1
}

// devReadECC is dev:read_ecc(off, len): the data and this read's ECC
// report. An uncorrectable read returns the raw data and a report with
// failed > 0 and errno -77 (EBADMSG), as MTD does.
func devReadECC(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "read_ecc")
	off := a.int(2)
	n := a.nonNeg(3)
	if d.Dev.Kind() != emu.NAND {
		return s.pushFailure(L, fmt.Errorf("%w: read_ecc on a NOR device (no ECC)", emu.ErrInvalid))
	}
	if !readLen(d.Dev, n) {
		return s.pushFailure(L, fmt.Errorf("%w: read of %d bytes on a %d-byte device", emu.ErrOutOfRange, n, d.Dev.Size()))
	}
	if err := s.checkAlloc(n); err != nil {
		return s.pushFailure(L, err)
	}
	buf := make([]byte, n)
	rep, err := d.Dev.ReadECC(off, buf)
	if err != nil && !errors.Is(err, emu.ErrBadMsg) {
		return s.pushFailure(L, err)
	}
	t := L.CreateTable(0, 6)
	t.RawSetString("corrected", glua.LNumber(rep.Corrected))
	t.RawSetString("corrected_steps", glua.LNumber(rep.CorrectedSteps))
	t.RawSetString("failed", glua.LNumber(rep.Failed))
	t.RawSetString("max_bitflips", glua.LNumber(rep.MaxBitflips))
	t.RawSetString("euclean", glua.LBool(rep.Unclean(d.Dev.BitflipThreshold())))
	if err != nil {
		t.RawSetString("errno", glua.LNumber(errno.Of(err)))
	}
	L.Push(glua.LString(bytesToString(buf)))
	L.Push(t)
	return 2
}

// devIsBad is dev:is_bad(block): false, "factory" or "grown".
func devIsBad(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "is_bad")
	b := a.int(2)
	if d.Dev.Kind() != emu.NAND || b < 0 || b >= int64(d.Dev.Config().Blocks) {
		a.argError(2, fmt.Sprintf("block %d: not a block of this device", b))
	}
	switch d.Dev.BadKind(int(b)) {
	case emu.BadFactory:
		L.Push(glua.LString("factory"))
	case emu.BadGrown:
		L.Push(glua.LString("grown"))
	default:
		L.Push(glua.LFalse)
	}
	return 1
}

func devSync(s *State, L *glua.LState) int {
	d, _ := checkDevice(L, "sync")
	if err := d.Dev.Sync(); err != nil {
		return s.pushFailure(L, fileError(err))
	}
	L.Push(glua.LTrue)
	return 1
}

func devClose(s *State, L *glua.LState) int {
	d, _ := checkDevice(L, "close")
	if err := d.Dev.Close(); err != nil {
		return s.pushFailure(L, fileError(err))
	}
	L.Push(glua.LTrue)
	return 1
}

func devWrite(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "write")
	off := a.int(2)
	data := a.str(3)
	if cap(d.wbuf) < len(data) {
		d.wbuf = make([]byte, len(data))
	}
	buf := d.wbuf[:len(data)]
	copy(buf, data)
	if err := d.Dev.Program(off, buf); err != nil {
		return s.pushFailure(L, err)
	}
	if cap(d.wbuf) > 1<<20 {
		d.wbuf = nil // do not pin a huge buffer
	}
	L.Push(glua.LTrue)
	return 1
}

func devErase(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "erase")
	off := a.int(2)
	n := a.int(3)
	if err := d.Dev.Erase(off, n); err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LTrue)
	return 1
}

func devReadOOB(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "read_oob")
	page := a.int(2)
	n := a.optInt(3, int64(d.Dev.OOBSize()))
	if n < 0 || n > int64(d.Dev.OOBSize()) || page < 0 || page > int64(d.Dev.Pages()) {
		var err error = emu.ErrOutOfRange
		if d.Dev.Kind() != emu.NAND {
			err = emu.ErrNotSupported
		}
		return s.pushFailure(L, err)
	}
	buf := make([]byte, n)
	if err := d.Dev.ReadOOB(int(page), buf); err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LString(bytesToString(buf)))
	return 1
}

func devWriteOOB(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "write_oob")
	page := a.int(2)
	data := a.str(3)
	if page < 0 || page > int64(d.Dev.Pages()) {
		var err error = emu.ErrOutOfRange
		if d.Dev.Kind() != emu.NAND {
			err = emu.ErrNotSupported
		}
		return s.pushFailure(L, err)
	}
	if err := d.Dev.WriteOOB(int(page), []byte(data)); err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LTrue)
	return 1
}

func devPeek(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "peek")
	off := a.int(2)
	n := a.nonNeg(3)
	if !readLen(d.Dev, n) {
		a.argError(3, "beyond the device")
	}
	if err := s.checkAlloc(n); err != nil {
		a.argError(3, err.Error())
	}
	buf := make([]byte, n)
	if err := d.Dev.Peek(off, buf); err != nil {
		a.raise("%v", err)
	}
	L.Push(glua.LString(bytesToString(buf)))
	return 1
}

func devPoke(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "poke")
	off := a.int(2)
	data := a.str(3)
	if err := d.Dev.Poke(off, []byte(data)); err != nil {
		a.raise("%v", err)
	}
	return 0
}

func devInfo(s *State, L *glua.LState) int {
	d, _ := checkDevice(L, "info")
	L.Push(configTable(L, d.Dev.Config(), d.Dev))
	return 1
}

// configTable renders a configuration (and, given a device, its derived
// numbers) as the table dev:info() and flash.chips() return.
func configTable(L *glua.LState, c emu.Config, d *emu.Device) *glua.LTable {
	t := L.NewTable()
	set := func(k string, v glua.LValue) { t.RawSetString(k, v) }
	num := func(k string, v int64) { set(k, glua.LNumber(v)) }
	set("type", glua.LString(c.Kind.String()))
	if c.Name != "" {
		set("name", glua.LString(c.Name))
	}
	num("erase_value", int64(c.EraseValue))
	if d != nil {
		num("size", d.Size())
		num("write_block", int64(d.WriteBlock()))
		num("units", int64(d.UnitCount()))
		regions := L.NewTable()
		for _, r := range d.Regions() {
			rt := L.NewTable()
			rt.RawSetString("count", glua.LNumber(r.Count))
			rt.RawSetString("size", glua.LNumber(r.Size))
			regions.Append(rt)
		}
		set("regions", regions)
		if rs := d.Regions(); len(rs) == 1 {
			num("erase_unit", int64(rs[0].Size))
		}
	} else {
		if c.Size > 0 {
			num("size", c.Size)
		} else if c.Kind == emu.NAND {
			num("size", int64(c.PageSize)*int64(c.PagesPerBlock)*int64(c.Blocks))
		}
		if c.Kind == emu.NAND {
			num("write_block", int64(c.PageSize))
			num("erase_unit", int64(c.PageSize)*int64(c.PagesPerBlock))
		} else {
			num("write_block", int64(c.WriteBlock))
			if len(c.Units) == 0 {
				num("erase_unit", int64(c.EraseUnit))
			} else {
				regions := L.NewTable()
				var size int64
				for _, r := range c.Units {
					rt := L.NewTable()
					rt.RawSetString("count", glua.LNumber(r.Count))
					rt.RawSetString("size", glua.LNumber(r.Size))
					regions.Append(rt)
					size += int64(r.Count) * int64(r.Size)
				}
				set("regions", regions)
				num("size", size)
			}
		}
	}
	if c.Kind == emu.NAND {
		num("page", int64(c.PageSize))
		num("oob", int64(c.OOBSize))
		num("pages_per_block", int64(c.PagesPerBlock))
		num("blocks", int64(c.Blocks))
		num("nop", int64(c.NOP))
		num("ecc_bits", int64(c.ECCBits))
		num("ecc_step", int64(c.ECCStep))
		bb := L.NewTable()
		if d != nil {
			// The device's bad blocks, factory and grown (wear faults,
			// MarkBad): bad_blocks lists both, grown_bad the grown ones.
			grown := L.NewTable()
			for _, b := range d.BadBlocks() {
				bb.Append(glua.LNumber(b.Block))
				if b.Kind == emu.BadGrown {
					grown.Append(glua.LNumber(b.Block))
				}
			}
			set("grown_bad", grown)
		} else {
			for _, b := range c.BadBlocks {
				bb.Append(glua.LNumber(b))
			}
		}
		set("bad_blocks", bb)
	}
	if c.Kind == emu.NOR && c.ZeroOverwrite {
		set("zero_overwrite", glua.LTrue)
	}
	num("max_programs", int64(c.MaxPrograms))
	if c.Violations == emu.ViolationsCount {
		set("violations", glua.LString("count"))
	} else {
		set("violations", glua.LString("strict"))
	}
	set("no_explicit_erase", glua.LBool(c.NoExplicitErase))
	set("aligned_reads", glua.LBool(c.AlignedReads))
	set("protect_boot", glua.LBool(c.ProtectBoot))
	if c.ManufacturerID != 0 || c.DeviceID != 0 {
		num("manufacturer_id", int64(c.ManufacturerID))
		num("device_id", int64(c.DeviceID))
	}
	num("clock_hz", c.Timing.ClockHz)
	num("seed", int64(c.Seed))
	return t
}

func devStats(s *State, L *glua.LState) int {
	d, _ := checkDevice(L, "stats")
	st := d.Dev.Stats()
	t := L.CreateTable(0, 18)
	for _, kv := range []struct {
		k string
		v uint64
	}{
		{"reads", st.Reads}, {"writes", st.Programs}, {"erases", st.Erases},
		{"bytes_read", st.BytesRead}, {"bytes_written", st.BytesProgrammed}, {"bytes_erased", st.BytesErased},
		{"read_ns", uint64(st.ReadNs)}, {"write_ns", uint64(st.ProgramNs)}, {"erase_ns", uint64(st.EraseNs)},
		{"violations", st.Violations}, {"limit_violations", st.LimitViolations},
		{"failed", st.Failed}, {"interrupted", st.Interrupted},
		{"ecc_corrected_bits", st.ECCCorrectedBits}, {"ecc_corrected_steps", st.ECCCorrectedSteps}, {"ecc_failed_steps", st.ECCFailedSteps},
	} {
		t.RawSetString(kv.k, glua.LNumber(kv.v))
	}
	L.Push(t)
	return 1
}

func devWear(s *State, L *glua.LState) int {
	d, _ := checkDevice(L, "wear")
	w := d.Dev.Wear()
	t := L.CreateTable(len(w), 0)
	for _, n := range w {
		t.Append(glua.LNumber(n))
	}
	L.Push(t)
	return 1
}

func devClock(s *State, L *glua.LState) int {
	d, _ := checkDevice(L, "clock")
	L.Push(glua.LNumber(d.Dev.Now()))
	return 1
}

func devCycles(s *State, L *glua.LState) int {
	d, _ := checkDevice(L, "cycles")
	L.Push(glua.LNumber(d.Dev.Cycles()))
	return 1
}

func devTiming(s *State, L *glua.LState) int {
	d, _ := checkDevice(L, "timing")
	L.Push(timingTable(L, d.Dev.Timing()))
	return 1
}

func timingTable(L *glua.LState, tm emu.Timing) *glua.LTable {
	t := L.NewTable()
	num := func(k string, v int64) { t.RawSetString(k, glua.LNumber(v)) }
	num("clock_hz", tm.ClockHz)
	num("bus_bits", int64(tm.BusBits))
	num("op_overhead_ns", tm.OpOverheadNs)
	num("read_cmd_bytes", int64(tm.ReadCmdBytes))
	num("program_cmd_bytes", int64(tm.ProgramCmdBytes))
	num("erase_cmd_bytes", int64(tm.EraseCmdBytes))
	num("read_ns", tm.ReadNs)
	num("program_page", int64(tm.ProgramPage))
	num("program_ns", tm.ProgramNs)
	num("program_first_ns", tm.ProgramFirstNs)
	num("program_byte_ns", tm.ProgramByteNs)
	t.RawSetString("program_scales", glua.LBool(tm.ProgramScales))
	list := func(k string, es []emu.EraseTime) {
		l := L.NewTable()
		for _, e := range es {
			et := L.NewTable()
			et.RawSetString("size", glua.LNumber(e.Size))
			et.RawSetString("ns", glua.LNumber(e.Ns))
			l.Append(et)
		}
		t.RawSetString(k, l)
	}
	list("erase_ns", tm.EraseNs)
	list("block_erase", tm.BlockErase)
	return t
}

func devUnitAt(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "unit_at")
	off := a.int(2)
	i, start, size, ok := d.Dev.UnitAt(off)
	if !ok {
		return s.pushFailure(L, fmt.Errorf("%w: offset %d", emu.ErrOutOfRange, off))
	}
	L.Push(glua.LNumber(i))
	L.Push(glua.LNumber(start))
	L.Push(glua.LNumber(size))
	return 3
}

func devPowerOff(s *State, L *glua.LState) int {
	d, _ := checkDevice(L, "power_off")
	d.Dev.PowerOff()
	return 0
}

func devPowerOn(s *State, L *glua.LState) int {
	d, _ := checkDevice(L, "power_on")
	d.Dev.PowerOn()
	return 0
}

func devPowered(s *State, L *glua.LState) int {
	d, _ := checkDevice(L, "powered")
	L.Push(glua.LBool(d.Dev.Powered()))
	return 1
}

// content returns the device's stored data (no op counted).
func content(d *emu.Device) ([]byte, error) {
	buf := make([]byte, d.Size())
	err := d.Peek(0, buf)
	return buf, err
}

func devDump(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "dump")
	if lim := s.opts.memoryLimit(); lim > 0 && d.Dev.Size() > lim/2 {
		a.raise("device of %d bytes too large to dump under the memory limit", d.Dev.Size())
	}
	buf, err := content(d.Dev)
	if err != nil {
		a.raise("%v", err)
	}
	L.Push(glua.LString(bytesToString(buf)))
	return 1
}
