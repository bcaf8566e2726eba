//go:build linux || darwin

package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// term is the flashemu REPL running in a pseudo-terminal.
type term struct {
	t    *testing.T
	f    *os.File
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan error
	// mark is where the next expect starts looking.
	mark int
}

func startTerm(t *testing.T, bin string, env []string, args ...string) *term {
	t.Helper()
	return startTermSize(t, 120, bin, env, args...)
}

// startTermSize is startTerm on a terminal cols columns wide.
func startTermSize(t *testing.T, cols uint16, bin string, env []string, args ...string) *term {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: cols})
	require.NoError(t, err)
	tm := &term{t: t, f: f, cmd: cmd, done: make(chan error, 1)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			tm.mu.Lock()
			tm.out.Write(buf[:n])
			tm.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	go func() { tm.done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		f.Close()
	})
	return tm
}

func (tm *term) send(s string) {
	tm.t.Helper()
	_, err := tm.f.Write([]byte(s))
	require.NoError(tm.t, err)
}

// expect waits until re matches the output after the mark, and moves the
// mark past the match.
func (tm *term) expect(re string, timeout time.Duration) {
	tm.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for {
		tm.mu.Lock()
		all := tm.out.String()
		tm.mu.Unlock()
		if loc := rx.FindStringIndex(all[tm.mark:]); loc != nil {
			tm.mark += loc[1]
			return
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("timed out waiting for %q; output after mark:\n%q", re, all[tm.mark:])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestREPLInPseudoTerminal(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and drives it in a pty")
	}
	bin := flashemuBinary(t)
	home := t.TempDir()
	env := []string{"HOME=" + home, "XDG_STATE_HOME=" + filepath.Join(home, "state"), "TERM=xterm", "PATH=" + os.Getenv("PATH")}
	tm := startTerm(t, bin, env, "--nor", "size=64K,sector=4K,wb=4")

	const prompt = `nor 64K> `
	tm.expect(`dev = nor 64K \(4K sectors, wb 4\)`, 10*time.Second)
	tm.expect(prompt, 10*time.Second)

	// A bare expression prints its value.
	tm.send("x = 40 + 2\r")
	tm.expect(prompt, 5*time.Second)
	tm.send("x\r")
	tm.expect(`\r?\n42\r?\n`, 5*time.Second)
	tm.expect(prompt, 5*time.Second)

	// Tab completes module fields: "check.crc3<Tab>" becomes check.crc32.
	tm.send("check.crc3\t")
	tm.expect(`crc32`, 5*time.Second)
	tm.send("('a')\r")
	tm.expect(`3904355907`, 5*time.Second)
	tm.expect(prompt, 5*time.Second)

	// Tab completes userdata methods.
	tm.send("dev:power_of\t")
	tm.expect(`power_off`, 5*time.Second)
	tm.send("()\r")
	tm.expect(prompt, 5*time.Second)
	tm.send("dev:powered()\r")
	tm.expect(`false`, 5*time.Second)
	tm.expect(prompt, 5*time.Second)

	// Tab inside flash.chip(" completes chip preset names.
	tm.send("c = flash.chip(\"w25q12\t")
	tm.expect(`w25q128jv`, 5*time.Second)
	tm.send("\")\r")
	tm.expect(prompt, 5*time.Second)
	tm.send("=c:info().size\r")
	tm.expect(`16777216`, 5*time.Second)
	tm.expect(prompt, 5*time.Second)
	tm.send("dev:powered()\r")
	tm.expect(`false`, 5*time.Second)
	tm.expect(prompt, 5*time.Second)

	// :help says where the history is kept.
	tm.send(":help\r")
	tm.expect(`history: .*state/flashemu/history`, 5*time.Second)
	tm.expect(prompt, 5*time.Second)

	// Up-arrow recalls the previous line from the history.
	tm.send("dev:powered()\r")
	tm.expect(`false`, 5*time.Second)
	tm.expect(prompt, 5*time.Second)
	tm.send("\x1b[A\r")
	tm.expect(`false`, 5*time.Second)
	tm.expect(prompt, 5*time.Second)

	// A multi-line chunk continues with the ">> " prompt.
	tm.send("for i = 1, 2 do\r")
	tm.expect(`>> `, 5*time.Second)
	tm.send("print('loop', i) end\r")
	tm.expect(`loop\s+2`, 5*time.Second)
	tm.expect(prompt, 5*time.Second)

	// Ctrl-C cancels a running chunk and the prompt comes back.
	tm.send("while true do end\r")
	time.Sleep(300 * time.Millisecond)
	tm.send("\x03")
	tm.expect(`stdin:1: interrupted`, 10*time.Second)
	tm.expect(prompt, 5*time.Second)

	// Ctrl-C at the prompt clears a pending chunk.
	tm.send("if true then\r")
	tm.expect(`>> `, 5*time.Second)
	tm.send("\x03")
	tm.expect(prompt, 5*time.Second)

	// Ctrl-D while a long command runs: the command finishes, then the REPL
	// exits; it never hangs.
	tm.send("local t = os.clock() while os.clock() - t < 1 do end print('long done')\r")
	time.Sleep(200 * time.Millisecond)
	tm.send("\x04")
	tm.expect(`long done`, 20*time.Second)
	select {
	case err := <-tm.done:
		assert.NoError(t, err, "flashemu should exit 0 on Ctrl-D")
	case <-time.After(20 * time.Second):
		tm.mu.Lock()
		out := tm.out.String()
		tm.mu.Unlock()
		t.Fatalf("REPL did not exit after Ctrl-D; output:\n%q", out)
	}

	// The history file in $XDG_STATE_HOME/flashemu kept the chunks, a
	// multi-line chunk as one entry.
	hist, err := os.ReadFile(filepath.Join(home, "state", "flashemu", "history"))
	require.NoError(t, err)
	for _, line := range []string{"x = 40 + 2", "check.crc32('a')", "dev:power_off()", "dev:powered()", "for i = 1, 2 do print('loop', i) end"} {
		assert.Contains(t, strings.Split(string(hist), "\n"), line)
	}
}

func TestREPLCtrlDAtPromptExits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and drives it in a pty")
	}
	bin := flashemuBinary(t)
	home := t.TempDir()
	tm := startTerm(t, bin, []string{"HOME=" + home, "XDG_STATE_HOME=" + home, "TERM=xterm"}, "repl", "--chip", "mt29f1g08")
	tm.expect(`nand 128M> `, 10*time.Second)
	tm.send("\x04")
	select {
	case err := <-tm.done:
		assert.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("REPL did not exit on Ctrl-D")
	}
}
