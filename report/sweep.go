package report

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strings"
)

// Sweep summarises one power-cut sweep for a report.
type Sweep struct {
	Name     string // sweep name
	Script   string // script that defined it
	Cuts     string // cut schedule kind: op, unit, bit, every_ns=…
	Depth    int
	Seed     uint64
	Ops      int   // mutating operations in the workload (the timeline length)
	Branches int   // branches checked
	Failed   int   // branches whose check failed
	Deduped  int   // branches skipped as already explored (depth ≥ 2)
	WallNs   int64 // wall time of the sweep, for the summary line
	// PerOp[i] counts the branches cut at workload operation i and how many failed.
	PerOp    []OpOutcome
	Failures []Failure
}

// OpOutcome is what happened to the branches cut at one workload operation.
type OpOutcome struct{ Branches, Failed int }

// Failure is one failing branch.
type Failure struct {
	ID    string // reproduction ID for `flashemu sweep SCRIPT --only ID`
	Op    int    // workload operation the (first) cut hit
	Error string // the check's error, file:line: message
}

// timelineSVG draws failures against the operation timeline: one bar per
// bucket of operations, grey for branches tried, red for failures.
func (s *Sweep) timelineSVG(bw *bufio.Writer) {
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	const W, H, left, top, bottom = 720, 180, 48, 16, 36
	n := len(s.PerOp)
	buckets := min(n, 120)
	if buckets == 0 {
		p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="40"><text x="8" y="24">no operations</text></svg>`+"\n", W)
		return
	}
	per := (n + buckets - 1) / buckets
	buckets = (n + per - 1) / per
	tot := make([]int, buckets)
	bad := make([]int, buckets)
	maxv := 1
	for i, o := range s.PerOp {
		tot[i/per] += o.Branches
		bad[i/per] += o.Failed
	}
	for _, v := range tot {
		maxv = max(maxv, v)
	}
	bw0 := float64(W-left-8) / float64(buckets)
	ph := float64(H - top - bottom)
	p(`<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n", W, H, W, H)
	p(`<rect width="100%%" height="100%%" fill="white"/>` + "\n")
	for b := 0; b < buckets; b++ {
		x := float64(left) + float64(b)*bw0
		h := float64(tot[b]) / float64(maxv) * ph
		p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#ccc"><title>ops %d–%d: %d branches, %d failed</title></rect>`+"\n",
			x, float64(top)+ph-h, max(bw0-1, 1), h, b*per, min((b+1)*per, n)-1, tot[b], bad[b])
		if bad[b] > 0 {
			fh := float64(bad[b]) / float64(maxv) * ph
			p(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#c0392b"/>`+"\n", x, float64(top)+ph-fh, max(bw0-1, 1), fh)
		}
	}
	p(`<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#333"/>`+"\n", left, H-bottom, W-8, H-bottom)
	p(`<text x="%d" y="%d" fill="#555">0</text>`+"\n", left, H-bottom+14)
	p(`<text x="%d" y="%d" text-anchor="end" fill="#555">%d</text>`+"\n", W-8, H-bottom+14, n-1)
	p(`<text x="%d" y="%d" text-anchor="middle">workload operation (grey: branches cut there, red: failed)</text>`+"\n", (left+W)/2, H-6)
	p(`<text x="%d" y="%d" text-anchor="end" fill="#555">%d</text>`+"\n", left-4, top+8, maxv)
	p("</svg>\n")
}

func (s *Sweep) verdict() string {
	if s.Failed == 0 {
		return "PASS"
	}
	return "FAIL"
}

// WriteHTML writes a self-contained HTML page: summary, the failure timeline
// picture, and the failures with their reproduction IDs.
func WriteHTML(out io.Writer, sweeps []Sweep) error {
	bw := bufio.NewWriter(out)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>flashemu sweep report</title>\n")
	p("<style>body{font-family:sans-serif;margin:2em;max-width:60em}td,th{padding:2px 8px;text-align:left}" +
		"code{background:#f4f4f4}.PASS{color:#1e7e34}.FAIL{color:#c0392b}</style></head><body>\n")
	p("<h1>flashemu sweep report</h1>\n")
	for i := range sweeps {
		s := &sweeps[i]
		e := html.EscapeString
		p("<h2>%s <span class=\"%s\">%s</span></h2>\n", e(s.Name), s.verdict(), s.verdict())
		p("<table><tr><th>script</th><td><code>%s</code></td></tr><tr><th>cuts</th><td>%s, depth %d, seed %d</td></tr>"+
			"<tr><th>branches</th><td>%d checked, %d failed, %d deduplicated</td></tr>"+
			"<tr><th>workload</th><td>%d operations</td></tr><tr><th>wall time</th><td>%.3f s</td></tr></table>\n",
			e(s.Script), e(s.Cuts), s.Depth, s.Seed, s.Branches, s.Failed, s.Deduped, s.Ops, float64(s.WallNs)/1e9)
		s.timelineSVG(bw)
		if len(s.Failures) > 0 {
			p("<h3>Failures</h3>\n<table><tr><th>op</th><th>reproduce with <code>--only</code></th><th>error</th></tr>\n")
			for _, f := range s.Failures {
				p("<tr><td>%d</td><td><code>%s</code></td><td>%s</td></tr>\n", f.Op, e(f.ID), e(f.Error))
			}
			p("</table>\n")
		}
	}
	p("</body></html>\n")
	return bw.Flush()
}

// WriteMarkdown writes the same report as Markdown (no picture; a per-bucket
// failure line instead), for CI job summaries.
func WriteMarkdown(out io.Writer, sweeps []Sweep) error {
	bw := bufio.NewWriter(out)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p("# flashemu sweep report\n\n")
	for _, s := range sweeps {
		p("## %s — %s\n\n", s.Name, s.verdict())
		p("- script: `%s`\n- cuts: %s, depth %d, seed %d\n- branches: %d checked, %d failed, %d deduplicated\n- workload: %d operations\n- wall time: %.3f s\n\n",
			s.Script, s.Cuts, s.Depth, s.Seed, s.Branches, s.Failed, s.Deduped, s.Ops, float64(s.WallNs)/1e9)
		if len(s.Failures) > 0 {
			p("| op | reproduce with `--only` | error |\n|---|---|---|\n")
			for _, f := range s.Failures {
				p("| %d | `%s` | %s |\n", f.Op, f.ID, strings.ReplaceAll(f.Error, "|", `\|`))
			}
			p("\n")
		}
	}
	return bw.Flush()
}
