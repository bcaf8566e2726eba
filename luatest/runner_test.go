package luatest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flashemu/flashemu/shard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var shardSeed = flag.Int64("shard-seed", 0, "seed for TestShardsPartition (0: time-based)")

// recorder is a Reporter that keeps everything.
type recorder struct {
	events  []string
	results []TestResult
	sum     Summary
}

func (r *recorder) FileStart(f string)    { r.events = append(r.events, "start "+f) }
func (r *recorder) TestStart(f, n string) { r.events = append(r.events, "run "+f+"/"+n) }
func (r *recorder) TestDone(res TestResult) {
	r.events = append(r.events, strings.ToLower(res.Status.String())+" "+res.FullName())
	r.results = append(r.results, res)
}
func (r *recorder) FileDone(f string, failed bool, _ time.Duration) {
	r.events = append(r.events, fmt.Sprintf("done %s failed=%v", f, failed))
}
func (r *recorder) Done(s Summary) { r.sum = s }

func writeTests(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(src), 0o644))
	}
	return dir
}

func TestRunTestsOrderAndIsolation(t *testing.T) {
	dir := writeTests(t, map[string]string{
		"b_test.lua": `
describe("outer", function()
  it("first", function() expect(1):eq(1) end)
  describe("inner", function()
    it("second", function() error("boom") end)
  end)
  it("third", function() skip("later") end)
end)
it("dup", function() end)
it("dup", function() end)`,
		"a_test.lua": `
shared = (shared or 0) + 1
it("isolated", function() expect(shared):eq(1) shared = shared + 10 end)
it("still isolated", function() expect(shared):eq(1) end)`,
		"sub/c_test.lua":     `it("deep", function() end)`,
		"helper.lua":         `error("never loaded")`,
		"sub/d_test.lua":     `it("load fails", function() end) error("at top level")`,
		".hidden/x_test.lua": `error("hidden dirs are skipped")`,
	})
	files, err := DiscoverTests([]string{dir})
	require.NoError(t, err)
	var rel []string
	for _, f := range files {
		r, _ := filepath.Rel(dir, f)
		rel = append(rel, r)
	}
	assert.Equal(t, []string{"a_test.lua", "b_test.lua", "sub/c_test.lua", "sub/d_test.lua"}, rel)

	t.Chdir(dir)
	rec := &recorder{}
	sum := RunTests(context.Background(), rel, TestOptions{}, rec)
	assert.Equal(t, Summary{Passed: 6, Failed: 2, Skipped: 1}, Summary{Passed: sum.Passed, Failed: sum.Failed, Skipped: sum.Skipped})
	assert.Equal(t, sum, rec.sum)
	assert.Equal(t, []string{
		"start a_test.lua",
		"run a_test.lua/isolated", "pass a_test.lua/isolated",
		"run a_test.lua/still_isolated", "pass a_test.lua/still_isolated",
		"done a_test.lua failed=false",
		"start b_test.lua",
		"run b_test.lua/outer/first", "pass b_test.lua/outer/first",
		"run b_test.lua/outer/inner/second", "fail b_test.lua/outer/inner/second",
		"run b_test.lua/outer/third", "skip b_test.lua/outer/third",
		"run b_test.lua/dup", "pass b_test.lua/dup",
		"run b_test.lua/dup#01", "pass b_test.lua/dup#01",
		"done b_test.lua failed=true",
		"start sub/c_test.lua",
		"run sub/c_test.lua/deep", "pass sub/c_test.lua/deep",
		"done sub/c_test.lua failed=false",
		"start sub/d_test.lua",
		"run sub/d_test.lua/(load)", "fail sub/d_test.lua/(load)",
		"done sub/d_test.lua failed=true",
	}, rec.events)
	byName := map[string]TestResult{}
	for _, r := range rec.results {
		byName[r.FullName()] = r
	}
	assert.Equal(t, "b_test.lua:5: boom", byName["b_test.lua/outer/inner/second"].Msg)
	assert.Equal(t, "later", byName["b_test.lua/outer/third"].Msg)
	assert.Equal(t, "sub/d_test.lua:1: at top level", byName["sub/d_test.lua/(load)"].Msg)
}

func TestRunFilterAndTimeout(t *testing.T) {
	dir := writeTests(t, map[string]string{"x_test.lua": `
it("fast", function() end)
it("spins", function() while true do end end)
it("also fast", function() end)`})
	t.Chdir(dir)
	rec := &recorder{}
	sum := RunTests(context.Background(), []string{"x_test.lua"}, TestOptions{Timeout: 100 * time.Millisecond}, rec)
	assert.Equal(t, 2, sum.Passed)
	assert.Equal(t, 1, sum.Failed)
	assert.Equal(t, "x_test.lua:3: timeout after 100ms", rec.results[1].Msg)

	rec = &recorder{}
	sum = RunTests(context.Background(), []string{"x_test.lua"}, TestOptions{Run: regexp.MustCompile(`fast$`)}, rec)
	assert.Equal(t, 2, sum.Passed)
	assert.Equal(t, 0, sum.Failed)
}

func TestShardsPartition(t *testing.T) {
	seed := *shardSeed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	t.Logf("seed=%d (rerun with -shard-seed=%d)", seed, seed)
	rng := rand.New(rand.NewSource(seed))
	for round := 0; round < 50; round++ {
		n := 1 + rng.Intn(9)
		names := make([]string, 1+rng.Intn(200))
		for i := range names {
			names[i] = fmt.Sprintf("f%d_test.lua/t%d", rng.Intn(5), rng.Int63())
		}
		for _, name := range names {
			hits := 0
			for i := 0; i < n; i++ {
				if (shard.Shard{Index: i, Total: n}).Selects(name) {
					hits++
				}
			}
			require.Equal(t, 1, hits, "%s in %d shards", name, n)
		}
	}
	assert.True(t, shard.Shard{}.Selects("anything"))
}

func TestJSONReporterMatchesTest2JSON(t *testing.T) {
	dir := writeTests(t, map[string]string{"j_test.lua": `
describe("dev", function()
  it("ok", function() print("hi") end)
  describe("deep", function()
    it("bad", function() expect(1):eq(2) end)
  end)
end)
it("top", function() error("boom") end)`})
	t.Chdir(dir)
	var buf bytes.Buffer
	fixed := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	RunTests(context.Background(), []string{"j_test.lua"}, TestOptions{}, &JSONReporter{W: &buf, Now: func() time.Time { return fixed }})
	var got []string
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var e TestEvent
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e), sc.Text())
		assert.Equal(t, fixed, e.Time)
		assert.Equal(t, "j_test.lua", e.Package)
		out := strings.ReplaceAll(e.Output, "\n", `\n`)
		out = regexp.MustCompile(`\(\d+\.\d+s\)|\t\d+\.\d+s`).ReplaceAllString(out, "(T)")
		var parts []string
		for _, p := range []string{e.Action, e.Test, out} {
			if p != "" {
				parts = append(parts, p)
			}
		}
		line := strings.Join(parts, " ")
		if e.Elapsed != nil {
			line += " +elapsed"
		}
		got = append(got, line)
	}
	// As go test -json: a run/pass/fail for every level (a describe is a
	// parent test whose result follows its children's), a test's output
	// before its result line, and the package's result lines.
	assert.Equal(t, []string{
		"start",
		"run dev",
		`output dev === RUN   dev\n`,
		"run dev/ok",
		`output dev/ok === RUN   dev/ok\n`,
		`output dev/ok     hi\n`,
		`output dev/ok --- PASS: dev/ok (T)\n`,
		"pass dev/ok +elapsed",
		"run dev/deep",
		`output dev/deep === RUN   dev/deep\n`,
		"run dev/deep/bad",
		`output dev/deep/bad === RUN   dev/deep/bad\n`,
		`output dev/deep/bad     j_test.lua:5: expected 2, got 1\n`,
		`output dev/deep/bad --- FAIL: dev/deep/bad (T)\n`,
		"fail dev/deep/bad +elapsed",
		`output dev/deep --- FAIL: dev/deep (T)\n`,
		"fail dev/deep +elapsed",
		`output dev --- FAIL: dev (T)\n`,
		"fail dev +elapsed",
		"run top",
		`output top === RUN   top\n`,
		`output top     j_test.lua:8: boom\n`,
		`output top --- FAIL: top (T)\n`,
		"fail top +elapsed",
		`output FAIL\n`,
		"output FAIL\tj_test.lua(T)\\n",
		"fail +elapsed",
	}, got)
}

func TestJUnitReport(t *testing.T) {
	dir := writeTests(t, map[string]string{"u_test.lua": `
it("ok", function() print("out") end)
it("bad", function() error("why <&>") end)
it("wrong", function() expect(1):eq(2) end)
it("later")`, "load_test.lua": `it("x", function() end) error("top")`})
	t.Chdir(dir)
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	j := &JUnitReporter{Now: func() time.Time { return fixed }}
	sum := RunTests(context.Background(), []string{"u_test.lua", "load_test.lua"}, TestOptions{}, j)
	path := filepath.Join(dir, "reports", "junit.xml")
	require.NoError(t, j.WriteFile(path, sum))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc junitSuites
	require.NoError(t, xml.Unmarshal(data, &doc))
	assert.Equal(t, 5, doc.Tests)
	assert.Equal(t, 1, doc.Failures, "the failed expectation")
	assert.Equal(t, 2, doc.Errors, "the runtime error and the file that did not load")
	assert.Equal(t, 1, doc.Skipped)
	require.Len(t, doc.Suites, 2)
	s := doc.Suites[0]
	assert.Equal(t, "u_test.lua", s.Name)
	assert.Equal(t, "2026-01-02T03:04:05", s.Timestamp)
	assert.NotEmpty(t, s.Hostname)
	assert.Equal(t, 1, s.Errors)
	assert.Equal(t, 1, s.Failures)
	require.Len(t, s.Cases, 4)
	assert.Equal(t, "u_test", s.Cases[0].Classname, "no .lua for Jenkins to split at")
	assert.Equal(t, "out\n", s.Cases[0].SystemOut)
	require.NotNil(t, s.Cases[1].Error, "a runtime error is an <error>")
	assert.Nil(t, s.Cases[1].Failure)
	assert.Equal(t, "u_test.lua:3: why <&>", s.Cases[1].Error.Message)
	require.NotNil(t, s.Cases[2].Failure, "a failed expectation is a <failure>")
	assert.Equal(t, "u_test.lua:4: expected 2, got 1", s.Cases[2].Failure.Message)
	require.NotNil(t, s.Cases[3].Skipped)
	assert.Equal(t, "pending", s.Cases[3].Skipped.Message)
	require.Len(t, doc.Suites[1].Cases, 1)
	assert.NotNil(t, doc.Suites[1].Cases[0].Error, "a file that does not load is an <error>")
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file is left behind")
}
