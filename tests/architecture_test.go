package tests

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const modulePath = "github.com/flashemu/flashemu"

// layer is one row of docs/architecture.md's package diagram.
type layer struct {
	rank        int
	names       []string
	testSupport bool
}

// architectureLayers reads the package diagram: the first column names
// the packages of a row (a trailing comma continues the list on the next
// row; "atomicfile" after "internal/fsroot" is internal/atomicfile), rows
// run from the top of the stack down.
func architectureLayers(t *testing.T) map[string]layer {
	b, err := os.ReadFile(filepath.Join("..", "docs", "architecture.md"))
	require.NoError(t, err)
	_, rest, ok := strings.Cut(string(b), "```\n")
	require.True(t, ok, "architecture.md has no diagram")
	diagram, _, ok := strings.Cut(rest, "```")
	require.True(t, ok)
	const col = 33 // where the descriptions start
	out := map[string]layer{}
	var pending []string
	var groupDesc string // the description's first line of a row's first line
	rank := 0
	for _, line := range strings.Split(diagram, "\n") {
		if len(line) < col {
			continue
		}
		first, desc := strings.TrimSpace(line[:col]), line[col:]
		if first == "" {
			continue // a description's second line
		}
		if len(pending) == 0 {
			groupDesc = desc
		}
		prefix := ""
		for _, n := range strings.Split(first, ",") {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			if i := strings.LastIndexByte(n, '/'); i >= 0 {
				prefix = n[:i+1]
			} else {
				n = prefix + n
			}
			pending = append(pending, n)
		}
		if strings.HasSuffix(first, ",") {
			continue
		}
		l := layer{rank: rank, names: pending, testSupport: strings.HasPrefix(groupDesc, "test support")}
		for _, n := range pending {
			out[n] = l
		}
		pending = nil
		rank++
	}
	return out
}

// TestArchitectureDiagramIsTrue keeps docs/architecture.md true: every
// package of the module is in its diagram, and each imports only packages
// in rows below its own (or its own row); test-support packages are
// imported by tests only.
func TestArchitectureDiagramIsTrue(t *testing.T) {
	layers := architectureLayers(t)
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = ".."
	out, err := cmd.Output()
	require.NoError(t, err)
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
		}
		require.NoError(t, dec.Decode(&p))
		name := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, modulePath), "/")
		if name == "tests" || strings.HasPrefix(name, "tests/") {
			continue
		}
		seen++
		l, ok := layers[name]
		if !assert.True(t, ok, "package %s is not in docs/architecture.md's diagram", name) {
			continue
		}
		for _, imp := range p.Imports {
			dep, ok := strings.CutPrefix(imp, modulePath+"/")
			if !ok {
				continue
			}
			dl, ok := layers[dep]
			if !assert.True(t, ok, "%s imports %s, which the diagram lacks", name, dep) {
				continue
			}
			if dl.testSupport {
				assert.True(t, l.testSupport, "%s imports test support %s outside its tests", name, dep)
				continue
			}
			if l.testSupport {
				continue
			}
			assert.True(t, dl.rank >= l.rank, "%s imports %s, drawn above it in docs/architecture.md", name, dep)
		}
	}
	assert.Greater(t, seen, 20)
}
