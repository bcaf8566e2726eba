package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// Wear is the erase-count picture of one device.
type Wear struct {
	Title  string   // heading of the picture, e.g. "nrf52840 after 1e6 appends"
	Counts []uint32 // erase count per erase unit, in unit order
	Starts []int64  // device offset of each unit (optional; labels only)
	Sizes  []int64  // size of each unit (optional; CSV and labels)
	// Endurance, when non-zero, is the rated cycle count; cells at or above
	// it are outlined and the legend shows it.
	Endurance uint32
	// Columns of the heatmap grid; 0 picks a near-square layout.
	Columns int
}

func (w *Wear) columns() int {
	if w.Columns > 0 {
		return w.Columns
	}
	n := len(w.Counts)
	c := 1
	for c*c < n {
		c++
	}
	return max(c, 1)
}

func (w *Wear) maxCount() uint32 {
	var m uint32
	for _, c := range w.Counts {
		m = max(m, c)
	}
	return m
}

// heat maps t in [0,1] to a colour from pale yellow through orange to dark
// red (a sequential scale readable in grey and by colour-blind readers).
func heat(t float64) string {
	stops := [...][3]float64{{255, 255, 204}, {254, 178, 76}, {240, 59, 32}, {128, 0, 38}}
	if t <= 0 {
		return rgb(stops[0])
	}
	if t >= 1 {
		return rgb(stops[len(stops)-1])
	}
	x := t * float64(len(stops)-1)
	i := int(x)
	f := x - float64(i)
	var c [3]float64
	for k := range c {
		c[k] = stops[i][k] + (stops[i+1][k]-stops[i][k])*f
	}
	return rgb(c)
}

func rgb(c [3]float64) string {
	return fmt.Sprintf("#%02x%02x%02x", int(c[0]+0.5), int(c[1]+0.5), int(c[2]+0.5))
}

// WriteSVG draws the heatmap: one cell per erase unit in row-major order,
// coloured by erase count relative to the maximum, with axis labels (unit
// index of each row and column), a colour legend with its scale, and a
// tooltip per cell. Output is deterministic.
func (w *Wear) WriteSVG(out io.Writer) error {
	bw := bufio.NewWriter(out)
	n := len(w.Counts)
	cols := w.columns()
	rows := (n + cols - 1) / cols
	if n == 0 {
		rows = 0
	}
	cell := 24
	if cols > 32 {
		cell = 12
	}
	left, top := 72, 64
	gridW, gridH := cols*cell, rows*cell
	legendW := 24
	maxc := w.maxCount()
	title := w.Title
	if title == "" {
		title = "Erase count per erase unit"
	}
	// Wide enough for the grid and legend, and for the title at ~8 px a
	// character (14 px bold sans-serif), so a long title is never clipped.
	width := max(left+gridW+40+legendW+72, left+8*utf8.RuneCountInString(title)+16)
	height := top + max(gridH, 160) + 48
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", width, height, width, height)
	p(`<title>%s</title>`+"\n", esc(title))
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	p(`<text x="%d" y="20" font-size="14" font-weight="bold">%s</text>`+"\n", left, esc(title))
	p(`<text x="%d" y="36" fill="#555">%d units, max %d erases, total %d</text>`+"\n", left, n, maxc, sum(w.Counts))
	// Axis labels: column indices on top, first unit index of each row on the left.
	step := max(1, cols/8)
	for c := 0; c < cols; c += step {
		p(`<text x="%d" y="%d" text-anchor="middle" fill="#555">%d</text>`+"\n", left+c*cell+cell/2, top-4, c)
	}
	rstep := max(1, rows/16)
	for r := 0; r < rows; r += rstep {
		p(`<text x="%d" y="%d" text-anchor="end" fill="#555">%d</text>`+"\n", left-6, top+r*cell+cell/2+4, r*cols)
	}
	p(`<text x="%d" y="%d" text-anchor="middle" fill="#555" transform="rotate(-90 %d %d)">first unit of row</text>`+"\n",
		16, top+max(gridH, 100)/2, 16, top+max(gridH, 100)/2)
	for i, c := range w.Counts {
		x, y := left+(i%cols)*cell, top+(i/cols)*cell
		t := 0.0
		if maxc > 0 {
			t = float64(c) / float64(maxc)
		}
		stroke := "#ffffff"
		if w.Endurance > 0 && c >= w.Endurance {
			stroke = "#000000"
		}
		p(`<rect x="%d" y="%d" width="%d" height="%d" fill="%s" stroke="%s"><title>%s</title></rect>`+"\n",
			x, y, cell, cell, heat(t), stroke, esc(w.cellLabel(i)))
	}
	// Legend: a vertical gradient in 10 bands with its scale.
	lx := left + gridW + 40
	bands := 10
	bh := 16
	p(`<text x="%d" y="%d" fill="#555">erases</text>`+"\n", lx, top-4)
	for b := 0; b < bands; b++ {
		t := 1 - float64(b)/float64(bands-1)
		p(`<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`+"\n", lx, top+b*bh, legendW, bh, heat(t))
	}
	p(`<text x="%d" y="%d">%d</text>`+"\n", lx+legendW+4, top+10, maxc)
	p(`<text x="%d" y="%d">0</text>`+"\n", lx+legendW+4, top+bands*bh)
	if w.Endurance > 0 {
		p(`<text x="%d" y="%d" fill="#555">outlined: ≥ %d</text>`+"\n", lx, top+bands*bh+20, w.Endurance)
	}
	p("</svg>\n")
	return bw.Flush()
}

func (w *Wear) cellLabel(i int) string {
	s := "unit " + strconv.Itoa(i)
	if i < len(w.Starts) {
		s += fmt.Sprintf(" @0x%x", w.Starts[i])
	}
	if i < len(w.Sizes) {
		s += fmt.Sprintf(" (%d B)", w.Sizes[i])
	}
	return s + ": " + strconv.FormatUint(uint64(w.Counts[i]), 10) + " erases"
}

// WriteCSV writes one row per erase unit: unit,offset,size,erases (offset and
// size empty when unknown).
func (w *Wear) WriteCSV(out io.Writer) error {
	bw := bufio.NewWriter(out)
	fmt.Fprintln(bw, "unit,offset,size,erases")
	for i, c := range w.Counts {
		off, size := "", ""
		if i < len(w.Starts) {
			off = strconv.FormatInt(w.Starts[i], 10)
		}
		if i < len(w.Sizes) {
			size = strconv.FormatInt(w.Sizes[i], 10)
		}
		fmt.Fprintf(bw, "%d,%s,%s,%d\n", i, off, size, c)
	}
	return bw.Flush()
}

func sum(v []uint32) uint64 {
	var s uint64
	for _, x := range v {
		s += uint64(x)
	}
	return s
}

func esc(s string) string {
	var b []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '&':
			b = append(b, "&amp;"...)
		case '"':
			b = append(b, "&quot;"...)
		default:
			b = append(b, c)
		}
	}
	return string(b)
}
