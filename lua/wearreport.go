package lua

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"

	"github.com/flashemu/flashemu/report"
	glua "github.com/yuin/gopher-lua"
)

// report: pictures and tables of what a script measured, through package
// report (deterministic output): wear heatmaps (SVG) and tables (CSV),
// and line charts such as endurance curves (SVG). Files are written
// atomically; without a file name the text is returned.

func init() {
	registerModule(&moduleDef{
		name: "report",
		doc:  "wear heatmaps (SVG), wear tables (CSV) and curves (SVG): report.wear{...}, report.curve{...}",
		funcs: []fnDef{
			{"wear", "report.wear{dev= | counts={...}, title=, endurance=, columns=, svg=path, csv=path} --> true | svg, csv | nil, msg, errno", "erase counts per unit as a heatmap with legend and axis labels (svg) and a table unit,offset,size,erases (csv); without svg/csv the texts are returned", reportWear},
			{"curve", "report.curve{points={{x, y}, ...}, title=, x_label=, y_label=, svg=path} --> true | svg | nil, msg, errno", "a line chart (e.g. an endurance curve: cycles on x, failed units on y); points in increasing x order", reportCurve},
		},
	})
}

// wearOf builds a report.Wear from options: the erase counts of dev (with
// unit offsets and sizes) or a counts list.
func wearOf(f *fields, d *Device) *report.Wear {
	w := &report.Wear{}
	if d == nil {
		if v := f.get("dev"); v != glua.LNil {
			dd, ok := DeviceOf(v)
			if !ok {
				f.fail("dev", "device expected, got "+typeNameOf(v))
			}
			d = dd
		}
	}
	counts := f.table("counts")
	switch {
	case d != nil && counts != nil:
		f.fail("counts", "give dev or counts, not both")
	case d != nil:
		w.Counts = d.Dev.Wear()
		for i := range w.Counts {
			start, size := d.Dev.Unit(i)
			w.Starts = append(w.Starts, start)
			w.Sizes = append(w.Sizes, size)
		}
		if w.Title == "" {
			w.Title = "erase counts: " + d.String()
		}
	case counts != nil:
		n := counts.Len()
		if n > 1<<20 {
			f.fail("counts", fmt.Sprintf("%d units (at most %d)", n, 1<<20))
		}
		for i := 1; i <= n; i++ {
			v, ok := counts.RawGetInt(i).(glua.LNumber)
			c, msg := toInt(v)
			if !ok || msg != "" || c < 0 || c > math.MaxUint32 {
				f.fail("counts", fmt.Sprintf("element %d is not an erase count (0 to 2^32-1)", i))
			}
			w.Counts = append(w.Counts, uint32(c))
		}
		w.Title = "erase counts"
	default:
		f.fail("dev", "give dev or counts")
	}
	w.Title = f.str("title", w.Title)
	end := f.int("endurance", 0)
	if end < 0 || end > math.MaxUint32 {
		f.fail("endurance", fmt.Sprintf("%d out of range [0, 2^32)", end))
	}
	w.Endurance = uint32(end)
	cols := f.int("columns", 0)
	if cols < 0 || cols > 4096 {
		f.fail("columns", fmt.Sprintf("%d out of range [0, 4096]", cols))
	}
	w.Columns = int(cols)
	return w
}

// writeOrReturn renders with each writer and writes each text to its path
// (atomically) or, when no path is given at all, returns the texts.
func (s *State) writeOrReturn(L *glua.LState, outs []reportOut) int {
	anyPath := false
	for _, o := range outs {
		anyPath = anyPath || o.path != ""
	}
	texts := make([][]byte, len(outs))
	for i, o := range outs {
		if anyPath && o.path == "" {
			continue
		}
		var b bytes.Buffer
		if err := o.render(&b); err != nil {
			return s.pushFailure(L, fmt.Errorf("%w: report: %v", errFileIO, err))
		}
		texts[i] = b.Bytes()
	}
	if !anyPath {
		for _, t := range texts {
			L.Push(glua.LString(t))
		}
		return len(texts)
	}
	for i, o := range outs {
		if o.path == "" {
			continue
		}
		if err := s.writeFile(o.path, texts[i]); err != nil {
			return s.pushFailure(L, fileError(err))
		}
	}
	L.Push(glua.LTrue)
	return 1
}

// reportOut is one output of a report call.
type reportOut struct {
	path   string
	render func(b *bytes.Buffer) error
}

// optPath reads an optional file-name field under the sandbox rules.
func (s *State) optPath(f *fields, name string) string {
	p := f.str(name, "")
	if p != "" && !s.opts.AllowIO && !filepath.IsLocal(p) {
		f.fail(name, fmt.Sprintf("%q: %v", p, ErrSandbox))
	}
	return p
}

func (s *State) wearReport(L *glua.LState, f *fields, d *Device) int {
	w := wearOf(f, d)
	svg, csv := s.optPath(f, "svg"), s.optPath(f, "csv")
	f.done()
	return s.writeOrReturn(L, []reportOut{
		{svg, func(b *bytes.Buffer) error { return w.WriteSVG(b) }},
		{csv, func(b *bytes.Buffer) error { return w.WriteCSV(b) }},
	})
}

func reportWear(s *State, L *glua.LState) int {
	a := argsOf(L, "wear")
	a.table(1)
	return s.wearReport(L, a.opts(1), nil)
}

func devWearReport(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "wear_report")
	return s.wearReport(L, a.opts(2), d)
}

func reportCurve(s *State, L *glua.LState) int {
	a := argsOf(L, "curve")
	a.table(1)
	f := a.opts(1)
	c := &report.Curve{Title: f.str("title", ""), XLabel: f.str("x_label", "x"), YLabel: f.str("y_label", "y")}
	pts := f.table("points")
	if pts == nil {
		f.fail("points", "a list of {x, y} expected")
	}
	n := pts.Len()
	if n > 1<<20 {
		f.fail("points", fmt.Sprintf("%d points (at most %d)", n, 1<<20))
	}
	for i := 1; i <= n; i++ {
		pt, ok := pts.RawGetInt(i).(*glua.LTable)
		if !ok {
			f.fail("points", fmt.Sprintf("element %d is not a {x, y} pair", i))
		}
		x, okx := pt.RawGetInt(1).(glua.LNumber)
		y, oky := pt.RawGetInt(2).(glua.LNumber)
		if !okx || !oky || !finite(float64(x)) || !finite(float64(y)) {
			f.fail("points", fmt.Sprintf("element %d is not a pair of finite numbers", i))
		}
		if k := len(c.Points); k > 0 && float64(x) < c.Points[k-1].X {
			f.fail("points", fmt.Sprintf("element %d: x %g after %g (want increasing x)", i, float64(x), c.Points[k-1].X))
		}
		c.Points = append(c.Points, report.Point{X: float64(x), Y: float64(y)})
	}
	svg := s.optPath(f, "svg")
	f.done()
	return s.writeOrReturn(L, []reportOut{{svg, func(b *bytes.Buffer) error { return c.WriteSVG(b) }}})
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
