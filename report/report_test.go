package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wellFormed checks that an SVG/HTML fragment parses as XML.
func wellFormed(t *testing.T, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	for {
		_, err := d.Token()
		if err != nil {
			require.Equal(t, "EOF", err.Error())
			return
		}
	}
}

func sampleWear() *Wear {
	counts := make([]uint32, 40)
	starts := make([]int64, 40)
	sizes := make([]int64, 40)
	for i := range counts {
		counts[i] = uint32((i * 37) % 101)
		starts[i] = int64(i) * 4096
		sizes[i] = 4096
	}
	counts[7] = 120
	return &Wear{Title: "test <wear>", Counts: counts, Starts: starts, Sizes: sizes, Endurance: 100}
}

func TestWearSVGGolden(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, sampleWear().WriteSVG(&b))
	wellFormed(t, b.Bytes())
	out := b.String()
	assert.Contains(t, out, "test &lt;wear&gt;", "title is escaped")
	assert.Equal(t, 40, strings.Count(out, "erases</title></rect>"), "one cell per unit")
	assert.Contains(t, out, "unit 7 @0x7000 (4096 B): 120 erases")
	assert.Contains(t, out, `stroke="#000000"`, "units at or past endurance are outlined")
	assert.Contains(t, out, "outlined: ≥ 100", "legend names the endurance")
	golden.Check(t, "testdata/"+"wear.svg", b.Bytes())
}

func TestWearSVGDeterministicAndEmpty(t *testing.T) {
	var a, b bytes.Buffer
	require.NoError(t, sampleWear().WriteSVG(&a))
	require.NoError(t, sampleWear().WriteSVG(&b))
	assert.Equal(t, a.String(), b.String())

	var e bytes.Buffer
	require.NoError(t, (&Wear{}).WriteSVG(&e))
	wellFormed(t, e.Bytes())
	assert.Contains(t, e.String(), "0 units")
}

func TestWearCSVGolden(t *testing.T) {
	var b bytes.Buffer
	w := sampleWear()
	require.NoError(t, w.WriteCSV(&b))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.Len(t, lines, 41)
	assert.Equal(t, "unit,offset,size,erases", lines[0])
	assert.Equal(t, "7,28672,4096,120", lines[8])
	golden.Check(t, "testdata/"+"wear.csv", b.Bytes())

	var u bytes.Buffer
	require.NoError(t, (&Wear{Counts: []uint32{3}}).WriteCSV(&u))
	assert.Equal(t, "unit,offset,size,erases\n0,,,3\n", u.String(), "unknown offsets stay empty")
}

func TestHeatScale(t *testing.T) {
	assert.Equal(t, "#ffffcc", heat(0))
	assert.Equal(t, "#800026", heat(1))
	assert.Equal(t, heat(-1), heat(0), "clamped below")
	assert.Equal(t, heat(2), heat(1), "clamped above")
	assert.NotEqual(t, heat(0.3), heat(0.6))
}

func TestCurveGolden(t *testing.T) {
	c := &Curve{Title: "Endurance", XLabel: "erase cycles", YLabel: "units failed",
		Points: []Point{{0, 0}, {900, 0}, {1000, 1}, {1100, 4}, {1200, 12}}}
	var b bytes.Buffer
	require.NoError(t, c.WriteSVG(&b))
	wellFormed(t, b.Bytes())
	assert.Contains(t, b.String(), "<polyline")
	assert.Contains(t, b.String(), ">erase cycles<")
	golden.Check(t, "testdata/"+"curve.svg", b.Bytes())
}

func TestNiceStep(t *testing.T) {
	for _, tc := range []struct {
		span float64
		n    int
		want float64
	}{{10, 5, 2}, {1200, 6, 200}, {7, 7, 1}, {0, 5, 1}, {3, 6, 0.5}} {
		assert.InDelta(t, tc.want, niceStep(tc.span, tc.n), 1e-9, "span %v", tc.span)
	}
}

func sampleSweeps() []Sweep {
	per := make([]OpOutcome, 300)
	for i := range per {
		per[i] = OpOutcome{Branches: 2}
	}
	per[150].Failed, per[151].Failed, per[200].Failed = 1, 2, 1
	return []Sweep{
		{Name: "log_ok", Script: "scripts/log.lua", Cuts: "op", Depth: 1, Seed: 1, Ops: 300, Branches: 600, WallNs: 12_000_000,
			PerOp: make([]OpOutcome, 300)},
		{Name: "log_broken", Script: "scripts/log.lua", Cuts: "unit", Depth: 2, Seed: 7, Ops: 300, Branches: 600, Failed: 4, Deduped: 41,
			WallNs: 98_000_000, PerOp: per, Failures: []Failure{
				{ID: "log_broken:151a:7", Op: 151, Error: "log.lua:31: entry 12 lost | crc <bad>", Duplicates: 2},
				{ID: "log_broken:150a:7", Op: 150, Error: "log.lua:31: entry 11 lost | crc <bad>", Shrunk: "log_broken:150a:7"},
				{ID: "log_broken:151u1:7", Op: 151, Error: "log.lua:31: entry 9 lost | crc <bad>"},
				{ID: "log_broken:200b:7", Op: 200, Error: "log.lua:40: header at 0x1000 torn\nstack traceback:\n\tlog.lua:40: in function"},
			}},
	}
}

func TestSweepHTMLGolden(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, sampleSweeps()))
	// The page's script is JavaScript, not XML: check the markup around it.
	wellFormed(t, regexp.MustCompile(`(?s)<script>.*?</script>`).ReplaceAll(b.Bytes(), nil))
	out := b.String()
	assert.Contains(t, out, `class="badge PASS">✓ PASS`)
	assert.Contains(t, out, `class="badge FAIL">✗ FAIL`)
	assert.Contains(t, out, "crc &lt;bad&gt;", "errors are escaped")
	assert.Equal(t, 2, strings.Count(out, `<article class="group"`), "4 failures, 2 error classes")
	assert.Contains(t, out, `<code class="class">log.lua:31: entry N lost | crc &lt;bad&gt;</code>`)
	assert.Contains(t, out, `<code class="class">log.lua:40: header at 0xN torn</code>`)
	assert.Contains(t, out, "<strong>3</strong> failing branches (+2 reaching the same states) · operations 150–151 · first cut <code>log_broken:150a:7</code> · last cut <code>log_broken:151u1:7</code>")
	assert.Contains(t, out, `data-copy="flashemu sweep scripts/log.lua --only log_broken:150a:7 --dump sweep-dump"`)
	assert.Contains(t, out, `<figure class="timeline" data-sweep="1">`)
	assert.Contains(t, out, `<title>flashemu sweep report</title>`)
	assert.Contains(t, out, `<svg class="spark" viewBox="0 0 240 14" preserveAspectRatio="none" role="img" aria-label="where in the workload: operations 150–151 of 0–299">`)
	assert.Contains(t, out, `<rect x="120.0" y="1" width="1.5" height="12" fill="#D55E00"/>`, "op 150 of 300 at 150*240/300")
	assert.Contains(t, out, `"f":[`, "per-operation failures are in the timeline data")
	assert.NotContains(t, out, "http://", "self-contained: no links to fetch")
	assert.NotContains(t, out, "https://")
	assert.NotContains(t, out, "@import")
	// The golden file holds the page's structure; the embedded stylesheet
	// and script (sweep.css, sweep.js) are files of their own.
	require.Contains(t, out, sweepCSS)
	require.Contains(t, out, sweepJS)
	out = strings.Replace(strings.Replace(out, sweepCSS, "/* sweep.css */\n", 1), sweepJS, "/* sweep.js */\n", 1)
	golden.Check(t, "testdata/"+"sweep.html", []byte(out))
}

func TestSweepMarkdownGolden(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteMarkdown(&b, sampleSweeps()))
	out := b.String()
	assert.Contains(t, out, "## log_broken — FAIL")
	assert.Contains(t, out, "4 failing branches in 2 error classes")
	assert.Contains(t, out, `entry N lost \| crc`, "table pipes are escaped")
	assert.Contains(t, out, "`flashemu sweep scripts/log.lua --only log_broken:150a:7 --dump sweep-dump`")
	golden.Check(t, "testdata/"+"sweep.md", b.Bytes())
}

func ExampleWear_WriteCSV() {
	w := &Wear{Counts: []uint32{5, 9}, Starts: []int64{0, 4096}, Sizes: []int64{4096, 4096}}
	_ = w.WriteCSV(os.Stdout)
	// Output:
	// unit,offset,size,erases
	// 0,0,4096,5
	// 1,4096,4096,9
}

func TestCurveNonFiniteAndNegative(t *testing.T) {
	c := &Curve{Title: "t", Points: []Point{{0, -3}, {1, math.NaN()}, {math.Inf(1), 2}, {2, 4}}}
	var b bytes.Buffer
	require.NoError(t, c.WriteSVG(&b))
	wellFormed(t, b.Bytes())
	out := b.String()
	assert.NotContains(t, out, "NaN")
	assert.NotContains(t, out, "Inf")
	assert.Contains(t, out, ">-4<", "the Y axis reaches below the lowest value")
	assert.Equal(t, 1, strings.Count(out, "<polyline"))
	// Only the two finite points are drawn.
	i := strings.Index(out, `points="`)
	pts := strings.Fields(out[i+8 : i+strings.Index(out[i:], `"/>`)])
	assert.Len(t, pts, 2)
}

func TestWearSVGLongTitleWidens(t *testing.T) {
	short, long := &Wear{Title: "x", Counts: []uint32{1}}, &Wear{Title: strings.Repeat("long title ", 12), Counts: []uint32{1}}
	var a, b bytes.Buffer
	require.NoError(t, short.WriteSVG(&a))
	require.NoError(t, long.WriteSVG(&b))
	wa, wb := svgWidth(t, a.String()), svgWidth(t, b.String())
	assert.Greater(t, wb, wa)
	assert.GreaterOrEqual(t, wb, 72+8*len(long.Title))
}

func svgWidth(t *testing.T, s string) int {
	t.Helper()
	var w int
	_, err := fmt.Sscanf(s[strings.Index(s, `width="`):], `width="%d"`, &w)
	require.NoError(t, err)
	return w
}
