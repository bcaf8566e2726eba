package tests

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/cmd/flashemu/cli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// section returns the text of a markdown section from its heading line to
// the next heading of the same or a higher level.
func section(t *testing.T, doc, heading string) string {
	t.Helper()
	i := strings.Index(doc, "\n"+heading+"\n")
	require.GreaterOrEqual(t, i, 0, "no %q section", heading)
	level := strings.IndexByte(heading, ' ')
	rest := doc[i+len(heading)+2:]
	for _, l := range strings.SplitAfter(rest, "\n") {
		if strings.HasPrefix(l, "#") {
			if k := strings.IndexByte(l, ' '); k > 0 && k <= level {
				return rest[:strings.Index(rest, l)]
			}
		}
	}
	return rest
}

// fenced returns the contents of the fenced blocks of a language.
func fenced(text, lang string) []string {
	var out []string
	for {
		i := strings.Index(text, "```"+lang+"\n")
		if i < 0 {
			return out
		}
		text = text[i+len(lang)+4:]
		j := strings.Index(text, "```")
		out = append(out, text[:j])
		text = text[j+3:]
	}
}

// shellWords splits a command line, honouring single quotes.
func shellWords(s string) []string {
	var out []string
	var cur strings.Builder
	in, quoted := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			quoted = !quoted
			in = true
		case r == ' ' && !quoted:
			if in {
				out = append(out, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		out = append(out, cur.String())
	}
	return out
}

// TestReadmeSweepTour runs the commands of README's "Power-cut sweeps"
// tour and checks that every output line it shows is printed.
func TestReadmeSweepTour(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	blocks := fenced(section(t, string(readme), "### Power-cut sweeps"), "console")
	require.Len(t, blocks, 1)
	scripts := scriptsDir(t)
	work := t.TempDir()
	copyScripts(t, scripts, work)
	t.Chdir(work)

	type step struct {
		cmd  string
		want []string
	}
	var steps []step
	for _, l := range strings.Split(strings.TrimRight(blocks[0], "\n"), "\n") {
		if c, ok := strings.CutPrefix(l, "$ "); ok {
			steps = append(steps, step{cmd: c})
			continue
		}
		require.NotEmpty(t, steps, "output before the first command")
		if l != "..." {
			steps[len(steps)-1].want = append(steps[len(steps)-1].want, l)
		}
	}
	require.Len(t, steps, 3)
	for _, st := range steps {
		t.Run(st.cmd, func(t *testing.T) {
			args := shellWords(st.cmd)
			require.Equal(t, "flashemu", args[0])
			var out, errb bytes.Buffer
			code := cli.Main(args[1:], cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
			assert.Contains(t, []int{0, 1}, code, errb.String())
			lines := strings.Split(out.String(), "\n")
			for _, w := range st.want {
				assert.Contains(t, lines, w, "README shows a line the command does not print")
			}
		})
	}
	// What the commands say they wrote.
	assert.FileExists(t, filepath.Join(work, "out", "fcb_log_unit_0u0_1", "before.bin"))
	assert.FileExists(t, filepath.Join(work, "out", "fcb_log_unit_0u0_1", "trace.jsonl"))
	assert.FileExists(t, filepath.Join(work, "dfu.html"))
}

// TestLuaAPIDocSweepExample runs the sweep.define example of
// docs/lua-api.md and checks that its sweep passes.
func TestLuaAPIDocSweepExample(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "lua-api.md"))
	require.NoError(t, err)
	blocks := fenced(section(t, string(doc), "## sweep — power-cut exploration"), "lua")
	require.NotEmpty(t, blocks)
	src := blocks[0] + `
local r = sweep.run("fcb_log")
assert(r.ok, r.failures[1] and r.failures[1].error)
assert(r.checked > 100 and r.acked == 100, r.checked)
print(r.checked)
`
	path := filepath.Join(t.TempDir(), "doc_example.lua")
	require.NoError(t, os.WriteFile(path, []byte(src), 0o644))
	out, err := runScript(t, path)
	require.NoError(t, err)
	t.Log(strings.TrimSpace(out))
}
