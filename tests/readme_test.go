package tests

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/cmd/flashemu/cli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The README's tour: every command it shows runs and prints what it says,
// the pictures are what the commands draw, and the set-up commands stay.

func readme(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoScripts, "..", "README.md"))
	require.NoError(t, err)
	return string(b)
}

func TestReadmeSetUpCommands(t *testing.T) {
	r := readme(t)
	// The set-up commands are shown (their spacing and comments are free).
	assert.Regexp(t, `(?m)^go run \./cmd/flashemu test scripts/(\s|$)`, r)
	assert.Regexp(t, `(?m)^go test \./\.\.\.(\s|$)`, r)
	assert.Contains(t, r, "](docs/lua-api.md)")
	// Every picture and file the README links to exists.
	for _, m := range regexp.MustCompile(`(?:src="|\]\()((?:docs|scripts)/[^")#]+)`).FindAllStringSubmatch(r, -1) {
		assert.FileExists(t, filepath.Join(repoScripts, "..", m[1]), "README links to %s", m[1])
	}
}

// consoleSteps splits a console block into commands and the lines each
// prints ("..." lines skipped).
type consoleStep struct {
	cmd  string
	want []string
}

func consoleSteps(t *testing.T, block string) []consoleStep {
	t.Helper()
	var steps []consoleStep
	for _, l := range strings.Split(strings.TrimRight(block, "\n"), "\n") {
		if c, ok := strings.CutPrefix(l, "$ "); ok {
			steps = append(steps, consoleStep{cmd: c})
			continue
		}
		require.NotEmpty(t, steps, "output before the first command")
		if l != "..." {
			steps[len(steps)-1].want = append(steps[len(steps)-1].want, l)
		}
	}
	return steps
}

// runTourSection runs every command of a README section's console block
// in the current directory and checks that each shown line is printed.
func runTourSection(t *testing.T, heading string) {
	blocks := fenced(section(t, readme(t), heading), "console")
	require.Len(t, blocks, 1, "%s has one console block", heading)
	for _, st := range consoleSteps(t, blocks[0]) {
		args := shellWords(st.cmd)
		require.Equal(t, "flashemu", args[0])
		var out, errb bytes.Buffer
		code := cli.Main(args[1:], cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
		require.Equal(t, 0, code, "%s: %s", st.cmd, errb.String())
		lines := strings.Split(out.String(), "\n")
		for _, w := range st.want {
			assert.Contains(t, lines, w, "%s: README shows a line the command does not print", st.cmd)
		}
	}
}

func TestReadmeWearTour(t *testing.T) {
	scriptWork(t)
	runTourSection(t, "### A wear-endurance study, and its pictures")
	// The pictures are what the study draws (the PNGs are rendered from
	// these SVGs with rsvg-convert).
	for _, p := range []struct{ made, committed string }{
		{"out/naive/wear.svg", "docs/img/wear_naive.svg"},
		{"out/naive/endurance.svg", "docs/img/endurance.svg"},
	} {
		made, err := os.ReadFile(p.made)
		require.NoError(t, err)
		committed, err := os.ReadFile(filepath.Join(repoScripts, "..", p.committed))
		require.NoError(t, err)
		assert.Equal(t, string(made), string(committed), "%s is stale: copy %s and render the PNG again", p.committed, p.made)
		png, err := os.ReadFile(filepath.Join(repoScripts, "..", strings.TrimSuffix(p.committed, ".svg")+".png"))
		require.NoError(t, err)
		assert.True(t, bytes.HasPrefix(png, []byte("\x89PNG")), "%s.png", p.committed)
	}
}

func TestReadmeFieldTour(t *testing.T) {
	scriptWork(t)
	runTourSection(t, "### A field failure, reproduced")
	b, err := os.ReadFile("before.bin")
	require.NoError(t, err)
	dump, err := os.ReadFile(filepath.Join(repoScripts, "testdata", "field_dump.bin"))
	require.NoError(t, err)
	assert.Equal(t, dump[:1329], b[:1329], "the replay before the cut matches the dump up to the torn payload")
	assert.NotEqual(t, dump, b)
}

// TestReadmeREPLTour feeds the REPL session's input lines to flashemu and
// checks every output line the README shows.
func TestReadmeREPLTour(t *testing.T) {
	blocks := fenced(section(t, readme(t), "### A REPL session"), "console")
	require.Len(t, blocks, 1)
	lines := strings.Split(strings.TrimRight(blocks[0], "\n"), "\n")
	cmd, ok := strings.CutPrefix(lines[0], "$ ")
	require.True(t, ok)
	args := shellWords(cmd)
	require.Equal(t, "flashemu", args[0])
	var input strings.Builder
	var want []string
	prompt := regexp.MustCompile(`^(nor|nand) \d+[KMG]?> `)
	for _, l := range lines[1:] {
		if p := prompt.FindString(l); p != "" {
			input.WriteString(l[len(p):] + "\n")
			continue
		}
		want = append(want, l)
	}
	require.NotEmpty(t, want)
	t.Chdir(t.TempDir())
	var out, errb bytes.Buffer
	code := cli.Main(args[1:], cli.Env{Stdin: strings.NewReader(input.String()), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	// Piped input is run as a script, and the tour's power cut fails one
	// chunk on purpose: exit status 1.
	require.Equal(t, 1, code, errb.String())
	got := append(strings.Split(out.String(), "\n"), strings.Split(errb.String(), "\n")...)
	for _, w := range want {
		assert.Contains(t, got, w, "README shows a REPL line flashemu does not print")
	}
	// What goes to stdout comes in the README's order.
	outLines := strings.Split(out.String(), "\n")
	k := 0
	for _, w := range want {
		if !strings.HasPrefix(w, "stdin:") { // errors go to stderr
			for k < len(outLines) && outLines[k] != w {
				k++
			}
			assert.Less(t, k, len(outLines), "%q is not in the README's order", w)
		}
	}
}
