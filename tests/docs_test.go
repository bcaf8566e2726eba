package tests

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flashemu/flashemu/luatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docExample is one runnable example of a document: the Lua source of a
// ```lua block marked <!-- runnable --> (or <!-- runnable, continued -->,
// appended to the previous example, or <!-- runnable test -->, a test file
// whose tests must all pass).
type docExample struct {
	line int // first line of the block that starts it
	src  string
	test bool
}

var runnableRE = regexp.MustCompile(`^<!-- runnable(, continued| test)? -->$`)

// docExamples extracts the runnable examples of a Markdown document; every
// ```lua block must be marked.
func docExamples(t *testing.T, doc string) []docExample {
	t.Helper()
	lines := strings.Split(doc, "\n")
	var out []docExample
	for i := 0; i < len(lines); i++ {
		if lines[i] != "```lua" {
			continue
		}
		j := i + 1
		for j < len(lines) && lines[j] != "```" {
			j++
		}
		require.Less(t, j, len(lines), "unterminated block at line %d", i+1)
		src := strings.Join(lines[i+1:j], "\n") + "\n"
		mark := ""
		if i > 0 {
			mark = lines[i-1]
		}
		m := runnableRE.FindStringSubmatch(mark)
		require.NotNil(t, m, "the ```lua block at line %d is not marked <!-- runnable --> (every example is tested)", i+1)
		if m[1] == ", continued" {
			require.NotEmpty(t, out, "a continued example at line %d continues nothing", i+1)
			out[len(out)-1].src += src
		} else {
			out = append(out, docExample{line: i + 1, src: src, test: m[1] == " test"})
		}
		i = j
	}
	return out
}

// TestLuaAPIDocExamples runs every example of docs/lua-api.md as its own
// script in a scratch directory: each must run without error (their
// asserts state what the text says).
func TestLuaAPIDocExamples(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "lua-api.md"))
	require.NoError(t, err)
	examples := docExamples(t, string(doc))
	require.GreaterOrEqual(t, len(examples), 14)
	for _, ex := range examples {
		t.Run("line"+itoa(ex.line), func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			if ex.test {
				require.NoError(t, os.WriteFile("example_test.lua", []byte(ex.src), 0o644))
				var fails docFailures
				sum := luatest.RunTests(context.Background(), []string{"example_test.lua"}, luatest.TestOptions{}, &fails)
				assert.True(t, sum.OK() && sum.Passed > 0, "docs/lua-api.md test example at line %d: %s %v", ex.line, sum, fails)
				return
			}
			require.NoError(t, os.WriteFile("example.lua", []byte(ex.src), 0o644))
			out, err := runScript(t, "example.lua")
			if err != nil {
				t.Fatalf("docs/lua-api.md example at line %d fails: %v\n%s\noutput:\n%s", ex.line, err, ex.src, out)
			}
		})
	}
}

// TestLuaAPIDocCoversEveryModule: each module and userdata type bound in
// Lua has a section or table row in docs/lua-api.md.
func TestLuaAPIDocCoversEveryModule(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "lua-api.md"))
	require.NoError(t, err)
	for _, name := range []string{"flash.nor", "flash.nand", "flash.chip", "flash.chips", "flash.load", "flash.from_snapshot",
		"flash.map", "flash.replay", "flash.read_trace", "dev:read", "dev:write", "dev:erase", "dev:read_oob", "dev:peek",
		"dev:info", "dev:stats", "dev:wear", "dev:clock", "dev:cycles", "dev:timing", "dev:unit_at", "dev:snapshot",
		"dev:dump", "dev:save", "dev:trace", "dev:wear_report", "dev:power_off", "dev:area", "dev:ctl", "dev:ctlinfo",
		"dev:part", "area:read", "area:flatten", "area:sectors", "area:ctl", "faults.power_cut", "faults.flip",
		"faults.stuck", "faults.bitflips", "faults.wear", "faults.fail", "faults.is_power_loss", "faults.events",
		"faults.plan", "faults.attach", "faults.advance", "faults.clear", "fcb.new", "log:append", "log:finish",
		"log:push", "log:walk", "log:entries", "log:scan", "log:getnext", "log:rotate", "log:append_to_scratch",
		"log:free_sectors", "log:is_empty", "log:last_n", "log:clear", "log:state", "log:dropped", "streamflash.new",
		"sf:write", "sf:flush", "sf:save_progress", "settings.fcb", "store:save", "store:load", "store:delete",
		"store:all", "store:dropped", "report.wear", "report.curve", "check.crc8", "check.crc16", "check.crc32",
		"check.sha256", "bit.band", "hex(", "tohex(", "describe(", "it(", "before_each", "after_each", "skip(",
		"expect(", "sweep.define", "sweep.run", "sweep.parse_id", "sweep.list"} {
		assert.Contains(t, string(doc), name, "docs/lua-api.md does not mention %s", name)
	}
}

func itoa(n int) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	s := ""
	for ; n > 0; n /= 10 {
		s = string(digits[n%10]) + s
	}
	return s
}

// docFailures collects the failed tests of a run.
type docFailures []string

func (f *docFailures) FileStart(string)         {}
func (f *docFailures) TestStart(string, string) {}
func (f *docFailures) TestDone(r luatest.TestResult) {
	if r.Status != luatest.Pass {
		*f = append(*f, r.Name+": "+r.Msg)
	}
}
func (f *docFailures) FileDone(string, bool, time.Duration) {}
func (f *docFailures) Done(luatest.Summary)                 {}
