package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/chzyer/readline"
	"github.com/flashemu/flashemu/devspec"
	"github.com/flashemu/flashemu/repl"
)

// cmdREPL is flashemu [repl]: the interactive prompt with dev bound to the
// chosen device.
func cmdREPL(c *invocation) error {
	if len(c.p.pos) > 0 {
		return usagef("unexpected argument %q", c.p.pos[0])
	}
	opts, err := c.stateOptions()
	if err != nil {
		return err
	}
	d, err := devspec.Open(c.deviceChoice())
	if err != nil {
		return usagef("%v", err)
	}
	r, err := repl.New(opts, c.env.Stdout, c.env.Stderr)
	if err != nil {
		return err
	}
	defer r.Close()
	dev := r.S.NewDevice(d)
	r.S.SetGlobal("dev", dev)
	r.FullTraceback = c.p.boolean("traceback")

	var lr lineReader
	if c.env.Terminal {
		fmt.Fprintf(c.env.Stdout, "flashemu %s: dev = %s\n:help lists modules; Ctrl-C cancels, Ctrl-D exits\n", version(), r.S.ToString(dev))
		rl, err := newReadline(c.env, r)
		if err != nil {
			return err
		}
		lr = rl
	} else {
		lr = &plainReader{r: bufio.NewReader(c.env.Stdin)}
	}
	defer lr.Close()
	if err := r.Loop(lr, c.env.Interrupts); err != nil {
		return err
	}
	switch {
	case r.Done() && r.Code() != 0:
		return exitError{code: r.Code()}
	case r.Done():
		return nil
	case !c.env.Terminal && r.Failed() > 0:
		// Piped input is a script: a failing chunk fails it.
		return exitError{code: 1}
	}
	return nil
}

// lineReader is the REPL's input: readline on a terminal, plain lines
// otherwise.
type lineReader interface {
	repl.LineReader
	Close() error
}

// plainReader reads lines without editing, prompts or history (stdin is
// not a terminal: a pipe or a file).
type plainReader struct{ r *bufio.Reader }

func (p *plainReader) ReadLine(string) (string, error) {
	line, err := p.r.ReadString('\n')
	if err == io.EOF && line != "" {
		return line, nil
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (p *plainReader) Close() error { return nil }

// rlReader adapts chzyer/readline v1.5.1, avoiding its two hangs:
//
//   - Readline is only called between evaluations, never concurrently with
//     one (evaluation runs with a cancellable context; SIGINT is ours).
//   - Ctrl-D pressed while a command runs reaches readline, once it is back
//     in raw mode, as a NUL byte (the tty's canonical-mode EOF marker).
//     readline reports io.EOF, but its terminal goroutine goes on reading
//     stdin, and Instance.Close waits for that goroutine: it would hang
//     forever, because readline's own stdin wrapper never closes the
//     cancelable reader underneath. We give readline a CancelableStdin we
//     own and close it first, which ends that read.
type rlReader struct {
	rl    *readline.Instance
	stdin *readline.CancelableStdin
}

// historyPath is the REPL history file, state kept between sessions:
// $XDG_STATE_HOME/flashemu/history, by default
// ~/.local/state/flashemu/history.
func historyPath(env Env) string {
	dir := env.Getenv("XDG_STATE_HOME")
	if dir == "" {
		home := env.Getenv("HOME")
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return ""
			}
			home = h
		}
		dir = filepath.Join(home, ".local", "state")
	}
	dir = filepath.Join(dir, "flashemu")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ""
	}
	return filepath.Join(dir, "history")
}

func newReadline(env Env, r *repl.REPL) (*rlReader, error) {
	stdin := readline.NewCancelableStdin(env.Stdin)
	hist := historyPath(env)
	rl, err := readline.NewEx(&readline.Config{
		Stdin:                  stdin,
		Prompt:                 r.Prompt(),
		HistoryFile:            hist,
		DisableAutoSaveHistory: true, // a multi-line chunk is one entry: saved by r.History
		HistoryLimit:           1000,
		HistorySearchFold:      true,
		AutoComplete:           completer{r},
		InterruptPrompt:        "^C",
		EOFPrompt:              "",
		Stdout:                 env.Stdout,
		Stderr:                 env.Stderr,
	})
	if err != nil {
		stdin.Close()
		return nil, err
	}
	r.HistoryFile = hist
	r.History = func(chunk string) {
		for _, e := range historyEntries(chunk) {
			_ = rl.SaveHistory(e)
		}
	}
	return &rlReader{rl: rl, stdin: stdin}, nil
}

// historyEntries turns a chunk into history lines (the history file holds
// one entry per line): a multi-line chunk becomes one entry, its lines
// joined by spaces, which Lua reads the same — unless it holds a "--"
// comment or a long string ("[[", "[="), whose meaning depends on line
// ends: such a chunk is kept as its lines.
func historyEntries(chunk string) []string {
	lines := strings.Split(chunk, "\n")
	if len(lines) == 1 {
		return lines
	}
	if strings.Contains(chunk, "--") || strings.Contains(chunk, "[[") || strings.Contains(chunk, "[=") {
		return lines
	}
	for i, l := range lines {
		lines[i] = strings.TrimSpace(l)
	}
	return []string{strings.Join(lines, " ")}
}

func (l *rlReader) ReadLine(prompt string) (string, error) {
	l.rl.SetPrompt(prompt)
	line, err := l.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", repl.ErrInterrupt
	}
	return line, err
}

// Close ends readline's stdin reader first (see rlReader), then readline.
// As a last guard it gives up waiting after a second: the process is
// exiting anyway and the terminal was restored when the last line ended.
func (l *rlReader) Close() error {
	l.stdin.Close()
	done := make(chan error, 1)
	go func() { done <- l.rl.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Second):
		return nil
	}
}

// completer adapts REPL.Complete to readline's AutoCompleter.
type completer struct{ r *repl.REPL }

func (c completer) Do(line []rune, pos int) ([][]rune, int) {
	head := string(line[:pos])
	cands, typed := c.r.Complete(head, len(head))
	out := make([][]rune, 0, len(cands))
	for _, cand := range cands {
		out = append(out, []rune(cand[typed:]))
	}
	return out, typed
}
