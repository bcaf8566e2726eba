package lua

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

// resultLines is what go test -v prints for a finished test: the result
// line, then the test's output and message indented.
func resultLines(name string, r TestResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s: %s (%.2fs)\n", r.Status, name, r.Elapsed.Seconds())
	b.WriteString(indent(r.Output))
	b.WriteString(indent(r.Msg))
	return b.String()
}

// TextReporter prints go-test-like lines:
//
//	--- PASS: scripts/x_test.lua/device/writes (0.00s)
//	--- FAIL: scripts/x_test.lua/device/erases (0.01s)
//	    scripts/x_test.lua:12: expected 1, got 2
//	3 passed, 1 failed, 0 skipped
type TextReporter struct{ W io.Writer }

func (t *TextReporter) FileStart(string)         {}
func (t *TextReporter) TestStart(string, string) {}
func (t *TextReporter) TestDone(r TestResult) {
	fmt.Fprint(t.W, resultLines(r.FullName(), r))
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
}

func (j *JSONReporter) emit(e TestEvent) {
	if j.enc == nil {
		j.enc = json.NewEncoder(j.W)
	}
	if j.Now != nil {
		e.Time = j.Now()
	} else {
		e.Time = time.Now()
	}
	_ = j.enc.Encode(e)
}

func elapsed(d time.Duration) *float64 {
	f := float64(d.Round(time.Millisecond)) / float64(time.Second)
	return &f
}

func (j *JSONReporter) FileStart(file string) { j.emit(TestEvent{Action: "start", Package: file}) }
func (j *JSONReporter) TestStart(file, name string) {
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
}
func (j *JSONReporter) FileDone(file string, failed bool, d time.Duration) {
	action, word := "pass", "PASS"
	if failed {
		action, word = "fail", "FAIL"
	}
	j.emit(TestEvent{Action: "output", Package: file, Output: word + "\n"})
	j.emit(TestEvent{Action: action, Package: file, Elapsed: elapsed(d)})
}
func (j *JSONReporter) Done(Summary) {}

// JUnitReporter collects results and writes JUnit XML (one testsuite per
// file) with WriteFile.
type JUnitReporter struct {
	suites []*junitSuite
	byFile map[string]*junitSuite
}

type junitSuites struct {
	XMLName  xml.Name      `xml:"testsuites"`
	Tests    int           `xml:"tests,attr"`
	Failures int           `xml:"failures,attr"`
	Skipped  int           `xml:"skipped,attr"`
	Time     string        `xml:"time,attr"`
	Suites   []*junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Cases    []*junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
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
		s = &junitSuite{Name: file}
		j.byFile[file] = s
		j.suites = append(j.suites, s)
	}
	return s
}

func (j *JUnitReporter) FileStart(file string)    { j.suite(file) }
func (j *JUnitReporter) TestStart(string, string) {}
func (j *JUnitReporter) TestDone(r TestResult) {
	s := j.suite(r.File)
	c := &junitCase{Name: r.Name, Classname: r.File, Time: secs(r.Elapsed), SystemOut: r.Output}
	first, _, _ := strings.Cut(r.Msg, "\n")
	switch r.Status {
	case Fail:
		c.Failure = &junitMessage{Message: first, Body: r.Msg}
		s.Failures++
	case Skip:
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
	doc := junitSuites{Tests: sum.Passed + sum.Failed + sum.Skipped, Failures: sum.Failed, Skipped: sum.Skipped, Time: secs(sum.Elapsed), Suites: j.suites}
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
