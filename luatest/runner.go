package luatest

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/flashemu/flashemu/lua"
	"github.com/flashemu/flashemu/shard"
)

// Status is a test outcome.
type Status int

// Test outcomes.
const (
	Pass Status = iota
	Fail
	Skip
)

func (s Status) String() string {
	switch s {
	case Pass:
		return "PASS"
	case Fail:
		return "FAIL"
	}
	return "SKIP"
}

// TestResult is the outcome of one test.
type TestResult struct {
	// File is the test file as discovered (e.g. "scripts/x_test.lua").
	File string
	// Name is the test's name within the file: describe and it names
	// joined with '/', spaces replaced by '_' (like go subtests).
	Name   string
	Status Status
	// Msg is the failure ("file:line: message") or the skip reason.
	Msg string
	// Output is what the test printed.
	Output  string
	Elapsed time.Duration
	// Error marks a failure that is not a failed expectation: a runtime
	// error, an error the test raised, or a file that did not load (JUnit
	// <error> rather than <failure>).
	Error bool
}

// FullName is "file/name", the name --run matches and reports show.
func (r TestResult) FullName() string { return r.File + "/" + r.Name }

// Summary counts results.
type Summary struct {
	Passed, Failed, Skipped int
	Elapsed                 time.Duration
}

// String is the runner's last line: "N passed, N failed, N skipped".
func (s Summary) String() string {
	return fmt.Sprintf("%d passed, %d failed, %d skipped", s.Passed, s.Failed, s.Skipped)
}

// OK reports whether nothing failed.
func (s Summary) OK() bool { return s.Failed == 0 }

// Reporter receives test events in order.
type Reporter interface {
	// FileStart is called before a file's tests run.
	FileStart(file string)
	// TestStart is called before a test runs.
	TestStart(file, name string)
	// TestDone is called with each result.
	TestDone(r TestResult)
	// FileDone is called after a file's tests; failed is true if any failed.
	FileDone(file string, failed bool, elapsed time.Duration)
	// Done is called once at the end.
	Done(s Summary)
}

// TestOptions configure RunTests.
type TestOptions struct {
	// Run, if set, selects tests whose full name ("file/describe/it")
	// matches (unanchored, like go test -run on one level).
	Run *regexp.Regexp
	// Shard selects a deterministic subset.
	Shard shard.Shard
	// State is the base options of each test's fresh state (AllowIO,
	// MemoryLimit, ...). Stdout, Script, Args and TestMode are set per test.
	State lua.Options
	// Timeout bounds each test (its file's top level plus the test); 0 = none.
	Timeout time.Duration
}

// DiscoverTests expands paths into test files: a directory contributes its
// *_test.lua files (recursively, sorted), a file is taken as named. No
// paths means the current directory.
func DiscoverTests(paths []string) ([]string, error) {
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var files []string
	seen := map[string]bool{}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !st.IsDir() {
			if !seen[p] {
				seen[p] = true
				files = append(files, p)
			}
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), "_test.lua") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sort.Strings(found)
		for _, f := range found {
			if !seen[f] {
				seen[f] = true
				files = append(files, f)
			}
		}
	}
	return files, nil
}

// RunTests runs the tests of the given files. Every test runs in a fresh
// state: the file's top level is run again (collecting its describe/it
// declarations, which must be the same each time) and then only that
// test with its before_each/after_each hooks. Each file is compiled once.
// A file that fails to compile or to declare its tests counts as one
// failed test named "(load)".
func RunTests(ctx context.Context, files []string, opts TestOptions, rep Reporter) Summary {
	var sum Summary
	start := time.Now()
	for _, f := range files {
		if ctx.Err() != nil {
			break
		}
		runFile(ctx, f, opts, rep, &sum)
	}
	sum.Elapsed = time.Since(start)
	rep.Done(sum)
	return sum
}

func runFile(ctx context.Context, file string, opts TestOptions, rep Reporter, sum *Summary) {
	fstart := time.Now()
	rep.FileStart(file)
	failed := false
	record := func(r TestResult) {
		switch r.Status {
		case Pass:
			sum.Passed++
		case Fail:
			sum.Failed++
			failed = true
		case Skip:
			sum.Skipped++
		}
		rep.TestDone(r)
	}
	loadFail := func(err error, out string, t time.Time) {
		rep.TestStart(file, "(load)")
		record(TestResult{File: file, Name: "(load)", Status: Fail, Msg: err.Error(), Output: out, Elapsed: time.Since(t), Error: true})
	}
	prog, err := lua.Compile(file)
	if err != nil {
		loadFail(err, "", fstart)
		rep.FileDone(file, true, time.Since(fstart))
		return
	}
	// First pass: collect the declarations.
	t0 := time.Now()
	names, out, err := collect(ctx, prog, opts)
	if err != nil {
		loadFail(err, out, t0)
		rep.FileDone(file, true, time.Since(fstart))
		return
	}
	for i, name := range names {
		full := file + "/" + name
		if opts.Run != nil && !opts.Run.MatchString(full) {
			continue
		}
		if !opts.Shard.Selects(full) {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		rep.TestStart(file, name)
		record(runOne(ctx, prog, opts, i, name))
	}
	rep.FileDone(file, failed, time.Since(fstart))
}

// testState makes a test-mode state for prog printing into buf, and runs
// its top level under the per-test timeout. It returns the context for
// the rest of the test.
func testState(ctx context.Context, prog *lua.Program, opts TestOptions, buf *bytes.Buffer) (*lua.State, context.Context, context.CancelFunc, error) {
	so := opts.State
	so.Stdout = buf
	so.TestMode = true
	so.Script = ""
	so.Args = nil
	cancel := func() {}
	if opts.Timeout > 0 {
		ctx, cancel = context.WithTimeoutCause(ctx, opts.Timeout, fmt.Errorf("%w after %v", lua.ErrTimeout, opts.Timeout))
	}
	s, err := prog.NewState(so)
	if err != nil {
		cancel()
		return nil, nil, nil, err
	}
	if _, err := prog.Run(ctx, s); err != nil {
		s.Close()
		cancel()
		return nil, nil, nil, err
	}
	return s, ctx, cancel, nil
}

// collect runs the file's top level once and lists its test names.
func collect(ctx context.Context, prog *lua.Program, opts TestOptions) ([]string, string, error) {
	var buf bytes.Buffer
	opts.State.Trace = nil // only the tests' own runs are traced
	s, _, cancel, err := testState(ctx, prog, opts, &buf)
	if err != nil {
		return nil, buf.String(), err
	}
	defer cancel()
	defer s.Close()
	return s.TestNames(), buf.String(), nil
}

// runOne runs test number i (named name) of prog in a fresh state.
func runOne(ctx context.Context, prog *lua.Program, opts TestOptions, i int, name string) TestResult {
	start := time.Now()
	var buf bytes.Buffer
	r := TestResult{File: prog.Path, Name: name}
	if opts.State.Trace != nil {
		opts.State.TraceTag = r.FullName()
	}
	s, tctx, cancel, err := testState(ctx, prog, opts, &buf)
	if err != nil {
		r.Status, r.Msg, r.Output, r.Elapsed, r.Error = Fail, err.Error(), buf.String(), time.Since(start), true
		return r
	}
	defer cancel()
	defer s.Close()
	if names := s.TestNames(); i >= len(names) || names[i] != name {
		r.Status, r.Msg = Fail, "test declarations differ between runs of the file (declare tests deterministically)"
	} else {
		o := s.RunTest(tctx, i)
		switch {
		case o.Err != nil:
			r.Status, r.Msg, r.Error = Fail, o.Err.Error(), !o.Expectation
		case o.Skipped:
			r.Status, r.Msg = Skip, o.Reason
		default:
			r.Status = Pass
		}
	}
	r.Output = buf.String()
	r.Elapsed = time.Since(start)
	return r
}
