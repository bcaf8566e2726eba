package lua

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/flashemu/flashemu/emu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestREPL(t *testing.T) (*REPL, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errw bytes.Buffer
	r, err := NewREPL(Options{}, &out, &errw)
	require.NoError(t, err)
	t.Cleanup(r.Close)
	return r, &out, &errw
}

func TestREPLEval(t *testing.T) {
	r, _, _ := newTestREPL(t)
	ctx := context.Background()
	tests := []struct {
		chunk string
		want  []string
		err   string
	}{
		{chunk: "1+1", want: []string{"2"}},
		{chunk: "x = 40", want: []string{}},
		{chunk: "x + 2, 'a', nil", want: []string{"42", "a", "nil"}},
		{chunk: "{1, 2, k = 'v'}", want: []string{`{1, 2, k = "v"}`}},
		{chunk: "hex('00ff')", want: []string{`hex("00ff")`}},
		{chunk: "local y = 1; return y + 1", want: []string{"2"}},
		{chunk: "for i = 1, 2 do\nz = i\nend", want: []string{}},
		{chunk: "z", want: []string{"2"}},
		{chunk: "error('bad')", err: "stdin:1: bad"},
		{chunk: "1 +* 2", err: "stdin:1: syntax error near '1'"}, // the statement parse's error, as in lua 5.3
		{chunk: "for i = 1, 2 do", err: "incomplete chunk"},
		{chunk: "x = 'unterminated", err: "stdin:1: unterminated string near <eof>"},
	}
	for _, tt := range tests {
		got, err := r.Eval(ctx, tt.chunk)
		if tt.err != "" {
			require.Error(t, err, tt.chunk)
			assert.Equal(t, tt.err, err.Error(), tt.chunk)
			continue
		}
		require.NoError(t, err, tt.chunk)
		assert.Equal(t, tt.want, got, tt.chunk)
	}
}

func TestREPLFeedMultiLine(t *testing.T) {
	r, out, errw := newTestREPL(t)
	ctx := context.Background()
	assert.Equal(t, "flashemu> ", r.Prompt())
	assert.True(t, r.Feed(ctx, "function f(a)"))
	assert.True(t, r.Pending())
	assert.Equal(t, ">> ", r.Prompt())
	assert.True(t, r.Feed(ctx, "  return a * 2"))
	assert.False(t, r.Feed(ctx, "end"))
	assert.False(t, r.Pending())
	assert.False(t, r.Feed(ctx, "f(21)"))
	assert.Equal(t, "42\n", out.String())

	// A long string continues across lines too.
	assert.True(t, r.Feed(ctx, "s = [[a"))
	assert.False(t, r.Feed(ctx, "b]]"))
	assert.False(t, r.Feed(ctx, "#s"))
	assert.Equal(t, "42\n3\n", out.String())

	// Reset drops a pending chunk (Ctrl-C at the prompt).
	assert.True(t, r.Feed(ctx, "if true then"))
	r.Reset()
	assert.False(t, r.Pending())
	assert.False(t, r.Feed(ctx, "nosuch.field"))
	assert.Equal(t, "stdin:1: attempt to index a non-table object(nil) with key 'field'\n", errw.String())
	assert.False(t, r.Feed(ctx, ""))
}

func TestREPLPromptShowsDevice(t *testing.T) {
	r, _, _ := newTestREPL(t)
	d, err := OpenDevice(DeviceChoice{NOR: "size=64K,sector=4K"})
	require.NoError(t, err)
	r.S.SetGlobal("dev", r.S.NewDevice(d))
	assert.Equal(t, "nor 64K> ", r.Prompt())
}

func TestREPLHelp(t *testing.T) {
	r, out, errw := newTestREPL(t)
	r.Feed(context.Background(), ":help")
	for _, m := range []string{"flash", "check", "bit", "fcb", "streamflash", "settings", "faults", "device", "area"} {
		assert.Regexp(t, `(?m)^  `+m+` +\S`, out.String())
	}
	out.Reset()
	r.Feed(context.Background(), ":help device")
	assert.Contains(t, out.String(), "dev:write(off, data) --> true | nil, msg, errno")
	r.Feed(context.Background(), ":help nosuch")
	r.Feed(context.Background(), ":frob")
	assert.Equal(t, "no help for \"nosuch\" (:help lists modules)\nunknown command :frob (try :help)\n", errw.String())
}

func TestREPLComplete(t *testing.T) {
	r, _, _ := newTestREPL(t)
	ctx := context.Background()
	_, err := r.Eval(ctx, "dev = flash.nor{}; area = dev:area{}; myvar = 1; tbl = {alpha = 1, beta = function() end}")
	require.NoError(t, err)
	tests := []struct {
		line  string
		want  []string
		typed int
	}{
		{"fla", []string{"flash"}, 3},
		{"my", []string{"myvar"}, 2},
		{"x = flash.n", []string{"nand", "nor"}, 1},
		{"flash.", []string{"chip", "chips", "from_snapshot", "load", "map", "nand", "nor", "read_trace", "replay"}, 0},
		{"dev:wr", []string{"write", "write_oob"}, 2},
		{"dev:power_o", []string{"power_off", "power_on"}, 7},
		{"area:s", []string{"sectors"}, 1},
		{"print(check.crc", []string{"crc16", "crc32", "crc8"}, 3},
		{"tbl:", []string{"beta"}, 0},
		{"tbl.", []string{"alpha", "beta"}, 0},
		{"wh", []string{"while"}, 2},
		{"nosuch.x", nil, 0},
		{"string.re", []string{"rep", "reverse"}, 2},
	}
	for _, tt := range tests {
		got, typed := r.Complete(tt.line, len(tt.line))
		assert.Equal(t, tt.want, got, tt.line)
		if tt.want != nil {
			assert.Equal(t, tt.typed, typed, tt.line)
		}
	}
	// The cursor position counts, not the end of the line.
	got, _ := r.Complete("fla + 1", 3)
	assert.Equal(t, []string{"flash"}, got)
}

// scriptedReader is a LineReader over a list of lines; a nil entry is a
// Ctrl-C at the prompt. hook, if set, runs before returning line i.
type scriptedReader struct {
	lines   []*string
	i       int
	prompts []string
	hook    func(i int)
}

func (s *scriptedReader) ReadLine(prompt string) (string, error) {
	s.prompts = append(s.prompts, prompt)
	if s.i >= len(s.lines) {
		return "", io.EOF
	}
	l := s.lines[s.i]
	if s.hook != nil {
		s.hook(s.i)
	}
	s.i++
	if l == nil {
		return "", ErrInterrupt
	}
	return *l, nil
}

func lines(ls ...any) []*string {
	var out []*string
	for _, l := range ls {
		if l == nil {
			out = append(out, nil)
			continue
		}
		s := l.(string)
		out = append(out, &s)
	}
	return out
}

func TestREPLLoopInterruptAndEOF(t *testing.T) {
	r, out, errw := newTestREPL(t)
	sig := make(chan os.Signal, 1)
	interrupts := func() (<-chan os.Signal, func()) { return sig, func() {} }
	lr := &scriptedReader{lines: lines(
		"while true do end", // cancelled by the signal below
		"if x then",         // pending...
		nil,                 // ...cleared by Ctrl-C at the prompt
		"1+1",
	)}
	// Deliver Ctrl-C shortly after the endless loop starts.
	lr.hook = func(i int) {
		if i == 0 {
			time.AfterFunc(50*time.Millisecond, func() { sig <- os.Interrupt })
		}
	}
	done := make(chan error, 1)
	go func() { done <- r.Loop(lr, interrupts) }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("REPL loop did not end")
	}
	assert.Equal(t, "2\n", out.String())
	assert.Regexp(t, `^stdin:1: interrupted\n$`, errw.String())
	assert.Equal(t, []string{"flashemu> ", "flashemu> ", ">> ", "flashemu> ", "flashemu> "}, lr.prompts)
}

type failingReader struct{}

func (failingReader) ReadLine(string) (string, error) { return "", errors.New("tty gone") }

func TestREPLLoopReaderError(t *testing.T) {
	r, _, _ := newTestREPL(t)
	assert.EqualError(t, r.Loop(failingReader{}, nil), "tty gone")
}

func TestOpenDevice(t *testing.T) {
	d, err := OpenDevice(DeviceChoice{})
	require.NoError(t, err)
	assert.Equal(t, int64(1<<20), d.Size())
	d, err = OpenDevice(DeviceChoice{Chip: "w25q128jv"})
	require.NoError(t, err)
	assert.Equal(t, int64(16<<20), d.Size())
	d, err = OpenDevice(DeviceChoice{NAND: "page=2K,oob=64,ppb=64,blocks=8,bad=1+3"})
	require.NoError(t, err)
	assert.Equal(t, emu.NAND, d.Kind())
	assert.Equal(t, []int{1, 3}, d.Config().BadBlocks)
	d, err = OpenDevice(DeviceChoice{NOR: "sectors=4x16K+1x64K+7x128K,wb=1,protect_boot"})
	require.NoError(t, err)
	assert.Equal(t, 12, d.UnitCount())
	assert.True(t, d.Protected(0))
	_, err = OpenDevice(DeviceChoice{Chip: "x", NOR: "size=1M"})
	assert.ErrorContains(t, err, "choose one of --chip, --nor and --nand")
	_, err = OpenDevice(DeviceChoice{Chip: "nope"})
	assert.ErrorIs(t, err, emu.ErrUnknownChip)

	img := t.TempDir() + "/img.bin"
	require.NoError(t, os.WriteFile(img, []byte(strings.Repeat("z", 5000)), 0o644))
	d, err = OpenDevice(DeviceChoice{Image: img})
	require.NoError(t, err)
	assert.Equal(t, int64(8192), d.Size())
	buf := make([]byte, 2)
	require.NoError(t, d.Read(4999, buf))
	assert.Equal(t, []byte{'z', 0xff}, buf)
	_, err = OpenDevice(DeviceChoice{Image: img, NOR: "size=4K"})
	assert.ErrorIs(t, err, emu.ErrCorruptImage)
}

func TestConfigFromSpec(t *testing.T) {
	tests := []struct {
		kind emu.Kind
		spec string
		err  string
		chk  func(t *testing.T, c emu.Config)
	}{
		{emu.NOR, "size=1M,sector=4K,wb=4", "", func(t *testing.T, c emu.Config) {
			assert.Equal(t, int64(1<<20), c.Size)
			assert.Equal(t, 4096, c.EraseUnit)
			assert.Equal(t, 4, c.WriteBlock)
		}},
		{emu.NOR, "size=0x10000,ev=0,max_programs=2,violations=count,seed=9,timing=none", "", func(t *testing.T, c emu.Config) {
			assert.Equal(t, int64(0x10000), c.Size)
			assert.Equal(t, byte(0), c.EraseValue)
			assert.Equal(t, 2, c.MaxPrograms)
			assert.Equal(t, emu.ViolationsCount, c.Violations)
			assert.Equal(t, uint64(9), c.Seed)
			assert.Equal(t, emu.Timing{}, c.Timing)
		}},
		{emu.NOR, "chip=nrf52840,size=512K", "", func(t *testing.T, c emu.Config) {
			assert.Equal(t, "nrf52840", c.Name)
			assert.Equal(t, int64(512<<10), c.Size)
			assert.Equal(t, 2, c.MaxPrograms)
		}},
		{emu.NAND, "page=4K,oob=128,ppb=32,blocks=16,nop=1,ecc=8", "", func(t *testing.T, c emu.Config) {
			assert.Equal(t, 4096, c.PageSize)
			assert.Equal(t, 128, c.OOBSize)
			assert.Equal(t, 32, c.PagesPerBlock)
			assert.Equal(t, 16, c.Blocks)
			assert.Equal(t, 1, c.NOP)
			assert.Equal(t, 8, c.ECCBits)
		}},
		{emu.NOR, "size=1M,size=2M", `duplicate key "size"`, nil},
		{emu.NOR, "sise=1M", `unknown key "sise" (known: aligned_reads, chip, erase_value, max_programs, name, no_explicit_erase, protect_boot, sector, sectors, seed, size, timing, violations, write_block)`, nil},
		{emu.NOR, "size=lots", `size: bad number "lots"`, nil},
		{emu.NOR, "aligned_reads=perhaps", `aligned_reads: bad boolean "perhaps"`, nil},
		{emu.NOR, "sectors=4x", `sectors: bad run "4x" (want COUNTxSIZE, e.g. 4x16K)`, nil},
		{emu.NOR, "ev=256", `erase_value: 256 out of range [0, 255]`, nil},
		{emu.NAND, "chip=w25q128jv", `chip: w25q128jv is a nor chip`, nil},
		{emu.NOR, "timing=fast", `timing: "fast": only timing=none or timing=default in a SPEC`, nil},
	}
	for _, tt := range tests {
		c, err := ConfigFromSpec(tt.kind, tt.spec)
		if tt.err != "" {
			assert.EqualError(t, err, tt.err, tt.spec)
			continue
		}
		require.NoError(t, err, tt.spec)
		tt.chk(t, c)
		_, err = emu.New(c)
		assert.NoError(t, err, tt.spec)
	}
}
