package lua

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// traceRecords reads a JSON Lines trace into generic maps.
func traceRecords(t *testing.T, path string) []map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		out = append(out, m)
	}
	return out
}

func TestTraceRecordsEveryOpAndCuts(t *testing.T) {
	t.Chdir(t.TempDir())
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 16384, sector = 4096, write_block = 4, seed = 3}
faults.power_cut(dev, {after_ops = 3, fraction = 0.5, model = "prefix"})
assert(dev:trace("t.jsonl"))           -- started after the faults: still first in the chain
assert(dev:erase(0, 4096))
assert(dev:write(0, "abcd"))
print(dev:read(0, 4))
local ok, e = pcall(dev.write, dev, 4, "efghijkl")
print(ok, faults.is_power_loss(e))
dev:power_on()
print(dev:write(4, "\255"))              -- misaligned: failed, applied=false
assert(dev:trace())                      -- stop: the file appears
print(dev:trace(false))                  -- stopping twice is fine
local r = flash.read_trace("t.jsonl")
print(#r, r[4].op, r[4].data, r[4].applied, r[4].errno, r[4].fault:match("cut during") ~= nil, r[3].data)
print(#flash.read_trace("t.jsonl", {test = "x"}), select(3, flash.read_trace("none.jsonl")))
`)
	assert.Regexp(t, "^abcd\nfalse\ttrue\nnil\temu: misaligned: [^\t]*\t-22\ntrue\n4\tprogram\tefghijkl\tfalse\t-5\ttrue\tnil\n0\t-2\n$", out)
	recs := traceRecords(t, "t.jsonl")
	require.Len(t, recs, 4, "erase, program, read, cut program (the misaligned write fails validation and reaches no hook)")
	ops := []string{}
	for _, r := range recs {
		ops = append(ops, r["op"].(string))
	}
	assert.Equal(t, []string{"erase", "program", "read", "program"}, ops)
	assert.Equal(t, true, recs[0]["applied"])
	assert.Equal(t, "61626364", recs[1]["data"])
	cut := recs[3]
	assert.Equal(t, false, cut["applied"])
	assert.Equal(t, float64(-5), cut["errno"])
	assert.Contains(t, cut["fault"], "cut", "the injector's event annotates the cut operation")
	assert.Equal(t, 1, strings.Count(cut["fault"].(string), "cut during"), "annotated once: %s", cut["fault"])
	assert.Greater(t, cut["start_ns"], float64(0))
	// No temporary files are left behind.
	left, _ := filepath.Glob(".t.jsonl.tmp*")
	assert.Empty(t, left)
}

func TestTraceReplayReproducesTheArray(t *testing.T) {
	t.Chdir(t.TempDir())
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 16384, sector = 4096, write_block = 4}
dev:trace("t.jsonl")
local log = assert(fcb.new(dev:area{}, {magic = 7}))
for i = 1, 40 do assert(log:push(("rec %02d"):format(i))) end
local mid = dev:stats().writes + dev:stats().erases + dev:stats().reads
for i = 41, 60 do assert(log:push(("rec %02d"):format(i))) end
assert(log:rotate())
dev:trace()
local copy = flash.nor{size = 16384, sector = 4096, write_block = 4}
local n = assert(flash.replay(copy, "t.jsonl"))
print(n > 100, copy:dump() == dev:dump())
-- before=SEQ: the state just before operation SEQ.
local early = flash.nor{size = 16384, sector = 4096, write_block = 4}
assert(flash.replay(early, "t.jsonl", {before = 5}))
print(early:dump() == dev:dump())
local recs = assert(flash.read_trace("t.jsonl"))
print(#recs > 100, recs[1].seq, recs[1].op, recs[1].applied, recs[2].op)
print(flash.replay(copy, "missing.jsonl"))
print(pcall(flash.replay, copy, "/etc/passwd"))
`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 5, out)
	assert.Equal(t, "true\ttrue", lines[0])
	assert.Equal(t, "false", lines[1])
	assert.Equal(t, "true\t0\tread\ttrue\tread", lines[2], "fcb_init reads the sector headers first")
	assert.Regexp(t, `^nil\tlua: no such file: openat missing.jsonl: .*\t-2$`, lines[3])
	assert.Regexp(t, `^false\t.*bad argument #2 to 'replay' \(.*sandbox`, lines[4])
}

func TestReplayTraceOptions(t *testing.T) {
	d := func() *emu.Device {
		d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
		require.NoError(t, err)
		return d
	}
	trace := `{"test":"a","seq":0,"op":"program","off":0,"len":1,"page":-1,"applied":true,"data":"00"}
{"test":"b","seq":0,"op":"program","off":1,"len":1,"page":-1,"applied":true,"data":"00"}
{"test":"b","seq":1,"op":"program","off":2,"len":1,"page":-1,"applied":true,"data":"00"}
`
	tests := []struct {
		name    string
		opts    emu.ReplayOptions
		applied int
		zeros   []int64
		err     string
	}{
		{name: "several tests need a choice", err: `several tests' records (choose one): "a" and "b" (line 2)`},
		{name: "test a", opts: emu.ReplayOptions{Test: "a"}, applied: 1, zeros: []int64{0}},
		{name: "test b", opts: emu.ReplayOptions{Test: "b"}, applied: 2, zeros: []int64{1, 2}},
		{name: "test b before 1", opts: emu.ReplayOptions{Test: "b", Before: 1, HasBefore: true}, applied: 1, zeros: []int64{1}},
		{name: "unknown test", opts: emu.ReplayOptions{Test: "c"}, err: `no records of that test in the trace: "c"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dev := d()
			n, err := emu.ReplayTrace(dev, strings.NewReader(trace), tc.opts)
			if tc.err != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.err)
				assert.Less(t, errno.Of(err), 0)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.applied, n)
			buf := make([]byte, 4)
			require.NoError(t, dev.Peek(0, buf))
			for _, z := range tc.zeros {
				assert.Equal(t, byte(0), buf[z], "offset %d", z)
			}
		})
	}
	_, err := emu.ReplayTrace(d(), strings.NewReader("{\"seq\":0}\nnot json\n"), emu.ReplayOptions{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 2")
	_, err = emu.ReplayTrace(d(), strings.NewReader(`{"seq":0,"op":"program","off":9000,"len":1,"page":-1,"applied":true,"data":"00"}`), emu.ReplayOptions{})
	require.Error(t, err, "a record outside the device")
}

func TestTraceSinkTagsAndFirstDevice(t *testing.T) {
	var buf bytes.Buffer
	sink := NewTraceSink(&buf)
	prog, err := CompileString("t.lua", `
local a = flash.nor{size = 8192, sector = 4096}
local b = flash.nor{size = 8192, sector = 4096}
a:write(0, "x") b:write(0, "y")`)
	require.NoError(t, err)
	require.NoError(t, prog.Exec(context.Background(), Options{Trace: sink, TraceTag: `t.lua/it "q"`}))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	require.Len(t, lines, 1, "only the first device is traced")
	var rec map[string]any
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &rec))
	assert.Equal(t, `t.lua/it "q"`, rec["test"])
	assert.Equal(t, "78", rec["data"])
}

func TestTraceFileIsAtomic(t *testing.T) {
	t.Chdir(t.TempDir())
	require.NoError(t, os.WriteFile("t.jsonl", []byte("old\n"), 0o644))
	prog, err := CompileString("t.lua", `
local dev = flash.nor{size = 8192, sector = 4096}
dev:trace("t.jsonl")
dev:write(0, "x")
local f = assert(io.open("t.jsonl"))
print(f:read("*a"))
f:close()`)
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, prog.Exec(context.Background(), Options{AllowIO: true, Stdout: &out}))
	assert.Equal(t, "old\n\n", out.String(), "while tracing, the old file is intact")
	b, err := os.ReadFile("t.jsonl")
	require.NoError(t, err)
	assert.Contains(t, string(b), `"op":"program"`, "the trace replaced it when the script ended")
}

func TestWithoutHook(t *testing.T) {
	a, b, c := &emu.Tracer{}, &emu.Tracer{}, &emu.Tracer{}
	assert.Nil(t, withoutHook(a, a))
	assert.Equal(t, emu.Hook(b), withoutHook(emu.Hooks{a, b}, a))
	assert.Equal(t, emu.Hook(emu.Hooks{b, c}), withoutHook(emu.Hooks{emu.Hooks{a, b}, c}, a))
	assert.Equal(t, emu.Hook(b), withoutHook(b, a))
}
