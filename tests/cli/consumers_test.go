package cli_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tools CI systems already use read flashemu test's output: gotestsum
// reads --json as it reads go test -json, go-junit-report reads the text
// output (and --json) as it reads go test's (#14). The tools are fetched
// with `go run pkg@version`; without the module proxy the test skips.

const consumerTests = `
describe("dev", function()
  it("ok", function() print("hi") end)
  describe("deep", function()
    it("bad", function() expect(1):eq(2) end)
  end)
end)
it("top", function() error("boom") end)
`

// flashemuOut runs flashemu (this test binary) in dir and returns stdout.
func flashemuOut(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), asCLIEnv+"=1")
	out, _ := cmd.Output() // exits 1: tests fail
	require.NotEmpty(t, out)
	return out
}

// goRun runs `go run pkg args...` with stdin, skipping the test when the
// tool cannot be fetched or built here.
func goRun(t *testing.T, dir string, stdin []byte, pkg string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"run", pkg}, args...)...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Skipf("go run %s: %v", pkg, err)
	}
	if code != 0 && out.Len() == 0 && strings.Contains(errb.String(), "go: ") {
		t.Skipf("cannot fetch or build %s here: %s", pkg, strings.TrimSpace(errb.String()))
	}
	return out.String() + errb.String(), code
}

func consumerDir(t *testing.T) string {
	if testing.Short() {
		t.Skip("fetches and builds gotestsum / go-junit-report")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "j_test.lua"), []byte(consumerTests), 0o644))
	return dir
}

func TestGotestsumReadsJSON(t *testing.T) {
	dir := consumerDir(t)
	// gotestsum runs flashemu itself (this test binary as flashemu).
	t.Setenv(asCLIEnv, "1")
	out, code := goRun(t, dir, nil, "gotest.tools/gotestsum@v1.13.0",
		"--format", "standard-verbose", "--junitfile", "g.xml", "--raw-command", "--", os.Args[0], "test", "--json", "j_test.lua")
	t.Log(out)
	assert.NotContains(t, out, "panic")
	assert.NotContains(t, out, "nil pointer")
	assert.Equal(t, 1, code, "failed tests make gotestsum fail")
	assert.Contains(t, out, "--- FAIL: dev/deep/bad")
	assert.Contains(t, out, "j_test.lua:5: expected 2, got 1")
	assert.Regexp(t, `DONE 5 tests, 4 failures`, out) // dev, dev/ok, dev/deep, dev/deep/bad, top
	x, err := os.ReadFile(filepath.Join(dir, "g.xml"))
	require.NoError(t, err)
	assert.Contains(t, string(x), `name="dev/deep/bad"`)
}

func TestGoJUnitReportReadsTextAndJSON(t *testing.T) {
	dir := consumerDir(t)
	text := flashemuOut(t, dir, "test", "j_test.lua")
	out, code := goRun(t, dir, text, "github.com/jstemmer/go-junit-report/v2@v2.1.0")
	t.Log(out)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "<failure")
	assert.Contains(t, out, "expected 2, got 1", "the failure's details are in its body")
	assert.Contains(t, out, "boom")

	js := flashemuOut(t, dir, "test", "--json", "j_test.lua")
	out, code = goRun(t, dir, js, "github.com/jstemmer/go-junit-report/v2@v2.1.0", "-parser", "gojson")
	t.Log(out)
	require.Equal(t, 0, code)
	assert.Contains(t, out, `name="dev/deep/bad"`)
	assert.Contains(t, out, "expected 2, got 1")
}
