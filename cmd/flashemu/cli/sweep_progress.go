package cli

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/flashemu/flashemu/faults"
	"golang.org/x/term"
)

// progressBar draws one self-overwriting line on a terminal's stderr while
// a sweep runs: sweep name, level and phase, a bar, branches done/total,
// the rate and an ETA. The line is fitted to the terminal's width, measured
// at every redraw (a line that wraps would leave a stale row per redraw).
type progressBar struct {
	w io.Writer
	// cols returns the terminal's width in columns (0: unknown, no fitting).
	cols  func() int
	drawn bool
}

// newProgressBar makes a bar on f, measuring f's width.
func newProgressBar(f *os.File) *progressBar {
	return &progressBar{w: f, cols: func() int {
		w, _, err := term.GetSize(int(f.Fd()))
		if err != nil {
			return 0
		}
		return w
	}}
}

// barWidth is the bar's widest width in cells.
const barWidth = 24

func (p *progressBar) update(name string, pr faults.Progress) {
	if pr.Phase == "done" || pr.Phase == "" {
		return
	}
	cols := 0
	if p.cols != nil {
		cols = p.cols()
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", progressLine(name, pr, cols))
	p.drawn = true
}

// clear erases the line.
func (p *progressBar) clear() {
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// progressLine renders a progress report, e.g.
// "fcb_log L1 check [#########...............] 1234/3300 37% 10250/s ETA 1s",
// in at most cols-1 columns when cols > 0 (the bar narrows, then goes, then
// the line is cut), so the terminal never wraps it.
func progressLine(name string, pr faults.Progress, cols int) string {
	pct := 0
	if pr.Total > 0 {
		pct = min(100, pr.Done*100/pr.Total)
	}
	head := fmt.Sprintf("%s L%d %s", name, pr.Level, pr.Phase)
	tail := fmt.Sprintf("%d/%d %d%% %.0f/s", pr.Done, pr.Total, pct, pr.Rate())
	if eta := progressETA(pr); eta != "" {
		tail += " ETA " + eta
	}
	if pr.Failed > 0 {
		tail += fmt.Sprintf(" %d failed", pr.Failed)
	}
	bw := barWidth
	if cols > 0 {
		// head + " [" + bar + "] " + tail fits in cols-1.
		bw = min(barWidth, cols-1-len(head)-len(tail)-4)
	}
	if bw < 5 {
		line := head + " " + tail
		if cols > 0 && len(line) > cols-1 {
			line = line[:max(0, cols-1)]
		}
		return line
	}
	filled := 0
	if pr.Total > 0 {
		filled = min(bw, pr.Done*bw/pr.Total)
	}
	return head + " [" + strings.Repeat("#", filled) + strings.Repeat(".", bw-filled) + "] " + tail
}

// progressETA estimates the time left from the rate so far ("" when it
// cannot: nothing done yet, or no total).
func progressETA(pr faults.Progress) string {
	r := pr.Rate()
	if r <= 0 || pr.Total <= pr.Done || pr.Done == 0 {
		return ""
	}
	left := time.Duration(float64(pr.Total-pr.Done) / r * float64(time.Second))
	if left < time.Second {
		return "<1s"
	}
	return left.Round(time.Second).String()
}
