package lua

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	glua "github.com/yuin/gopher-lua"
)

// runLua runs src as chunk "t.lua" in a fresh state and returns what it
// printed and its error.
func runLua(t testing.TB, opts Options, src string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	opts.Stdout = &out
	prog, err := CompileString("t.lua", src)
	if err != nil {
		return "", err
	}
	err = prog.Exec(context.Background(), opts)
	return out.String(), err
}

// luaErr runs src and returns its error as "file:line: message".
func luaErr(t *testing.T, src string) string {
	t.Helper()
	_, err := runLua(t, Options{}, src)
	require.Error(t, err, "script should fail:\n%s", src)
	return err.Error()
}

func TestErrorLevels(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"level 1 blames the caller of error", "local x = 1\nerror('boom')", "t.lua:2: boom"},
		{"level 2 blames the caller's caller", "local function f()\n  error('bad', 2)\nend\nf()", "t.lua:4: bad"},
		{"level 3", "local function f() error('deep', 3) end\nlocal function g()\n  f()\nend\ng()", "t.lua:5: deep"},
		{"level 0 adds no position", "error('plain', 0)", "plain"},
		{"a Go caller gives no position", "local ok, e = pcall(error, 'x')\nerror(e, 0)", "x"},
		{"non-string values pass through", "error({message = 'table msg'})", "table msg"},
		{"assert has a position", "\nassert(false, 'nope')", "t.lua:2: nope"},
		{"runtime errors have one", "local t = nil\nlocal x = t.field", "t.lua:2: attempt to index a non-table object(nil) with key 'field'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, luaErr(t, tt.src))
		})
	}
}

func TestSyntaxErrorPositions(t *testing.T) {
	tests := []struct{ src, want string }{
		{"local x = 1\nlocal = 2\n", "t.lua:2: syntax error near '='"},
		{"print('a')\nfor i = 1, 2 do\n", "t.lua:2: syntax error near <eof>"},
		{"x = 'abc\n", "t.lua:2: unterminated string near 'abc'"},
		{"x = 'abc", "t.lua:1: unterminated string near <eof>"},
	}
	for _, tt := range tests {
		_, err := CompileString("t.lua", tt.src)
		require.Error(t, err)
		assert.Equal(t, tt.want, err.Error(), tt.src)
		assert.ErrorIs(t, err, ErrSyntax)
	}
}

func TestBadArgumentMessages(t *testing.T) {
	// Every binding checks its arguments and blames the caller's line.
	pre := "local dev = flash.nor{size = 65536, sector = 4096, write_block = 4}\nlocal a = dev:area{offset = 0, size = 16384}\n"
	tests := []struct{ call, want string }{
		{"dev:write(0, 42)", "bad argument #2 to 'write' (string expected, got number)"},
		{"dev:write('x', 'abcd')", "bad argument #1 to 'write' (integer expected, got string)"},
		{"dev:write(1.5, 'abcd')", "bad argument #1 to 'write' (number has no integer representation)"},
		{"dev:write(2^60, 'abcd')", "bad argument #1 to 'write' (integer out of range)"},
		{"dev:read(0)", "bad argument #2 to 'read' (integer expected, got no value)"},
		{"dev:read(0, -1)", "bad argument #2 to 'read' (-1 is negative)"},
		{"dev.read(5, 0, 1)", "calling 'read' on bad self (flashemu.device expected, got number)"},
		{"dev.read(a, 0, 1)", "calling 'read' on bad self (flashemu.device expected, got flashemu.area)"},
		{"dev:erase(0, 0/0)", "bad argument #2 to 'erase' (number has no integer representation)"},
		{"dev:restore({})", "bad argument #1 to 'restore' (flashemu.snapshot expected, got table)"},
		{"dev:area{offset = 'x'}", "bad argument #1 to 'area' (field 'offset': integer expected, got string)"},
		{"dev:area{ofset = 1}", "bad argument #1 to 'area' (unknown field 'ofset' (known: label, offset, size))"},
		{"a:write(0, {})", "bad argument #2 to 'write' (string expected, got table)"},
		{"a:sectors(1)", ""},
		{"flash.nor{size = 'big'}", "bad argument #1 to 'nor' (field 'size': api: invalid argument: bad size \"big\")"},
		{"flash.nor{sector = 1.5}", "bad argument #1 to 'nor' (field 'sector': number has no integer representation)"},
		{"flash.nor{violations = 'maybe'}", "bad argument #1 to 'nor' (field 'violations': \"maybe\" is not \"strict\" or \"count\")"},
		{"flash.nor(5)", "bad argument #1 to 'nor' (table expected, got number)"},
		{"flash.chip('nope')", "bad argument #1 to 'chip' (unknown chip \"nope\" (flash.chips() lists them))"},
		{"flash.nand{chip = 'w25q128jv'}", "bad argument #1 to 'nand' (field 'chip': w25q128jv is a nor chip)"},
		{"flash.from_snapshot(dev)", "bad argument #1 to 'from_snapshot' (flashemu.snapshot expected, got flashemu.device)"},
		{"check.crc8(1)", "bad argument #1 to 'crc8' (string expected, got number)"},
		{"check.crc8('x', 256)", "bad argument #2 to 'crc8' (256 out of range [0, 255])"},
		{"check.crc16('x', -1)", "bad argument #2 to 'crc16' (-1 out of range [0, 65535])"},
		{"check.sha256()", "bad argument #1 to 'sha256' (string expected, got no value)"},
		{"bit.band(1, 'x')", "bad argument #2 to 'band' (integer expected, got string)"},
		{"bit.bor()", "bad argument #1 to 'bor' (integer expected, got no value)"},
		{"bit.lshift(1, -1)", "bad argument #2 to 'lshift' (negative shift)"},
		{"hex('f')", "bad argument #1 to 'hex' (odd number of hex digits)"},
		{"hex('zz')", "bad argument #1 to 'hex' (invalid hex digit 'z' at position 1)"},
		{"tohex(nil)", "bad argument #1 to 'tohex' (string expected, got nil)"},
		{"fcb.new(dev)", "bad argument #1 to 'new' (flashemu.area expected, got flashemu.device)"},
		{"fcb.new(a, {magic = -1})", "bad argument #2 to 'new' (field 'magic': -1 out of range [0, 0xffffffff])"},
		{"streamflash.new(5)", "bad argument #1 to 'new' (device or area expected, got number)"},
		{"streamflash.new(dev, {callback = 1})", "bad argument #2 to 'new' (field 'callback': function expected, got number)"},
		{"settings.fcb(a, {strict = 1})", "bad argument #2 to 'fcb' (field 'strict': boolean expected, got number)"},
		{"expect(1):eq()", "bad argument #1 to 'eq' (value expected)"},
		{"describe('x')", "bad argument #2 to 'describe' (function expected, got no value)"},
		{"string.rep('x', 1.5)", "bad argument #2 to 'rep' (number has no integer representation)"},
	}
	for _, tt := range tests {
		t.Run(tt.call, func(t *testing.T) {
			_, err := runLua(t, Options{}, pre+"\n"+tt.call)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, "t.lua:4: "+tt.want, err.Error())
		})
	}
}

func TestBindingErrorInsideFunctionBlamesThatLine(t *testing.T) {
	src := "local dev = flash.nor{}\nlocal function w()\n  return dev:write(0, 7)\nend\nlocal ok, e = pcall(w)\nerror(e, 0)"
	assert.Equal(t, "t.lua:3: bad argument #2 to 'write' (string expected, got number)", luaErr(t, src))
}

func TestCheckModule(t *testing.T) {
	out, err := runLua(t, Options{}, `
print(check.crc8("123456789"), check.crc8("123456789", 0), check.crc8("", 0x12))
print(check.crc16("123456789"), check.crc16("123456789", 0))
print(check.crc32("123456789"), check.crc32("6789", check.crc32("12345")))
print(check.sha256("abc"))`)
	require.NoError(t, err)
	assert.Equal(t, strings.Join([]string{
		"251\t244\t18",           // CRC-8/CCITT init 0xff; init 0 gives the catalogue check 0xf4
		"10673\t12739",           // 0x29b1 (CCITT-FALSE), 0x31c3 (XMODEM)
		"3421780262\t3421780262", // 0xcbf43926, continued
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", // FIPS 180-2 "abc"
	}, "\n")+"\n", out)
}

func TestBitModule(t *testing.T) {
	out, err := runLua(t, Options{}, `
print(bit.band(0xff, 0x0f, 0x3c), bit.bor(1, 2, 4), bit.bxor(0xff, 0x0f), bit.bnot(0))
print(bit.lshift(1, 31), bit.lshift(1, 32), bit.rshift(0x80000000, 31), bit.rshift(1, 40))
print(bit.band(-1, 0xffff), bit.bnot(0xffffffff), bit.bxor(0x12345678, 0xffffffff))`)
	require.NoError(t, err)
	assert.Equal(t, "12\t7\t240\t4294967295\n2147483648\t0\t1\t0\n65535\t0\t3989547399\n", out)
}

func TestHex(t *testing.T) {
	out, err := runLua(t, Options{}, `
print(tohex(hex("00ff10")), #hex("de ad:be_ef"), tohex("\1\2", " "), tohex(""), hex("") == "")`)
	require.NoError(t, err)
	assert.Equal(t, "00ff10\t4\t01 02\t\ttrue\n", out)
}

func TestSandbox(t *testing.T) {
	probe := `print(type(io), type(os.execute), type(debug), type(dofile), type(loadfile), type(os.clock), type(_printregs), type(string.dump), type(package.loadlib))`
	out, err := runLua(t, Options{}, probe)
	require.NoError(t, err)
	assert.Equal(t, "table\tfunction\ttable\tfunction\tfunction\tfunction\tnil\tnil\tnil\n", out, "stand-ins that raise the sandbox message")
	out, err = runLua(t, Options{AllowIO: true}, probe)
	require.NoError(t, err)
	assert.Equal(t, "table\tfunction\ttable\tfunction\tfunction\tfunction\tnil\tnil\tfunction\n", out)
}

func TestModulesAreGlobalsAndRequirable(t *testing.T) {
	out, err := runLua(t, Options{}, `
local names = {"flash", "check", "bit", "faults", "fcb", "streamflash", "settings"}
for _, n in ipairs(names) do
  assert(require(n) == _G[n], n)
  assert(package.loaded[n] == _G[n], n)
end
print(#names)`)
	require.NoError(t, err)
	assert.Equal(t, "7\n", out)
}

func TestOsExitUnwinds(t *testing.T) {
	out, err := runLua(t, Options{}, "print('a')\nos.exit(7)\nprint('b')")
	assert.Equal(t, "a\n", out)
	var le *Error
	require.ErrorAs(t, err, &le)
	assert.ErrorIs(t, err, ErrExit)
	assert.Equal(t, 7, le.Code)
	// Where it exited, for a check or a test that calls os.exit: its
	// verdict names the call.
	assert.Equal(t, "t.lua:2: os.exit(7)", le.Error())
	_, err = runLua(t, Options{}, "os.exit(false)")
	require.ErrorAs(t, err, &le)
	assert.Equal(t, 1, le.Code)
}

func TestTimeoutCancelsThroughContext(t *testing.T) {
	prog, err := CompileString("spin.lua", "local i = 0\nwhile true do i = i + 1 end")
	require.NoError(t, err)
	ctx, cancel := context.WithTimeoutCause(context.Background(), 50*time.Millisecond, fmt.Errorf("%w after 50ms", ErrTimeout))
	defer cancel()
	err = prog.Exec(ctx, Options{})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrTimeout)
	assert.Equal(t, "spin.lua:2: timeout after 50ms", err.Error())

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	err = prog.Exec(ctx, Options{})
	assert.ErrorIs(t, err, ErrCanceled)
}

func TestMemoryLimitStopsScriptNotHost(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few hundred MiB")
	}
	_, err := runLua(t, Options{MemoryLimit: 256 << 20}, `
local t, s = {}, ("x"):rep(1024 * 1024)
for i = 1, 1e6 do t[i] = s .. i end`)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrMemoryLimit)
	assert.Regexp(t, `^t.lua:\d+: memory limit exceeded \(heap \d+ MiB( \+ \d+ MiB requested)? > 256 MiB\)$`, err.Error())
	// The host is fine and the next script runs.
	out, err := runLua(t, Options{MemoryLimit: 256 << 20}, "print(1)")
	require.NoError(t, err)
	assert.Equal(t, "1\n", out)
}

// TestHostFatalErrorsPassPcall: os.exit and the memory limit unwind the
// whole script; pcall and xpcall cannot catch them (#15).
func TestHostFatalErrorsPassPcall(t *testing.T) {
	out, err := runLua(t, Options{}, `
print(pcall(os.exit, 3))
print("after")`)
	var le *Error
	require.ErrorAs(t, err, &le)
	assert.ErrorIs(t, err, ErrExit)
	assert.Equal(t, 3, le.Code)
	assert.Empty(t, out, "pcall caught os.exit")

	out, err = runLua(t, Options{}, `print(xpcall(function() os.exit(4) end, function(m) print("handler", m) return m end))`)
	require.ErrorAs(t, err, &le)
	assert.Equal(t, 4, le.Code)
	assert.Empty(t, out)

	out, err = runLua(t, Options{MemoryLimit: 64 << 20}, `
local ok = pcall(function() local s = ("x"):rep(1024 * 1024) local t = {} for i = 1, 1e6 do t[i] = s .. i end end)
print("caught", ok)`)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrMemoryLimit)
	assert.Regexp(t, `^t.lua:2: memory limit exceeded`, err.Error())
	assert.Empty(t, out, "pcall caught the memory limit")
}

func TestStringRepBounded(t *testing.T) {
	_, err := runLua(t, Options{MemoryLimit: 1 << 20}, "local s = ('ab'):rep(1048576)")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "result of 2097152 bytes exceeds the memory limit of 1048576 bytes")
	out, err := runLua(t, Options{}, "print(('ab'):rep(3), ('x'):rep(0), ('x'):rep(-1))")
	require.NoError(t, err)
	assert.Equal(t, "ababab\t\t\n", out)
}

func TestRegistryGrows(t *testing.T) {
	// The default fixed registry (5120 slots) overflows on these.
	out, err := runLua(t, Options{}, `
local t = {} for i = 1, 20000 do t[i] = i end
print(#table.concat(t, ","), select("#", unpack(t)))`)
	require.NoError(t, err)
	assert.Equal(t, "108893\t20000\n", out)
	// Still bounded: a runaway unpack is an error, not a crash.
	_, err = runLua(t, Options{RegistryMaxSize: 8192}, "local t = {} for i = 1, 10000 do t[i] = i end\nprint(unpack(t))")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "registry overflow")
}

func TestStackOverflowIsAnError(t *testing.T) {
	err := luaErr(t, "local function f(n) return 1 + f(n + 1) end\nf(1)")
	assert.Equal(t, "t.lua:1: stack overflow", err)
	// And pcall catches it.
	out, err2 := runLua(t, Options{}, "local function f() return 1 + f() end\nprint(pcall(f))")
	require.NoError(t, err2)
	assert.Equal(t, "false\tt.lua:1: stack overflow\n", out)
}

func TestGoPanicInBindingIsALuaError(t *testing.T) {
	s, err := NewState(Options{})
	require.NoError(t, err)
	defer s.Close()
	s.SetGlobal("explode", s.bind("explode", func(s *State, L *glua.LState) int {
		var m map[string]int
		//lint:ignore SA5000 the nil map write is the Go runtime panic under test
		m["x"] = 1 // nil map write: a Go runtime panic
		return 0
	}))
	_, err = s.DoString(context.Background(), "p.lua", "local x = 1\nexplode()")
	require.Error(t, err)
	assert.Equal(t, "p.lua:2: internal error in 'explode': assignment to entry in nil map", err.Error())
	// The state is still usable.
	rets, err := s.DoString(context.Background(), "p.lua", "return 1 + 1")
	require.NoError(t, err)
	assert.Equal(t, glua.LNumber(2), rets[0])
}

func TestPowerLossErrorObject(t *testing.T) {
	out, err := runLua(t, Options{}, `
local dev = flash.nor{size = 8192, sector = 4096}
dev:power_off()
for _, op in ipairs{
  function() return dev:read(0, 1) end,
  function() return dev:write(0, "x") end,
  function() return dev:erase(0, 4096) end,
} do
  local ok, e = pcall(op)
  print(ok, faults.is_power_loss(e), e.errno, e.power_loss, e.where, e.message, tostring(e))
end
print(faults.is_power_loss("emu: power loss"), faults.is_power_loss(nil))
dev:power_on()
print(dev:write(0, "x"), dev:powered())`)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5)
	for i, l := range lines[:3] {
		line := 5 + i
		assert.Equal(t, fmt.Sprintf("false\ttrue\t-5\ttrue\tt.lua:%d\temu: power loss\tt.lua:%d: emu: power loss", line, line), l)
	}
	assert.Equal(t, "false\tfalse", lines[3])
	assert.Equal(t, "true\ttrue", lines[4])

	// Uncaught, it ends the run with an error that unwraps to the device's.
	_, err = runLua(t, Options{}, "local d = flash.nor{}\nd:power_off()\nd:read(0, 1)")
	require.Error(t, err)
	assert.True(t, IsPowerLossError(err))
	assert.Equal(t, "t.lua:3: emu: power loss", err.Error())
}

func TestProgramRunsInManyStatesConcurrently(t *testing.T) {
	prog, err := CompileString("c.lua", `
local helper = require("helper")
local dev = flash.nor{size = 65536, sector = 4096, write_block = 4}
for i = 0, 63 do assert(dev:write(i * 4, string.format("%04d", i))) end
return helper.twice(tonumber(arg[1])), dev:read(252, 4)`)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, writeFile(dir+"/helper.lua", "return { twice = function(x) return 2 * x end }"))
	prog.Dir = dir
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				s, err := prog.NewState(Options{Args: []string{fmt.Sprint(g)}})
				if err != nil {
					errs[g] = err
					return
				}
				rets, err := prog.Run(context.Background(), s)
				s.Close()
				if err != nil {
					errs[g] = err
					return
				}
				if rets[0] != glua.LNumber(2*g) || rets[1] != glua.LString("0063") {
					errs[g] = fmt.Errorf("goroutine %d: got %v %v", g, rets[0], rets[1])
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
}

func TestCallReturnsValuesAndKeepsStack(t *testing.T) {
	s, err := NewState(Options{})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.DoString(context.Background(), "f.lua", "function add(a, b) return a + b, 'sum' end")
	require.NoError(t, err)
	top := s.L.GetTop()
	rets, err := s.Call(context.Background(), s.Global("add"), glua.LNumber(2), glua.LNumber(3))
	require.NoError(t, err)
	assert.Equal(t, []glua.LValue{glua.LNumber(5), glua.LString("sum")}, rets)
	assert.Equal(t, top, s.L.GetTop())
	_, err = s.Call(context.Background(), s.Global("add"), glua.LNumber(2))
	require.Error(t, err)
	assert.Equal(t, top, s.L.GetTop())
	s.Close()
	_, err = s.Call(context.Background(), glua.LNil)
	assert.ErrorIs(t, err, ErrInternal)
}

func TestPrintGoesToTheHostWriter(t *testing.T) {
	var out bytes.Buffer
	s, err := NewState(Options{Stdout: &out})
	require.NoError(t, err)
	defer s.Close()
	_, err = s.DoString(context.Background(), "p.lua", "print(1, 'a', nil, true, 2^53, 0.5, setmetatable({}, {__tostring = function() return 'T' end}))")
	require.NoError(t, err)
	assert.Equal(t, "1\ta\tnil\ttrue\t9007199254740992\t0.5\tT\n", out.String())
}

func TestErrorsUnwrap(t *testing.T) {
	_, err := CompileString("x.lua", "x = ")
	assert.True(t, errors.Is(err, ErrSyntax))
	_, err = runLua(t, Options{}, "error('x')")
	assert.True(t, errors.Is(err, ErrRuntime))
}
