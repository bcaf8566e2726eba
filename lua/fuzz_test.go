package lua_test

// An external test: it imports luasweep, which registers the sweep module,
// so the API it fuzzes is the one flashemu scripts see.

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flashemu/flashemu/lua"
	_ "github.com/flashemu/flashemu/luasweep"
)

// FuzzLuaAPI calls the Lua API with arbitrary arguments: every module
// function, global helper and userdata method, with values drawn from a
// palette of wrong types, negative, huge, fractional and non-finite
// numbers, odd strings and tables. The fuzz input picks up to eight calls
// and their arguments. A call may fail, but
//
//   - no Go panic may surface (a binding's panic becomes "internal error in
//     'name'", which counts as a failure here, as does an escaped one);
//   - an error raised has a message;
//   - a nil, msg, errno result has a non-empty message and a negative errno;
//   - the run ends in time (no hang) without exhausting memory.
//
// The seed corpus calls every target once with no arguments and once with
// typical ones, plus testdata/fuzz/FuzzLuaAPI.
func FuzzLuaAPI(f *testing.F) {
	targets := fuzzTargets()
	for i := range targets {
		f.Add([]byte{byte(i), byte(i >> 8), 0})
		f.Add([]byte{byte(i), byte(i >> 8), 3, 5, 9, 14})
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		src := fuzzProgram(targets, in)
		prog, err := lua.CompileString("fuzz.lua", src)
		if err != nil {
			t.Fatalf("generated program does not compile: %v\n%s", err, src)
		}
		var out strings.Builder
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		t.Chdir(t.TempDir())
		err = prog.Exec(ctx, lua.Options{Stdout: &out, MemoryLimit: 512 << 20})
		switch {
		case err == nil:
		case errors.Is(err, lua.ErrMemoryLimit):
			// Stopped cleanly by the watchdog: the host survived.
		case errors.Is(err, lua.ErrTimeout), errors.Is(err, lua.ErrInternal):
			t.Fatalf("%v\n%s", err, src)
		case strings.Contains(err.Error(), "FUZZFAIL"):
			t.Fatalf("%v\n%s", err, src)
		case errors.Is(err, lua.ErrExit):
		default:
			t.Fatalf("unexpected error outside pcall: %v\n%s", err, src)
		}
	})
}

// fuzzTarget is one callable: a Lua expression for the function and, for
// methods, the receiver variable passed first.
type fuzzTarget struct {
	name string // for messages: "flash.nor", "device:write"
	fn   string // Lua expression of the function
	recv string // receiver variable, "" for plain functions
}

// receivers maps userdata types to the prelude's variables holding one.
var fuzzReceivers = map[string][]string{
	"device":         {"D", "N"},
	"area":           {"A"},
	"fcb_log":        {"LOG"},
	"settings_store": {"ST"},
	"stream":         {"SF"},
	"snapshot":       {"SNAP"},
	"expectation":    {"EXP"},
}

// fuzzSkip are functions left out: they end or block the run by design.
var fuzzSkip = map[string]bool{
	"sweep.run": true, // runs a whole sweep engine
}

// fuzzTargets lists every bound function in a stable order: the module
// functions, global helpers and userdata methods lua.Docs lists (the
// REPL's :help), the methods once per receiver variable.
func fuzzTargets() []fuzzTarget {
	var out []fuzzTarget
	for _, m := range lua.Docs() {
		for _, fn := range m.Funcs {
			switch {
			case m.Methods:
				for _, recv := range fuzzReceivers[m.Name] {
					out = append(out, fuzzTarget{name: m.Name + ":" + fn.Name + "(" + recv + ")", fn: recv + "." + fn.Name, recv: recv})
				}
			case m.Name == "_G":
				out = append(out, fuzzTarget{name: fn.Name, fn: fn.Name})
			case !fuzzSkip[m.Name+"."+fn.Name]:
				out = append(out, fuzzTarget{name: m.Name + "." + fn.Name, fn: m.Name + "." + fn.Name})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// fuzzValues is the argument palette.
var fuzzValues = []string{
	"nil", "true", "false", "0", "-1", "1", "7", "4096", "65536", "-4096",
	"2^53", "-2^53", "2^53 + 2", "2^63", "1e308", "-1e308", "0/0", "1/0", "-1/0", "0.5", "-0.5",
	`""`, `"x"`, `"\0\255"`, `("a"):rep(5000)`, `"ff00"`, `"../x"`, `"/etc/passwd"`, `"out.bin"`, `"t.jsonl"`,
	`"add p 0 0x1000"`, `"erase all"`, `"w25q128jv"`, `"nand"`, `"%s%d"`,
	"{}", "{1, 2, 3}", "{size = -1}", "{size = 4096, sector = 4096}", "{magic = 1}", "{sidecar = true}",
	"{nth = 1, op = 'erase'}", "{after_ops = 1}", "{endurance = 1, spread = 2}", "{read_disturb = 1e308}",
	"{points = {{0, 0}, {1, 1}}}", "{counts = {1, 2}}", "{offset = -1, size = 2^60}", "{buf_len = 2^40}",
	"function() end", "function() error('inner') end", "function() return true end",
	"D", "N", "A", "LOG", "ST", "SF", "SNAP", "EXP", "coroutine.create(function() end)",
}

// fuzzProgram turns fuzz bytes into a Lua program: a prelude making one
// object of each kind, then up to eight checked calls.
func fuzzProgram(targets []fuzzTarget, in []byte) string {
	var b strings.Builder
	b.WriteString(fuzzPrelude)
	next := func() int {
		if len(in) == 0 {
			return 0
		}
		v := int(in[0])
		in = in[1:]
		return v
	}
	for call := 0; call < 8 && len(in) > 0; call++ {
		t := targets[(next()|next()<<8)%len(targets)]
		nargs := next() % 5
		args := []string{}
		if t.recv != "" {
			args = append(args, t.recv)
		}
		for i := 0; i < nargs; i++ {
			args = append(args, fuzzValues[next()%len(fuzzValues)])
		}
		fmt.Fprintf(&b, "fuzzcall(%q, %s)\n", t.name, strings.Join(append([]string{t.fn}, args...), ", "))
	}
	return b.String()
}

const fuzzPrelude = `
local function pack(...) return {n = select("#", ...), ...} end
function fuzzcall(name, f, ...)
  local r = pack(pcall(f, ...))
  if not r[1] then
    local msg = tostring(r[2])
    if msg == "" or msg == "nil" then error("FUZZFAIL " .. name .. ": an error without a message") end
    if msg:find("internal error", 1, true) then error("FUZZFAIL " .. name .. ": Go panic: " .. msg) end
  elseif r.n >= 3 and r[2] == nil and type(r[3]) == "string" then
    if r[3] == "" then error("FUZZFAIL " .. name .. ": nil with an empty message") end
    if r.n >= 4 and (type(r[4]) ~= "number" or r[4] >= 0) then
      error("FUZZFAIL " .. name .. ": nil, msg without a negative errno: " .. tostring(r[4]))
    end
  end
end
D = flash.nor{size = 16384, sector = 4096, write_block = 4}
N = flash.nand{page = 512, oob = 16, pages_per_block = 4, blocks = 8}
A = D:area{label = "a", offset = 4096, size = 8192}
LOG = assert(fcb.new(D:area{offset = 0, size = 8192}, {magic = 1}))
LOG:push("entry")
ST = assert(settings.fcb(D:area{offset = 8192, size = 8192}))
SF = assert(streamflash.new(N, {buf_len = 512}))
SNAP = D:snapshot()
EXP = expect(1)
`

// TestFuzzTargetsCoverTheAPI keeps the fuzz target honest: every module,
// global and method is in its list.
func TestFuzzTargetsCoverTheAPI(t *testing.T) {
	targets := fuzzTargets()
	names := map[string]bool{}
	for _, tg := range targets {
		names[tg.name] = true
	}
	for _, want := range []string{"flash.nor", "flash.load", "flash.replay", "report.wear", "faults.wear", "hex",
		"device:write(D)", "device:trace(N)", "area:read(A)", "fcb_log:scan(LOG)", "settings_store:dropped(ST)",
		"stream:write(SF)", "expectation:eq(EXP)", "check.crc32", "bit.band", "sweep.define"} {
		if !names[want] {
			t.Errorf("fuzz targets lack %s", want)
		}
	}
	for _, m := range lua.Docs() {
		if m.Methods && len(m.Funcs) > 0 && len(fuzzReceivers[m.Name]) == 0 {
			t.Errorf("no fuzz receiver for %s methods", m.Name)
		}
	}
	if len(targets) < 140 {
		t.Errorf("only %d targets", len(targets))
	}
}
