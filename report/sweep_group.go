package report

import (
	"sort"
	"strconv"
	"strings"

	"github.com/flashemu/flashemu/faults"
)

// failureGroup is one error class of a sweep's failures: the failing
// branches whose check failed at the same place with the same message shape.
type failureGroup struct {
	Class    string    // "file:line: message shape" (Failure.Class)
	Failures []Failure // in cut order (operation, then ID)
}

// groupFailures groups fs by their Class (faults.FailureClass of the error
// when not set): biggest group first (ties: the
// earliest cut first), failures in each group in cut order.
func groupFailures(fs []Failure) []failureGroup {
	idx := map[string]int{}
	var gs []failureGroup
	for _, f := range fs {
		c := f.Class
		if c == "" {
			c = faults.FailureClass(f.Error)
		}
		i, ok := idx[c]
		if !ok {
			i = len(gs)
			idx[c] = i
			gs = append(gs, failureGroup{Class: c})
		}
		gs[i].Failures = append(gs[i].Failures, f)
	}
	for i := range gs {
		sort.SliceStable(gs[i].Failures, func(a, b int) bool { return cutLess(gs[i].Failures[a], gs[i].Failures[b]) })
	}
	sort.SliceStable(gs, func(a, b int) bool {
		if len(gs[a].Failures) != len(gs[b].Failures) {
			return len(gs[a].Failures) > len(gs[b].Failures)
		}
		if c := gs[a].Failures[0]; cutLess(c, gs[b].Failures[0]) {
			return true
		} else if cutLess(gs[b].Failures[0], c) {
			return false
		}
		return gs[a].Class < gs[b].Class
	})
	return gs
}

// cutLess orders failures by the operation their first cut hit, then by ID
// (numbers inside IDs compared as numbers: 9a before 10a).
func cutLess(a, b Failure) bool {
	if a.Op != b.Op {
		return a.Op < b.Op
	}
	return naturalLess(a.ID, b.ID)
}

// naturalLess compares strings with runs of digits compared by value.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, _ := strconv.ParseUint(a[:da], 10, 64)
			nb, _ := strconv.ParseUint(b[:db], 10, 64)
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && n < 18 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// first and last are the group's earliest and latest cuts.
func (g *failureGroup) first() Failure { return g.Failures[0] }
func (g *failureGroup) last() Failure  { return g.Failures[len(g.Failures)-1] }

// shrunk is the shrunk form to show for the group: the first failure's, or
// the shortest any failure of the group has ("" if none).
func (g *failureGroup) shrunk() string {
	if s := g.first().Shrunk; s != "" {
		return s
	}
	best := ""
	for _, f := range g.Failures {
		if f.Shrunk != "" && (best == "" || len(f.Shrunk) < len(best)) {
			best = f.Shrunk
		}
	}
	return best
}

// replayID is the branch to replay first: the shrunk form if any, else the
// earliest cut.
func (g *failureGroup) replayID() string {
	if s := g.shrunk(); s != "" {
		return s
	}
	return g.first().ID
}

// duplicates sums the group's duplicate branches.
func (g *failureGroup) duplicates() int {
	n := 0
	for _, f := range g.Failures {
		n += f.Duplicates
	}
	return n
}

// opRange is "12" or "12–40": the operations the group's cuts hit.
func (g *failureGroup) opRange() string {
	lo, hi := g.first().Op, g.first().Op
	for _, f := range g.Failures {
		lo, hi = min(lo, f.Op), max(hi, f.Op)
	}
	if lo == hi {
		return strconv.Itoa(lo)
	}
	return strconv.Itoa(lo) + "–" + strconv.Itoa(hi)
}

// dumpDir is the --dump directory the replay commands suggest.
const dumpDir = "sweep-dump"

// replayCommand is the shell command that replays id and dumps its flash
// images and trace.
func replayCommand(script, id string) string {
	if script == "" {
		script = "SCRIPT.lua"
	}
	return "flashemu sweep " + shellQuote(script) + " --only " + shellQuote(id) + " --dump " + dumpDir
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,+=@%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
