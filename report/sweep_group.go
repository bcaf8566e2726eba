package report

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// failureGroup is one error class of a sweep's failures: the failing
// branches whose check failed at the same place with the same message shape.
type failureGroup struct {
	Class    string    // "file:line: message shape" (see failureClass)
	Failures []Failure // in cut order (operation, then ID)
}

var (
	// locRE is a check location: "path/file.lua:31:" or a chunk name
	// `[string "..."]:3:`.
	locRE = regexp.MustCompile(`^((?:\[string "[^"]*"\]|[^\s:]+):\d+):\s*`)
	hexRE = regexp.MustCompile(`\b0[xX][0-9a-fA-F]+\b`)
	// hashRE: long hex runs (hashes, dumps) that need not contain a digit
	// pattern a number would match.
	hashRE = regexp.MustCompile(`\b[0-9a-fA-F]{8,}\b`)
	// numRE: a number not glued to a word before it (CRC32, sha256, CRC-8
	// and u16 are names, not values).
	numRE   = regexp.MustCompile(`(^|[^A-Za-z0-9_.+-])([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)`)
	spaceRE = regexp.MustCompile(`\s+`)
)

// failureClass is the grouping key of a failure message: its check
// location (file:line, kept as is) and its first line with the numbers and
// hex values that vary between branches replaced by "N" and "0xN" ("entry
// 12 lost at 0x1f00" and "entry 7 lost at 0x2000" are one class), long hex
// runs (hashes) by "H". Digits glued to a word (CRC32, CRC-8, op12) are part
// of the word.
//
// It stands in for the sweep engine's own failure classification
// (package faults) until that is exported; the two must agree.
func failureClass(msg string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	loc := ""
	if m := locRE.FindStringSubmatchIndex(line); m != nil {
		loc, line = line[m[2]:m[3]], line[m[1]:]
	}
	// Placeholders first, so that "0xN" is not taken for a number.
	line = hexRE.ReplaceAllString(line, "\x00")
	line = hashRE.ReplaceAllString(line, "\x01")
	line = numRE.ReplaceAllString(line, "${1}N")
	line = strings.NewReplacer("\x00", "0xN", "\x01", "H").Replace(line)
	line = strings.TrimSpace(spaceRE.ReplaceAllString(line, " "))
	if loc == "" {
		return line
	}
	return loc + ": " + line
}

// groupFailures groups fs by failureClass: biggest group first (ties: the
// earliest cut first), failures in each group in cut order.
func groupFailures(fs []Failure) []failureGroup {
	idx := map[string]int{}
	var gs []failureGroup
	for _, f := range fs {
		c := failureClass(f.Error)
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
