package report

import (
	"bufio"
	_ "embed"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strconv"
	"strings"
)

//go:embed sweep.css
var sweepCSS string

//go:embed sweep.js
var sweepJS string

// Bounds that keep the page small and fast for large sweeps.
const (
	// maxListed is how many branches a failure group lists by ID.
	maxListed = 100
	// maxMarks is how many distinct operations per group the timeline
	// marks (the failure-rate track still counts every failure).
	maxMarks = 20000
)

// groupColours is a colour-blind-safe palette (Okabe–Ito) for failure
// groups; every group also carries a text tag (G1, G2, …).
var groupColours = [...]string{"#D55E00", "#CC79A7", "#009E73", "#0072B2", "#E69F00", "#56B4E9", "#F0E442", "#999999"}

func groupColour(i int) string { return groupColours[i%len(groupColours)] }

// WriteHTML writes a self-contained HTML page (no network, no external
// fonts or scripts): per sweep, a summary, the failures grouped by error
// class with copyable replay commands, and an interactive timeline of the
// workload (operation kinds, addresses, acknowledgements and failure rate;
// hover for details, wheel or buttons to zoom). The failure groups are plain
// HTML and readable without JavaScript. Output is deterministic.
func WriteHTML(out io.Writer, sweeps []Sweep) error {
	bw := bufio.NewWriter(out)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	p("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n")
	p("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
	p("<meta name=\"color-scheme\" content=\"light dark\">\n")
	p("<title>flashemu sweep report</title>\n<style>\n%s</style>\n</head><body>\n", sweepCSS)
	p("<header><h1>flashemu sweep report</h1>\n")
	writeOverview(bw, sweeps)
	p("</header>\n<main>\n")
	for i := range sweeps {
		if err := writeSweepHTML(bw, &sweeps[i], i); err != nil {
			return err
		}
	}
	p("</main>\n<script>\n%s</script>\n</body></html>\n", sweepJS)
	return bw.Flush()
}

// writeOverview lists the sweeps with their verdicts and error classes.
func writeOverview(bw *bufio.Writer, sweeps []Sweep) {
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	e := html.EscapeString
	if len(sweeps) == 0 {
		p("<p>No sweeps ran.</p>\n")
		return
	}
	p("<nav aria-label=\"sweeps\"><ul class=\"overview\">\n")
	for i := range sweeps {
		s := &sweeps[i]
		v := s.verdict()
		p("<li><a href=\"#sweep-%d\">%s</a> %s ", i, e(s.Name), badge(v))
		if v == "FAIL" {
			n := len(groupFailures(s.Failures))
			p("%d failing %s in %d error %s", max(s.Failed, len(s.Failures)), pl(max(s.Failed, len(s.Failures)), "branch", "branches"), n, pl(n, "class", "classes"))
		} else {
			p("%d %s checked", s.Branches, pl(s.Branches, "branch", "branches"))
		}
		p("</li>\n")
	}
	p("</ul></nav>\n")
}

func badge(v string) string {
	if v == "PASS" {
		return `<span class="badge PASS">✓ PASS</span>`
	}
	return `<span class="badge FAIL">✗ FAIL</span>`
}

func writeSweepHTML(bw *bufio.Writer, s *Sweep, si int) error {
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	e := html.EscapeString
	groups := groupFailures(s.Failures)
	p("<section class=\"sweep\" id=\"sweep-%d\">\n<h2>%s %s</h2>\n", si, e(s.Name), badge(s.verdict()))
	p("<dl class=\"facts\"><dt>script</dt><dd><code>%s</code></dd><dt>cuts</dt><dd>%s, depth %d, seed %d</dd>"+
		"<dt>branches</dt><dd>%d checked, %d failed, %d deduplicated</dd><dt>workload</dt><dd>%d operations</dd>"+
		"<dt>wall time</dt><dd>%.3f s</dd></dl>\n",
		e(s.Script), e(s.Cuts), s.Depth, s.Seed, s.Branches, s.Failed, s.Deduped, s.opCount(), float64(s.WallNs)/1e9)

	if len(groups) == 0 {
		p("<p class=\"allpass\">No failures: every checked branch passed.</p>\n")
	} else {
		p("<h3>Failures by error class</h3>\n<p class=\"hint\">%d failing %s in %d %s (same check location, numbers and addresses ignored). "+
			"Replay one branch and dump its flash images and operation trace with the command shown.</p>\n",
			len(s.Failures), pl(len(s.Failures), "branch", "branches"), len(groups), pl(len(groups), "class", "classes"))
		p("<div class=\"groups\">\n")
		for gi := range groups {
			writeGroupHTML(bw, s, si, gi, &groups[gi])
		}
		p("</div>\n")
	}

	p("<h3>Timeline</h3>\n")
	p("<figure class=\"timeline\" data-sweep=\"%d\">\n", si)
	p("<div class=\"toolbar\" role=\"toolbar\" aria-label=\"timeline controls\">" +
		"<label>x axis <select class=\"xmode\"><option value=\"op\">operation index</option><option value=\"time\">simulated time</option></select></label> " +
		"<button type=\"button\" class=\"zin\" aria-label=\"zoom in\">+</button><button type=\"button\" class=\"zout\" aria-label=\"zoom out\">−</button>" +
		"<button type=\"button\" class=\"zreset\">reset</button> <span class=\"range\" aria-live=\"polite\"></span>" +
		"<span class=\"hint\">click, then wheel (or Ctrl+wheel): zoom · drag: pan · shift+drag: zoom to range · +/−/0, ←/→ keys · hover: details</span></div>\n")
	p("<div class=\"plot\"><canvas tabindex=\"0\" role=\"img\" aria-label=\"workload timeline of %s\"></canvas><div class=\"tip\" role=\"tooltip\" hidden></div></div>\n", e(s.Name))
	p("<figcaption class=\"legend\"></figcaption>\n")
	p("<noscript><p>The timeline needs JavaScript; the failure groups above do not.</p></noscript>\n")
	p("</figure>\n")
	b, err := json.Marshal(timelineData(s, groups))
	if err != nil {
		return err
	}
	p("<script type=\"application/json\" class=\"sweep-data\">%s</script>\n</section>\n", b)
	return nil
}

func writeGroupHTML(bw *bufio.Writer, s *Sweep, si, gi int, g *failureGroup) {
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	e := html.EscapeString
	first, last := g.first(), g.last()
	p("<article class=\"group\" id=\"s%d-g%d\" style=\"--gc:%s\">\n", si, gi+1, groupColour(gi))
	p("<h4><span class=\"gtag\">G%d</span> <code class=\"class\">%s</code></h4>\n", gi+1, e(g.Class))
	p("<p class=\"gstats\"><strong>%d</strong> failing %s", len(g.Failures), pl(len(g.Failures), "branch", "branches"))
	if d := g.duplicates(); d > 0 {
		p(" (+%d reaching the same states)", d)
	}
	p(" · operations %s · first cut <code>%s</code>", g.opRange(), e(first.ID))
	if len(g.Failures) > 1 {
		p(" · last cut <code>%s</code>", e(last.ID))
	}
	p(" <button type=\"button\" class=\"show\" data-sweep=\"%d\" data-lo=\"%d\" data-hi=\"%d\">show on timeline</button></p>\n", si, first.Op, g.lastOp())
	writeSpark(bw, g, s.opCount(), gi)
	cmd := func(label, id string) {
		c := replayCommand(s.Script, id)
		// One unbreakable span per word: lines break between words only,
		// never after the hyphens of "--only".
		words := strings.Split(c, " ")
		for i, w := range words {
			words[i] = "<span>" + e(w) + "</span>"
		}
		p("<div class=\"cmd\"><span class=\"cmdlabel\">%s</span><code>%s</code><button type=\"button\" class=\"copy\" data-copy=\"%s\" aria-label=\"copy the %s command\">copy</button></div>\n",
			label, strings.Join(words, " "), e(c), label)
	}
	if sh := g.shrunk(); sh != "" {
		cmd("shrunk", sh)
	}
	if g.shrunk() != first.ID {
		cmd("first cut", first.ID)
	}
	p("<details><summary>error message of the first cut</summary><pre>%s</pre></details>\n", e(first.Error))
	p("<details><summary>all %d %s</summary><table><thead><tr><th>op</th><th>branch ID</th><th>shrunk</th><th>error</th></tr></thead><tbody>\n",
		len(g.Failures), pl(len(g.Failures), "branch", "branches"))
	for i, f := range g.Failures {
		if i == maxListed {
			p("<tr><td colspan=\"4\">… and %d more (flashemu sweep --json lists them all)</td></tr>\n", len(g.Failures)-maxListed)
			break
		}
		line, _, _ := strings.Cut(f.Error, "\n")
		p("<tr><td>%d</td><td><code>%s</code></td><td><code>%s</code></td><td>%s</td></tr>\n", f.Op, e(f.ID), e(f.Shrunk), e(line))
	}
	p("</tbody></table></details>\n</article>\n")
}

func (g *failureGroup) lastOp() int {
	hi := g.first().Op
	for _, f := range g.Failures {
		hi = max(hi, f.Op)
	}
	return hi
}

// tlData is the timeline's input for the page script. Per-operation columns
// are delta-encoded where values grow (addresses, times, acks) to keep a
// 100,000-operation page small.
type tlData struct {
	N      int      `json:"n"`                // operations
	Kinds  []string `json:"kinds,omitempty"`  // kind names, indexed by the characters of K
	K      string   `json:"k,omitempty"`      // one character per op: '0'+kind index, '.' unknown
	A      []int64  `json:"a,omitempty"`      // address deltas
	L      []int64  `json:"l,omitempty"`      // lengths
	T      []int64  `json:"t,omitempty"`      // start time deltas (ns)
	D      int64    `json:"d,omitempty"`      // duration of the last op (ns)
	Ack    []int    `json:"ack,omitempty"`    // acked deltas
	B      []int    `json:"b"`                // branches per op
	F      []int    `json:"f"`                // failed per op
	Groups []tlGrp  `json:"groups,omitempty"` // failure groups
}

type tlGrp struct {
	Tag    string `json:"tag"`
	Colour string `json:"colour"`
	Class  string `json:"class"`
	Ops    []int  `json:"ops"` // distinct operations with a failure of the group, ascending
	Count  int    `json:"count"`
}

func timelineData(s *Sweep, groups []failureGroup) tlData {
	n := s.opCount()
	d := tlData{N: n, B: make([]int, n), F: make([]int, n)}
	for i, o := range s.PerOp {
		d.B[i], d.F[i] = o.Branches, o.Failed
	}
	if len(s.PerOp) == 0 { // no per-op counts: use the failures themselves
		for _, f := range s.Failures {
			if f.Op >= 0 && f.Op < n {
				d.B[f.Op]++
				d.F[f.Op]++
			}
		}
	}
	if len(s.Timeline) > 0 {
		kindIdx := map[string]int{}
		var k strings.Builder
		d.A, d.L, d.T, d.Ack = make([]int64, n), make([]int64, n), make([]int64, n), make([]int, n)
		var pa, pt int64
		pack := 0
		for i := range n {
			if i >= len(s.Timeline) {
				k.WriteByte('.')
				continue
			}
			o := s.Timeline[i]
			ki, ok := kindIdx[o.Kind]
			if !ok && len(d.Kinds) < 40 {
				ki, ok = len(d.Kinds), true
				kindIdx[o.Kind] = ki
				d.Kinds = append(d.Kinds, o.Kind)
			}
			if ok {
				k.WriteByte(byte('0' + ki))
			} else {
				k.WriteByte('.')
			}
			d.A[i], d.L[i], d.T[i], d.Ack[i] = o.Addr-pa, o.Len, o.TimeNs-pt, o.Acked-pack
			pa, pt, pack = o.Addr, o.TimeNs, o.Acked
			d.D = o.DurNs
		}
		d.K = k.String()
	}
	for gi := range groups {
		g := &groups[gi]
		tg := tlGrp{Tag: "G" + strconv.Itoa(gi+1), Colour: groupColour(gi), Class: g.Class, Count: len(g.Failures)}
		seen := map[int]bool{}
		for _, f := range g.Failures { // in op order
			if f.Op < 0 || f.Op >= n || seen[f.Op] || len(tg.Ops) == maxMarks {
				continue
			}
			seen[f.Op] = true
			tg.Ops = append(tg.Ops, f.Op)
		}
		if tg.Ops == nil {
			tg.Ops = []int{}
		}
		d.Groups = append(d.Groups, tg)
	}
	return d
}

// sparkBins is the width of a group's strip in bins (and SVG units).
const sparkBins = 240

// writeSpark draws where in the workload a group's failures are: a static
// strip (no script needed, prints) with a mark per stretch of operations
// holding at least one of them.
func writeSpark(bw *bufio.Writer, g *failureGroup, n, gi int) {
	if n <= 0 {
		return
	}
	bins := min(n, sparkBins)
	hit := make([]bool, bins)
	for _, f := range g.Failures {
		if f.Op >= 0 && f.Op < n {
			hit[f.Op*bins/n] = true
		}
	}
	w := float64(sparkBins) / float64(bins)
	fmt.Fprintf(bw, `<svg class="spark" viewBox="0 0 %d 14" preserveAspectRatio="none" role="img" aria-label="where in the workload: operations %s of 0–%d">`, sparkBins, g.opRange(), n-1)
	fmt.Fprintf(bw, `<rect class="track" x="0" y="6" width="%d" height="2"/>`, sparkBins)
	for b, h := range hit {
		if h {
			fmt.Fprintf(bw, `<rect x="%.1f" y="1" width="%.1f" height="12" fill="%s"/>`, float64(b)*w, max(w, 1.5), groupColour(gi))
		}
	}
	fmt.Fprintf(bw, "</svg>\n")
}
