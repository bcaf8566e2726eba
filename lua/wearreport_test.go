package lua

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// checkGolden compares got with testdata/name (rewriting it with -update).
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	golden.Check(t, filepath.Join(startDir, "testdata", name), got)
}

// wearScript wears a small NOR unevenly and returns its report texts.
const wearScript = `
local dev = flash.nor{size = 8 * 4096, sector = 4096, write_block = 4, timing = false}
for u = 0, 7 do
  for i = 1, (u * 37) % 11 + u do assert(dev:erase(u * 4096, 4096)) end
end
`

func TestWearReportGolden(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	out := luaOut(t, Options{}, wearScript+`
local svg, csv = dev:wear_report{title = "8 x 4 KiB NOR", endurance = 15}
print(#svg > 0, csv:sub(1, 24))
assert(dev:wear_report{svg = "w.svg", csv = "w.csv", title = "8 x 4 KiB NOR", endurance = 15})
local s2 = report.wear{counts = dev:wear(), title = "8 x 4 KiB NOR", endurance = 15}
print(s2 == svg)
assert(report.curve{title = "endurance", x_label = "erase cycles", y_label = "units failed",
  points = {{0, 0}, {280, 0}, {300, 1}, {310, 3}, {330, 8}}, svg = "c.svg"})`)
	assert.Equal(t, "true\tunit,offset,size,erases\n\nfalse\n", out, "counts alone have no offsets/sizes, so the picture's labels differ")
	for _, f := range []struct{ file, golden string }{{"w.svg", "wear_report.svg"}, {"w.csv", "wear_report.csv"}, {"c.svg", "curve.svg"}} {
		b, err := os.ReadFile(filepath.Join(dir, f.file))
		require.NoError(t, err)
		checkGolden(t, f.golden, b)
	}
}

// startDir is the package directory (tests may chdir elsewhere).
var startDir, _ = os.Getwd()

func TestReportArgumentErrors(t *testing.T) {
	tests := []struct{ src, want string }{
		{`report.wear{}`, "field 'dev': give dev or counts"},
		{`report.wear{dev = 3}`, "field 'dev': device expected, got number"},
		{`report.wear{counts = {1, -2}}`, "field 'counts': element 2 is not an erase count"},
		{`report.wear{counts = {1, 2.5}}`, "element 2 is not an erase count"},
		{`report.wear{dev = flash.nor{}, counts = {1}}`, "give dev or counts, not both"},
		{`report.wear{counts = {1}, endurance = -1}`, "field 'endurance': -1 out of range"},
		{`report.wear{counts = {1}, columns = 1e6}`, "field 'columns': 1000000 out of range"},
		{`report.wear{counts = {1}, svg = "/tmp/x.svg"}`, "sandbox"},
		{`report.wear{counts = {1}, colour = "red"}`, "unknown field 'colour'"},
		{`report.wear(5)`, "bad argument #1 to 'wear' (table expected, got number)"},
		{`report.curve{}`, "field 'points': a list of {x, y} expected"},
		{`report.curve{points = {{1, 0/0}}}`, "element 1 is not a pair of finite numbers"},
		{`report.curve{points = {{1, 1/0}}}`, "element 1 is not a pair of finite numbers"},
		{`report.curve{points = {{2, 1}, {1, 1}}}`, "element 2: x 1 after 2 (want increasing x)"},
		{`report.curve{points = {5}}`, "element 1 is not a {x, y} pair"},
		{`flash.nor{}:wear_report{svg = 1}`, "field 'svg': string expected, got number"},
	}
	for _, tc := range tests {
		t.Run(tc.src, func(t *testing.T) {
			assert.Contains(t, luaErr(t, tc.src), tc.want)
		})
	}
	// File errors are nil, msg, errno.
	t.Chdir(t.TempDir())
	require.NoError(t, os.WriteFile("file", nil, 0o644))
	out := luaOut(t, Options{}, `print(report.wear{counts = {1}, svg = "file/x.svg"})`)
	assert.True(t, strings.HasPrefix(out, "nil\tlua: file error: "), out)
	assert.True(t, strings.HasSuffix(out, "\t-5\n"), out)
}
