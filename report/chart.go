package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
)

// Point is one (x, y) sample of a Curve.
type Point struct{ X, Y float64 }

// Curve is a line chart, e.g. an endurance curve: erase cycles on X, units
// failed (or bit errors, or entries lost) on Y.
type Curve struct {
	Title, XLabel, YLabel string
	Points                []Point // in X order
}

// niceStep picks a round tick step (1, 2 or 5 × 10^k) giving about n ticks.
func niceStep(span float64, n int) float64 {
	if span <= 0 {
		return 1
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			return m * mag
		}
	}
	return 10 * mag
}

func fmtNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// WriteSVG draws the curve with labelled axes and round-numbered ticks.
// Output is deterministic.
func (c *Curve) WriteSVG(out io.Writer) error {
	bw := bufio.NewWriter(out)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	const W, H, left, right, top, bottom = 640, 400, 72, 24, 40, 56
	pw, ph := float64(W-left-right), float64(H-top-bottom)
	// Non-finite points cannot be drawn and are left out; the Y axis starts
	// at the lowest value or 0, whichever is lower.
	pts := make([]Point, 0, len(c.Points))
	for _, pt := range c.Points {
		if finite(pt.X) && finite(pt.Y) {
			pts = append(pts, pt)
		}
	}
	xmin, xmax, ymin, ymax := 0.0, 1.0, 0.0, 1.0
	for _, pt := range pts {
		xmin, xmax = min(xmin, pt.X), max(xmax, pt.X)
		ymin, ymax = min(ymin, pt.Y), max(ymax, pt.Y)
	}
	xs, ys := niceStep(xmax-xmin, 6), niceStep(ymax-ymin, 5)
	xmin, xmax = math.Floor(xmin/xs)*xs, math.Ceil(xmax/xs)*xs
	ymin, ymax = math.Floor(ymin/ys)*ys, math.Ceil(ymax/ys)*ys
	X := func(v float64) float64 { return float64(left) + (v-xmin)/(xmax-xmin)*pw }
	Y := func(v float64) float64 { return float64(top) + ph - (v-ymin)/(ymax-ymin)*ph }
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", W, H, W, H)
	p(`<title>%s</title>`+"\n", esc(c.Title))
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	p(`<text x="%d" y="22" font-size="14" font-weight="bold">%s</text>`+"\n", left, esc(c.Title))
	for v := xmin; v <= xmax+xs/2; v += xs {
		x := X(v)
		p(`<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eee"/>`+"\n", x, top, x, H-bottom)
		p(`<text x="%.1f" y="%d" text-anchor="middle" fill="#555">%s</text>`+"\n", x, H-bottom+16, fmtNum(v))
	}
	for v := ymin; v <= ymax+ys/2; v += ys {
		y := Y(v)
		p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#eee"/>`+"\n", left, y, W-right, y)
		p(`<text x="%d" y="%.1f" text-anchor="end" fill="#555">%s</text>`+"\n", left-6, y+4, fmtNum(v))
	}
	p(`<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#333"/>`+"\n", left, Y(max(ymin, 0)), W-right, Y(max(ymin, 0)))
	p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", left, top, left, H-bottom)
	p(`<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", left+int(pw)/2, H-12, esc(c.XLabel))
	p(`<text x="16" y="%d" text-anchor="middle" transform="rotate(-90 16 %d)">%s</text>`+"\n", top+int(ph)/2, top+int(ph)/2, esc(c.YLabel))
	if len(pts) > 0 {
		p(`<polyline fill="none" stroke="#c0392b" stroke-width="2" points="`)
		for i, pt := range pts {
			if i > 0 {
				p(" ")
			}
			p("%.1f,%.1f", X(pt.X), Y(pt.Y))
		}
		p(`"/>` + "\n")
	}
	p("</svg>\n")
	return bw.Flush()
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
