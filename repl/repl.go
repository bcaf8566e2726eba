package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/lua"

	glua "github.com/yuin/gopher-lua"
)

// REPL is the interactive evaluator behind `flashemu repl`, independent of
// any terminal: feed it lines, it evaluates complete chunks and prints
// results and errors. Bare expressions print their values (`1+1` prints
// 2); a chunk whose parse error is at the end of input waits for more
// lines; `:help` lists modules.
type REPL struct {
	// S is the state chunks run in.
	S *lua.State
	// Out receives results and help; Err receives error lines.
	Out, Err io.Writer
	// FullTraceback prints every error's whole Lua traceback; otherwise an
	// error prints its message and a short traceback (ShortFrames frames),
	// and :trace prints the last error's whole one.
	FullTraceback bool
	// History, if set, is called with each complete chunk as typed (a
	// multi-line chunk is one entry, its lines joined by newlines).
	History func(chunk string)
	// HistoryFile is where the terminal keeps the history (:help says so).
	HistoryFile string

	pending []string
	lastErr *lua.Error
	failed  int
	done    bool
	code    int
}

// ShortFrames is how many traceback frames an error prints by default.
const ShortFrames = 3

// Failed is the number of chunks that raised an error so far.
func (r *REPL) Failed() int { return r.failed }

// Done reports that the session should end (:quit or os.exit); Code is
// the exit status os.exit asked for.
func (r *REPL) Done() bool { return r.done }

// Code is the exit status os.exit gave (0 after :quit).
func (r *REPL) Code() int { return r.code }

// New makes a REPL with a fresh state.
func New(opts lua.Options, out, errw io.Writer) (*REPL, error) {
	if opts.Stdout == nil {
		opts.Stdout = out
	}
	s, err := lua.NewState(opts)
	if err != nil {
		return nil, err
	}
	return &REPL{S: s, Out: out, Err: errw}, nil
}

// Close closes the state.
func (r *REPL) Close() { r.S.Close() }

// Pending reports whether an incomplete chunk is waiting for more lines.
func (r *REPL) Pending() bool { return len(r.pending) > 0 }

// Reset drops the pending chunk (Ctrl-C at the prompt).
func (r *REPL) Reset() { r.pending = nil }

// Prompt is the prompt for the next line: the device bound to dev, or
// ">> " while a chunk continues.
func (r *REPL) Prompt() string {
	if r.Pending() {
		return ">> "
	}
	if d, ok := lua.DeviceOf(r.S.Global("dev")); ok {
		return fmt.Sprintf("%s %s> ", d.Dev.Kind(), api.FormatSize(d.Dev.Size()))
	}
	return "flashemu> "
}

// errIncomplete marks a chunk whose syntax error is at the end of input.
var errIncomplete = errors.New("incomplete chunk")

// Feed adds one line. When the chunk is complete it is evaluated under
// ctx and its results or error printed; more reports that the chunk needs
// more lines.
func (r *REPL) Feed(ctx context.Context, line string) (more bool) {
	if !r.Pending() {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, ":") {
			r.command(t)
			return false
		}
		if t == "" {
			return false
		}
	}
	r.pending = append(r.pending, line)
	chunk := strings.Join(r.pending, "\n")
	vals, err := r.Eval(ctx, chunk)
	if errors.Is(err, errIncomplete) {
		return true
	}
	r.pending = nil
	if r.History != nil {
		r.History(chunk)
	}
	if err != nil {
		var le *lua.Error
		if errors.As(err, &le) && errors.Is(le, lua.ErrExit) {
			r.done, r.code = true, le.Code
			return false
		}
		r.failed++
		fmt.Fprintln(r.Err, err)
		if errors.As(err, &le) {
			r.lastErr = le
			if tb := traceback(le.Traceback, r.FullTraceback); tb != "" {
				fmt.Fprintln(r.Err, tb)
			}
		}
		return false
	}
	if len(vals) > 0 {
		fmt.Fprintln(r.Out, strings.Join(vals, "\t"))
	}
	return false
}

// Eval evaluates one complete chunk: first as an expression list
// ("return " + chunk), then as statements. It returns the printed form of
// the results. An error at the end of input is errIncomplete.
func (r *REPL) Eval(ctx context.Context, chunk string) ([]string, error) {
	if t := strings.TrimLeft(chunk, " \t"); strings.HasPrefix(t, "=") {
		chunk = t[1:] // "=expr": Lua 5.1's stand-alone shorthand for "return expr"
	}
	fn, err := r.S.LoadString("stdin", "return "+chunk)
	if err != nil {
		var serr error
		fn, serr = r.S.LoadString("stdin", chunk)
		if serr != nil {
			var le *lua.Error
			if errors.As(serr, &le) && strings.HasSuffix(le.Msg, "near <eof>") && !strings.Contains(le.Msg, "unterminated string") {
				return nil, errIncomplete
			}
			return nil, serr
		}
	}
	rets, err := r.S.Call(ctx, fn)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(rets))
	for i, v := range rets {
		out[i] = r.show(v)
	}
	return out, nil
}

// show renders a result: tables as constructors, binary strings as
// hex("..."), the rest as tostring does.
func (r *REPL) show(v glua.LValue) string {
	switch x := v.(type) {
	case glua.LString:
		if !lua.Printable(string(x)) {
			return fmt.Sprintf("hex(%q)", fmt.Sprintf("%x", string(x)))
		}
		return string(x)
	case *glua.LTable:
		return lua.FormatValue(x)
	}
	return r.S.ToString(v)
}

// command runs a REPL command (":help [module]", ":quit").
func (r *REPL) command(line string) {
	f := strings.Fields(line)
	switch f[0] {
	case ":help", ":h", ":?":
		if len(f) > 1 {
			r.helpFor(f[1])
			return
		}
		fmt.Fprintln(r.Out, "modules and types (:help NAME for functions):")
		for _, m := range lua.Docs() {
			fmt.Fprintf(r.Out, "  %-12s %s\n", m.Name, m.Doc)
		}
		fmt.Fprintln(r.Out, "expressions (or =expr) print their values; :trace shows the last error's whole traceback;")
		fmt.Fprintln(r.Out, "Ctrl-C cancels, Ctrl-D, :q or os.exit() exits")
		if r.HistoryFile != "" {
			fmt.Fprintf(r.Out, "history: %s\n", r.HistoryFile)
		} else {
			fmt.Fprintln(r.Out, "history: none (not a terminal, or no state directory)")
		}
	case ":quit", ":q", ":exit":
		r.done = true
	case ":trace", ":traceback":
		if r.lastErr == nil {
			fmt.Fprintln(r.Out, "no error yet")
			return
		}
		fmt.Fprintln(r.Out, r.lastErr.Error())
		if tb := traceback(r.lastErr.Traceback, true); tb != "" {
			fmt.Fprintln(r.Out, tb)
		}
	default:
		fmt.Fprintf(r.Err, "unknown command %s (try :help)\n", f[0])
	}
}

// traceback returns tb without its header; unless full, also without Go
// functions' frames, cut after ShortFrames frames, and "" when it would
// show no more than the chunk's own frame.
func traceback(tb string, full bool) string {
	var frames []string
	for _, l := range strings.Split(tb, "\n") {
		t := strings.TrimSpace(l)
		if t == "" || strings.HasPrefix(t, "stack traceback") || strings.HasPrefix(t, "[G]: ?") {
			continue
		}
		if !full && strings.HasPrefix(t, "[G]:") {
			continue // a Go function's frame: the message names it
		}
		frames = append(frames, "\t"+t)
	}
	if len(frames) <= 1 && !full {
		return "" // the chunk itself: the message's position says it all
	}
	if !full && len(frames) > ShortFrames {
		n := len(frames) - ShortFrames
		frames = append(frames[:ShortFrames], fmt.Sprintf("\t... %d more (:trace for all)", n))
	}
	return "stack traceback:\n" + strings.Join(frames, "\n")
}

func (r *REPL) helpFor(name string) {
	for _, m := range lua.Docs() {
		if m.Name == name {
			fmt.Fprintf(r.Out, "%s: %s\n", m.Name, m.Doc)
			for _, f := range m.Funcs {
				fmt.Fprintf(r.Out, "  %-50s %s\n", f.Sig, f.Doc)
			}
			return
		}
	}
	fmt.Fprintf(r.Err, "no help for %q (:help lists modules)\n", name)
}

// ----- completion -----

// chipArgRE matches a line ending inside flash.chip("...: Tab completes
// chip preset names there.
var chipArgRE = regexp.MustCompile(`flash\.chip\s*\(\s*["']([A-Za-z0-9_.-]*)$`)

var luaKeywords = []string{"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "if", "in",
	"local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"}

// Complete completes the identifier path before pos in line: globals and
// keywords, module fields after '.', methods after ':' (of tables and of
// flashemu userdata). It returns the full candidate names of the last
// component and the length of the typed part they replace.
func (r *REPL) Complete(line string, pos int) (cands []string, typed int) {
	if pos > len(line) {
		pos = len(line)
	}
	head := line[:pos]
	if m := chipArgRE.FindStringSubmatch(head); m != nil {
		for _, c := range emu.Chips() {
			if strings.HasPrefix(c.Name, m[1]) {
				cands = append(cands, c.Name)
			}
		}
		sort.Strings(cands)
		return cands, len(m[1])
	}
	i := len(head)
	for i > 0 {
		c := head[i-1]
		if c == '_' || c == '.' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			i--
			continue
		}
		break
	}
	expr := head[i:]
	sep := strings.LastIndexAny(expr, ".:")
	prefix := expr
	var names []string
	if sep < 0 {
		g := r.S.L.Get(glua.GlobalsIndex).(*glua.LTable)
		names = append(tableKeys(g), luaKeywords...)
	} else {
		prefix = expr[sep+1:]
		obj := r.resolve(expr[:sep])
		if obj == nil {
			return nil, 0
		}
		names = fieldNames(r.S.L, obj, expr[sep] == ':')
	}
	seen := map[string]bool{}
	for _, n := range names {
		if strings.HasPrefix(n, prefix) && !seen[n] && !strings.HasPrefix(n, "__") {
			seen[n] = true
			cands = append(cands, n)
		}
	}
	sort.Strings(cands)
	return cands, len(prefix)
}

// resolve evaluates a dotted path ("flash", "dev", "string.rep") without
// running code: raw field lookups from the globals.
func (r *REPL) resolve(path string) glua.LValue {
	var cur glua.LValue = r.S.L.Get(glua.GlobalsIndex)
	for _, part := range strings.FieldsFunc(path, func(c rune) bool { return c == '.' || c == ':' }) {
		switch x := cur.(type) {
		case *glua.LTable:
			cur = x.RawGetString(part)
		default:
			return nil
		}
		if cur == glua.LNil {
			return nil
		}
	}
	return cur
}

// fieldNames lists the keys reachable from v: a table's string keys
// (functions only for ':'), a userdata's methods and, for '.', its fields.
func fieldNames(L *glua.LState, v glua.LValue, methods bool) []string {
	switch x := v.(type) {
	case *glua.LTable:
		var out []string
		x.ForEach(func(k, val glua.LValue) {
			if ks, ok := k.(glua.LString); ok {
				if !methods || val.Type() == glua.LTFunction {
					out = append(out, string(ks))
				}
			}
		})
		return out
	case *glua.LUserData:
		mt, ok := x.Metatable.(*glua.LTable)
		if !ok {
			return nil
		}
		var out []string
		if m, ok := mt.RawGetString("__methods").(*glua.LTable); ok {
			out = tableKeys(m)
		} else if m, ok := mt.RawGetString("__index").(*glua.LTable); ok {
			out = tableKeys(m)
		}
		return out
	case glua.LString:
		if methods {
			if s, ok := L.GetGlobal("string").(*glua.LTable); ok {
				return tableKeys(s)
			}
		}
	}
	return nil
}

func tableKeys(t *glua.LTable) []string {
	var out []string
	t.ForEach(func(k, _ glua.LValue) {
		if ks, ok := k.(glua.LString); ok {
			out = append(out, string(ks))
		}
	})
	return out
}

// ----- the loop -----

// ErrInterrupt is what a LineReader returns when the user pressed Ctrl-C
// at the prompt.
var ErrInterrupt = errors.New("interrupt")

// LineReader reads one line of input. It returns io.EOF at the end of
// input (Ctrl-D) and ErrInterrupt for Ctrl-C at the prompt.
type LineReader interface {
	ReadLine(prompt string) (string, error)
}

// Loop reads and evaluates lines until EOF. Lines are read only between
// evaluations, never concurrently with one. interrupts, if not nil,
// subscribes to Ctrl-C signals for the session: one that arrives during an
// evaluation cancels it; others are ignored (Ctrl-C at the prompt comes
// back from the reader as ErrInterrupt and clears a pending chunk).
func (r *REPL) Loop(lr LineReader, interrupts func() (<-chan os.Signal, func())) error {
	var mu sync.Mutex
	var cancel context.CancelFunc
	if interrupts != nil {
		ch, stop := interrupts()
		defer stop()
		done := make(chan struct{})
		defer close(done)
		go func() {
			for {
				select {
				case <-ch:
					mu.Lock()
					if cancel != nil {
						cancel()
					}
					mu.Unlock()
				case <-done:
					return
				}
			}
		}()
	}
	for {
		line, err := lr.ReadLine(r.Prompt())
		if errors.Is(err, ErrInterrupt) {
			r.Reset()
			continue
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		ctx, c := context.WithCancelCause(context.Background())
		mu.Lock()
		cancel = func() { c(lua.ErrCanceled) }
		mu.Unlock()
		r.Feed(ctx, line)
		mu.Lock()
		cancel = nil
		mu.Unlock()
		c(nil)
		if r.done {
			return nil
		}
	}
}
