package cli

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/internal/atomicfile"
)

// --junit FILE: a JUnit XML report for CI dashboards. One <testsuite> per
// sweep holds one <testcase> for the sweep itself (failed when any branch
// failed, with the summary) and one per failing branch, named by its ID,
// whose failure carries the check's error and, in its body, the command
// that replays the branch alone. With --verify, every branch whose
// verdicts differ is a failing testcase "verify ID" too.

type junitSweepSuites struct {
	XMLName  xml.Name           `xml:"testsuites"`
	Tests    int                `xml:"tests,attr"`
	Failures int                `xml:"failures,attr"`
	Time     string             `xml:"time,attr"`
	Suites   []*junitSweepSuite `xml:"testsuite"`
}

type junitSweepSuite struct {
	Name     string           `xml:"name,attr"`
	Tests    int              `xml:"tests,attr"`
	Failures int              `xml:"failures,attr"`
	Time     string           `xml:"time,attr"`
	Cases    []junitSweepCase `xml:"testcase"`
}

type junitSweepCase struct {
	Name      string             `xml:"name,attr"`
	Classname string             `xml:"classname,attr"`
	Time      string             `xml:"time,attr"`
	Failure   *junitSweepFailure `xml:"failure,omitempty"`
}

type junitSweepFailure struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",cdata"`
}

// junitReport collects the sweeps of one invocation.
type junitReport struct {
	script string
	doc    junitSweepSuites
	wallNs int64
}

// add records one sweep's result (and --verify's, if any).
func (j *junitReport) add(res *faults.Result, vr *faults.VerifyResult) {
	secs := func(ns int64) string { return fmt.Sprintf("%.3f", float64(ns)/1e9) }
	class := j.script + "." + res.Name
	s := &junitSweepSuite{Name: j.script + ": " + res.Name, Time: secs(res.WallNs)}
	summary := fmt.Sprintf("%d branches checked, %d failed, %d deduplicated of %d; cuts %s, depth %d, seed %d",
		res.Checked, res.Failed, res.Deduped, res.Branches, res.Cuts, res.Depth, res.Seed)
	if res.Shard != "" {
		summary += ", shard " + res.Shard
	}
	sweepCase := junitSweepCase{Name: res.Name, Classname: class, Time: secs(res.WallNs)}
	if !res.OK() {
		sweepCase.Failure = &junitSweepFailure{Message: fmt.Sprintf("%d of %d branches failed", res.Failed, res.Checked), Body: summary}
	}
	s.Cases = append(s.Cases, sweepCase)
	for _, f := range res.Failures {
		id := f.ID
		body := fmt.Sprintf("%s\n\nreplay: flashemu sweep %s --only %s\n", f.Error, j.script, id)
		if f.Shrunk != "" {
			body += fmt.Sprintf("shrunk: flashemu sweep %s --only %s\n", j.script, f.Shrunk)
		}
		if f.Duplicates > 0 {
			body += fmt.Sprintf("%d more %s reached the same state\n", f.Duplicates, plural(f.Duplicates, "branch", "branches"))
		}
		s.Cases = append(s.Cases, junitSweepCase{Name: id, Classname: class, Time: "0",
			Failure: &junitSweepFailure{Message: oneLine(f.Error), Body: body}})
	}
	if vr != nil {
		for _, dg := range vr.Disagreements {
			msg := fmt.Sprintf("sweep verdict %s, alone %s", dg.Sweep, dg.Replay)
			body := msg + "\n"
			if dg.SweepError != "" {
				body += "sweep: " + dg.SweepError + "\n"
			}
			if dg.ReplayError != "" {
				body += "alone: " + dg.ReplayError + "\n"
			}
			body += fmt.Sprintf("\nreplay: flashemu sweep %s --only %s\n", j.script, dg.ID)
			s.Cases = append(s.Cases, junitSweepCase{Name: "verify " + dg.ID, Classname: class, Time: "0",
				Failure: &junitSweepFailure{Message: msg, Body: body}})
		}
	}
	for _, c := range s.Cases {
		s.Tests++
		if c.Failure != nil {
			s.Failures++
		}
	}
	j.doc.Suites = append(j.doc.Suites, s)
	j.doc.Tests += s.Tests
	j.doc.Failures += s.Failures
	j.wallNs += res.WallNs
}

// write writes the report to path (atomically).
func (j *junitReport) write(path string) error {
	j.doc.Time = fmt.Sprintf("%.3f", float64(j.wallNs)/1e9)
	if j.doc.Suites == nil {
		j.doc.Suites = []*junitSweepSuite{}
	}
	b, err := xml.MarshalIndent(&j.doc, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	var out strings.Builder
	out.WriteString(xml.Header)
	out.Write(b)
	out.WriteString("\n")
	return atomicfile.WriteData(nil, path, []byte(out.String()))
}
