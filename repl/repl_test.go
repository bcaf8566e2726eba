package repl

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/flashemu/flashemu/devspec"
	"github.com/flashemu/flashemu/lua"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newTestREPL(t *testing.T) (*REPL, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errw bytes.Buffer
	r, err := New(lua.Options{}, &out, &errw)
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
	d, err := devspec.Open(devspec.Choice{NOR: "size=64K,sector=4K"})
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
		{"flash.", []string{"chip", "chips", "from_snapshot", "load", "map", "nand", "nor", "open", "read_trace", "replay"}, 0},
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

func TestREPLShorthandQuitExitAndHistory(t *testing.T) {
	r, out, _ := newTestREPL(t)
	ctx := context.Background()
	var hist []string
	r.History = func(c string) { hist = append(hist, c) }
	assert.False(t, r.Feed(ctx, "=1+2"))
	assert.Equal(t, "3\n", out.String())
	assert.True(t, r.Feed(ctx, "for i = 1, 2 do"))
	assert.False(t, r.Feed(ctx, "end"))
	assert.Equal(t, []string{"=1+2", "for i = 1, 2 do\nend"}, hist, "a multi-line chunk is one history entry")
	assert.False(t, r.Done())
	r.Feed(ctx, ":q")
	assert.True(t, r.Done())
	assert.Equal(t, 0, r.Code())

	r2, _, _ := newTestREPL(t)
	r2.Feed(ctx, "os.exit(4)")
	assert.True(t, r2.Done())
	assert.Equal(t, 4, r2.Code())
	assert.Equal(t, 0, r2.Failed())
}

func TestREPLShortTraceback(t *testing.T) {
	r, out, errw := newTestREPL(t)
	ctx := context.Background()
	r.Feed(ctx, "function f(n) if n == 0 then error('deep') end f(n - 1) end")
	r.Feed(ctx, "f(6)")
	assert.Equal(t, 1, r.Failed())
	assert.Contains(t, errw.String(), "stdin:1: deep\nstack traceback:\n")
	assert.Regexp(t, `\t\.\.\. \d+ more \(:trace for all\)\n$`, errw.String())
	r.Feed(ctx, ":trace")
	assert.NotContains(t, out.String(), "more (:trace")
	assert.GreaterOrEqual(t, bytes.Count(out.Bytes(), []byte("in function 'f'")), 6)

	r.FullTraceback = true
	errw.Reset()
	r.Feed(ctx, "f(6)")
	assert.NotContains(t, errw.String(), "more (:trace")
}

func TestREPLCompletesChipNames(t *testing.T) {
	r, _, _ := newTestREPL(t)
	cands, typed := r.Complete(`d = flash.chip("w25q12`, len(`d = flash.chip("w25q12`))
	assert.Equal(t, []string{"w25q128jv"}, cands)
	assert.Equal(t, len("w25q12"), typed)
	cands, _ = r.Complete(`flash.chip('`, len(`flash.chip('`))
	assert.Greater(t, len(cands), 3, "every preset")
}
