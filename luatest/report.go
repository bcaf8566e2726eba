package luatest

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/flashemu/flashemu/internal/atomicfile"
)

// indent prefixes every line of s with four spaces (go test's log style).
func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ") + "\n"
}

// resultLines is what go test -v prints for a finished test: the test's
// output and message indented, then the result line (details before
// "--- FAIL", as go test streams them, so that tools reading the output —
// go-junit-report — attach them to the test).
func resultLines(name string, r TestResult) string {
	var b strings.Builder
	b.WriteString(indent(r.Output))
	b.WriteString(indent(r.Msg))
	fmt.Fprintf(&b, "--- %s: %s (%.2fs)\n", r.Status, name, r.Elapsed.Seconds())
	return b.String()
}

// TextReporter prints what go test -v prints, so that tools reading go
// test output (go-junit-report) read it too:
//
//	=== RUN   scripts/x_test.lua/device/writes
//	--- PASS: scripts/x_test.lua/device/writes (0.00s)
//	=== RUN   scripts/x_test.lua/device/erases
//	    scripts/x_test.lua:12: expected 1, got 2
//	--- FAIL: scripts/x_test.lua/device/erases (0.01s)
//	3 passed, 1 failed, 0 skipped
type TextReporter struct {
	W io.Writer
	// Style, if set, decorates a result word ("PASS", "FAIL", "SKIP") for
	// a terminal (the CLI colours it); nil leaves it plain.
	Style func(status Status, word string) string
}

func (t *TextReporter) FileStart(string) {}
func (t *TextReporter) TestStart(file, name string) {
	fmt.Fprintf(t.W, "=== RUN   %s/%s\n", file, name)
}
func (t *TextReporter) TestDone(r TestResult) {
	out := resultLines(r.FullName(), r)
	if t.Style != nil {
		word := r.Status.String()
		out = strings.Replace(out, "--- "+word+":", "--- "+t.Style(r.Status, word)+":", 1)
	}
	fmt.Fprint(t.W, out)
}
func (t *TextReporter) FileDone(string, bool, time.Duration) {}
func (t *TextReporter) Done(s Summary)                       { fmt.Fprintln(t.W, s) }

// TestEvent is one line of `go test -json` (cmd/test2json) output.
type TestEvent struct {
	Time    time.Time `json:",omitempty"`
	Action  string
	Package string   `json:",omitempty"`
	Test    string   `json:",omitempty"`
	Elapsed *float64 `json:",omitempty"`
	Output  string   `json:",omitempty"`
}

// JSONReporter emits events shaped like `go test -json`: each test file
// is a Package, each test a Test, with start/run/output/pass/fail/skip
// actions, so tools that read go test -json (gotestsum, CI annotators)
// read flashemu test too.
type JSONReporter struct {
	W   io.Writer
	enc *json.Encoder
	// Now is the clock (tests fix it); nil means time.Now.
	Now func() time.Time
	// open are the describe blocks of the current file with a run event
	// and no result yet, outermost first.
	open []*jsonParent
}

// jsonParent is a describe block reported as a parent test, as go test
// reports a test with subtests.
type jsonParent struct {
	name   string
	start  time.Time
	failed bool
}

func (j *JSONReporter) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

// closeParents ends the open describe blocks that are not prefixes of
// name ("" ends them all), innermost first, with pass or fail.
func (j *JSONReporter) closeParents(file, name string) {
	for len(j.open) > 0 {
		p := j.open[len(j.open)-1]
		if name != "" && strings.HasPrefix(name, p.name+"/") {
			return
		}
		j.open = j.open[:len(j.open)-1]
		action, word := "pass", "PASS"
		if p.failed {
			action, word = "fail", "FAIL"
			if len(j.open) > 0 {
				j.open[len(j.open)-1].failed = true
			}
		}
		d := j.now().Sub(p.start)
		j.emit(TestEvent{Action: "output", Package: file, Test: p.name, Output: fmt.Sprintf("--- %s: %s (%.2fs)\n", word, p.name, d.Seconds())})
		j.emit(TestEvent{Action: action, Package: file, Test: p.name, Elapsed: elapsed(d)})
	}
}

func (j *JSONReporter) emit(e TestEvent) {
	if j.enc == nil {
		j.enc = json.NewEncoder(j.W)
	}
	e.Time = j.now()
	_ = j.enc.Encode(e)
}

func elapsed(d time.Duration) *float64 {
	f := float64(d.Round(time.Millisecond)) / float64(time.Second)
	return &f
}

func (j *JSONReporter) FileStart(file string) { j.emit(TestEvent{Action: "start", Package: file}) }
func (j *JSONReporter) TestStart(file, name string) {
	j.closeParents(file, name)
	// Run events for the describe blocks above the test not yet open.
	for i := 0; i < len(name); i++ {
		if name[i] != '/' {
			continue
		}
		parent := name[:i]
		if n := len(j.open); n > 0 && (j.open[n-1].name == parent || strings.HasPrefix(j.open[n-1].name, parent+"/")) {
			continue
		}
		j.open = append(j.open, &jsonParent{name: parent, start: j.now()})
		j.emit(TestEvent{Action: "run", Package: file, Test: parent})
		j.emit(TestEvent{Action: "output", Package: file, Test: parent, Output: "=== RUN   " + parent + "\n"})
	}
	j.emit(TestEvent{Action: "run", Package: file, Test: name})
	j.emit(TestEvent{Action: "output", Package: file, Test: name, Output: "=== RUN   " + name + "\n"})
}
func (j *JSONReporter) TestDone(r TestResult) {
	for _, line := range strings.SplitAfter(resultLines(r.Name, r), "\n") {
		if line != "" {
			j.emit(TestEvent{Action: "output", Package: r.File, Test: r.Name, Output: line})
		}
	}
	j.emit(TestEvent{Action: strings.ToLower(r.Status.String()), Package: r.File, Test: r.Name, Elapsed: elapsed(r.Elapsed)})
	if r.Status == Fail && len(j.open) > 0 {
		j.open[len(j.open)-1].failed = true
	}
}
func (j *JSONReporter) FileDone(file string, failed bool, d time.Duration) {
	j.closeParents(file, "")
	action, word, line := "pass", "PASS", "ok  \t"
	if failed {
		action, word, line = "fail", "FAIL", "FAIL\t"
	}
	j.emit(TestEvent{Action: "output", Package: file, Output: word + "\n"})
	j.emit(TestEvent{Action: "output", Package: file, Output: fmt.Sprintf("%s%s\t%.3fs\n", line, file, d.Seconds())})
	j.emit(TestEvent{Action: action, Package: file, Elapsed: elapsed(d)})
}
func (j *JSONReporter) Done(Summary) {}

// JUnitReporter collects results and writes JUnit XML (one testsuite per
// file) with WriteFile. A failed expectation is a <failure>; a runtime
// error, an error the test raised, or a file that did not load is an
// <error>. The classname is the file's path without ".lua" (and with
// other dots replaced by "_"), so that Jenkins, which splits a classname
// at its last dot, shows "scripts/demo_test", not package "demo_test" and
// class "lua".
type JUnitReporter struct {
	suites []*junitSuite
	byFile map[string]*junitSuite
	// Now is the clock for the suites' timestamps (tests fix it); nil
	// means time.Now.
	Now func() time.Time
}

type junitSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Errors   int           `xml:"errors,attr"`
	Skipped  int           `xml:"skipped,attr"`
	Time     string        `xml:"time,attr"`
	Suites   []*junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name      string       `xml:"name,attr"`
	Tests     int          `xml:"tests,attr"`
	Failures  int          `xml:"failures,attr"`
	Errors    int          `xml:"errors,attr"`
	Skipped   int          `xml:"skipped,attr"`
	Time      string       `xml:"time,attr"`
	Timestamp string       `xml:"timestamp,attr"`
	Hostname  string       `xml:"hostname,attr"`
	Cases     []*junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

// junitClassname is a test file's JUnit classname: "scripts/demo_test"
// for "scripts/demo_test.lua".
func junitClassname(file string) string {
	return strings.ReplaceAll(strings.TrimSuffix(file, ".lua"), ".", "_")
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

func secs(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }

func (j *JUnitReporter) suite(file string) *junitSuite {
	if j.byFile == nil {
		j.byFile = map[string]*junitSuite{}
	}
	s, ok := j.byFile[file]
	if !ok {
		now := time.Now
		if j.Now != nil {
			now = j.Now
		}
		host, _ := os.Hostname()
		s = &junitSuite{Name: file, Timestamp: now().UTC().Format("2006-01-02T15:04:05"), Hostname: host}
		j.byFile[file] = s
		j.suites = append(j.suites, s)
	}
	return s
}

func (j *JUnitReporter) FileStart(file string)    { j.suite(file) }
func (j *JUnitReporter) TestStart(string, string) {}
func (j *JUnitReporter) TestDone(r TestResult) {
	s := j.suite(r.File)
	c := &junitCase{Name: r.Name, Classname: junitClassname(r.File), Time: secs(r.Elapsed), SystemOut: r.Output}
	first, _, _ := strings.Cut(r.Msg, "\n")
	switch {
	case r.Status == Fail && r.Error:
		c.Error = &junitMessage{Message: first, Body: r.Msg}
		s.Errors++
	case r.Status == Fail:
		c.Failure = &junitMessage{Message: first, Body: r.Msg}
		s.Failures++
	case r.Status == Skip:
		c.Skipped = &junitMessage{Message: first}
		s.Skipped++
	}
	s.Tests++
	s.Cases = append(s.Cases, c)
}
func (j *JUnitReporter) FileDone(file string, _ bool, d time.Duration) { j.suite(file).Time = secs(d) }
func (j *JUnitReporter) Done(Summary)                                  {}

// WriteFile writes the XML atomically: to a temporary file in the same
// directory, then renamed over path. Missing parent directories are made.
func (j *JUnitReporter) WriteFile(path string, sum Summary) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	doc := junitSuites{Tests: sum.Passed + sum.Failed + sum.Skipped, Skipped: sum.Skipped, Time: secs(sum.Elapsed), Suites: j.suites}
	for _, s := range j.suites {
		doc.Failures += s.Failures
		doc.Errors += s.Errors
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	out = append([]byte(xml.Header), out...)
	out = append(out, '\n')
	return atomicfile.WriteData(nil, path, out)
}

// MultiReporter fans events out to several reporters.
type MultiReporter []Reporter

func (m MultiReporter) FileStart(f string) {
	for _, r := range m {
		r.FileStart(f)
	}
}
func (m MultiReporter) TestStart(f, n string) {
	for _, r := range m {
		r.TestStart(f, n)
	}
}
func (m MultiReporter) TestDone(res TestResult) {
	for _, r := range m {
		r.TestDone(res)
	}
}
func (m MultiReporter) FileDone(f string, failed bool, d time.Duration) {
	for _, r := range m {
		r.FileDone(f, failed, d)
	}
}
func (m MultiReporter) Done(s Summary) {
	for _, r := range m {
		r.Done(s)
	}
}
