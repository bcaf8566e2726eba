package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/flashemu/flashemu/faults"
)

// progressBar draws one self-overwriting line on a terminal's stderr while
// a sweep runs: sweep name, level and phase, a bar, branches done/total and
// the rate.
type progressBar struct {
	w     io.Writer
	drawn bool
}

// barWidth is the bar's width in cells.
const barWidth = 24

func (p *progressBar) update(name string, pr faults.Progress) {
	if pr.Phase == "done" || pr.Phase == "" {
		return
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", progressLine(name, pr))
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
// "fcb_log L1 check [#########...............] 1234/3300 37% 10250/s".
func progressLine(name string, pr faults.Progress) string {
	filled := 0
	pct := 0
	if pr.Total > 0 {
		filled = min(barWidth, pr.Done*barWidth/pr.Total)
		pct = min(100, pr.Done*100/pr.Total)
	}
	line := fmt.Sprintf("%s L%d %s [%s%s] %d/%d %d%% %.0f/s", name, pr.Level, pr.Phase,
		strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), pr.Done, pr.Total, pct, pr.Rate())
	if pr.Failed > 0 {
		line += fmt.Sprintf(" %d failed", pr.Failed)
	}
	return line
}
