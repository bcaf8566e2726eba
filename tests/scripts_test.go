// Package tests holds integration tests over the whole project. This file
// runs every Lua script in scripts/ so that CI covers them: each
// scripts/*_test.lua through the Lua test runner (one Go subtest per Lua
// test) and every other scripts/*.lua as an example that must run without
// error.
//
// An example that is not meant to run on its own (a library required by
// other scripts, or one needing arguments) says so in its first lines with
// the comment "-- flashemu: no-run".
package tests

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flashemu/flashemu/lua"
	"github.com/flashemu/flashemu/luatest"
	"github.com/stretchr/testify/require"
)

// scriptsDir is the repository's scripts directory.
func scriptsDir(t *testing.T) string {
	dir, err := filepath.Abs(filepath.Join("..", "scripts"))
	require.NoError(t, err)
	return dir
}

// goReporter turns Lua test results into Go subtests.
type goReporter struct {
	t    *testing.T
	base string
}

func (g *goReporter) FileStart(string)         {}
func (g *goReporter) TestStart(string, string) {}
func (g *goReporter) TestDone(r luatest.TestResult) {
	name, _ := filepath.Rel(g.base, r.File)
	g.t.Run(name+"/"+r.Name, func(t *testing.T) {
		if r.Output != "" {
			t.Log(strings.TrimRight(r.Output, "\n"))
		}
		switch r.Status {
		case luatest.Fail:
			t.Error(r.Msg)
		case luatest.Skip:
			t.Skip(r.Msg)
		}
	})
}
func (g *goReporter) FileDone(string, bool, time.Duration) {}
func (g *goReporter) Done(luatest.Summary)                 {}

func TestLuaTestScripts(t *testing.T) {
	dir := scriptsDir(t)
	files, err := luatest.DiscoverTests([]string{dir})
	require.NoError(t, err)
	if len(files) == 0 {
		t.Skip("no scripts/*_test.lua yet")
	}
	// Scripts that write files write them into a scratch directory.
	t.Chdir(t.TempDir())
	sum := luatest.RunTests(context.Background(), files, luatest.TestOptions{Timeout: 2 * time.Minute}, &goReporter{t: t, base: dir})
	t.Logf("%s", sum)
}

func TestExampleScripts(t *testing.T) {
	dir := scriptsDir(t)
	examples, err := filepath.Glob(filepath.Join(dir, "*.lua"))
	require.NoError(t, err)
	// Scripts run from a working directory holding a copy of the scripts
	// directory, by relative path, as a user runs them from the repository
	// root (flashemu run scripts/x.lua): their data files next to them are
	// inside the sandbox, and what they write stays in scratch.
	work := t.TempDir()
	copyScripts(t, dir, work)
	t.Chdir(work)
	for _, path := range examples {
		if strings.HasSuffix(path, "_test.lua") {
			continue
		}
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			require.NoError(t, err)
			head := string(src)
			if len(head) > 512 {
				head = head[:512]
			}
			if strings.Contains(head, "-- flashemu: no-run") {
				t.Skip("marked no-run")
			}
			prog, err := lua.Compile(filepath.Join("scripts", filepath.Base(path)))
			require.NoError(t, err)
			var out strings.Builder
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			err = prog.Exec(ctx, lua.Options{Stdout: &out})
			t.Log(strings.TrimRight(out.String(), "\n"))
			require.NoError(t, err)
		})
	}
}
