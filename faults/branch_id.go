package faults

import (
	"fmt"
	"math"
	"strings"
)

// CutKind says where a cut lands relative to the operation it names.
type CutKind uint8

// Cut kinds (the letters of the ID grammar, see sweep_id.go).
const (
	// BeforeOp ("12b"): before operation Op; none of it happened.
	BeforeOp CutKind = CutKind(cutBefore)
	// AfterOp ("12a"): after operation Op completed, before the caller
	// heard.
	AfterOp CutKind = CutKind(cutAfter)
	// InsideOp ("12u3", "12u3v2"): inside operation Op, write unit (or
	// program page, or erase command) Unit torn by variant Variant — 0 is
	// the unit-mode tear; bit mode adds the others.
	InsideOp CutKind = CutKind(cutUnit)
	// AtTime ("t150000"): at AtNs of simulated time since the run started,
	// inside whatever operation spans that instant.
	AtTime CutKind = CutKind(cutTime)
	// AtEnd ("end"): after the workload returned, every operation done and
	// every value acknowledged; only as a branch's first cut.
	AtEnd CutKind = CutKind(cutEnd)
)

// String names the kind: "before", "after", "inside", "time" or "end".
func (k CutKind) String() string {
	switch k {
	case BeforeOp:
		return "before"
	case AfterOp:
		return "after"
	case InsideOp:
		return "inside"
	case AtTime:
		return "time"
	case AtEnd:
		return "end"
	}
	return "?"
}

// CutToken is one cut of a branch schedule: where the run of its depth
// (the workload at depth 1, the check's recovery deeper) lost power.
type CutToken struct {
	Kind CutKind
	// Op is the index of the mutating operation (program, erase, spare
	// area program) in its run, from 0 (not for AtTime).
	Op int
	// Unit and Variant say how an InsideOp cut tore the operation.
	Unit, Variant int
	// AtNs is an AtTime cut's instant, ns since its run started.
	AtNs int64
}

func (c CutToken) internal() cut {
	return cut{kind: cutKind(c.Kind), op: c.Op, unit: c.Unit, variant: c.Variant, t: c.AtNs}
}

func tokenOf(c cut) CutToken {
	return CutToken{Kind: CutKind(c.kind), Op: c.op, Unit: c.unit, Variant: c.variant, AtNs: c.t}
}

// String renders the token as IDs carry it ("12b", "3u0v2", "t150000").
func (c CutToken) String() string { return c.internal().String() }

// ParseCutToken parses one schedule token.
func ParseCutToken(s string) (CutToken, error) {
	c, err := parseCut(s)
	if err != nil {
		return CutToken{}, fmt.Errorf("%w: token %q: %v", ErrBadID, s, err)
	}
	return tokenOf(c), nil
}

// FirstOp returns the index of the operation the cut lands on (before,
// after or inside it). For an AtTime cut it asks opAt, which maps a time
// since the run started to the operation running (or next to run) then;
// with a nil opAt it returns -1. An AtEnd cut lands after the last
// operation: opAt of the largest time (-1 with a nil opAt).
func (c CutToken) FirstOp(opAt func(ns int64) int) int {
	switch c.Kind {
	case AtTime, AtEnd:
		if opAt == nil {
			return -1
		}
		if c.Kind == AtEnd {
			return opAt(math.MaxInt64)
		}
		return opAt(c.AtNs)
	}
	return c.Op
}

// CutPlace is where one operation of a cut run stands relative to the cut.
type CutPlace uint8

// Placements (Place).
const (
	// NotCut: the operation ran whole, before the cut.
	NotCut CutPlace = iota
	// CutBeforeThis: power was lost just before the operation; it never ran.
	CutBeforeThis
	// CutAfterThis: the operation completed; power was lost before the
	// caller heard.
	CutAfterThis
	// CutInsideThis: the operation was torn.
	CutInsideThis
	// PastCut: the operation started at or after the cut instant: it never
	// ran in the branch.
	PastCut
)

// Place says where an operation of the cut's run stands: mut is its index
// among the run's mutating operations (-1 for a read), startNs and durNs
// its start (since the run started) and duration. Operations after the
// cut's operation are NotCut here: a caller walking a trace marks
// everything after the first cut placement as past the cut.
func (c CutToken) Place(mut int, startNs, durNs int64) CutPlace {
	if c.Kind == AtEnd {
		return NotCut // the whole run happened
	}
	if c.Kind == AtTime {
		switch {
		case startNs >= c.AtNs:
			return PastCut
		case mut >= 0 && c.AtNs < startNs+durNs:
			return CutInsideThis
		}
		return NotCut
	}
	if mut < 0 || mut != c.Op {
		return NotCut
	}
	switch c.Kind {
	case BeforeOp:
		return CutBeforeThis
	case AfterOp:
		return CutAfterThis
	}
	return CutInsideThis
}

// BranchID is a parsed branch ID "NAME:SCHEDULE:SEED" (grammar in
// sweep_id.go): the sweep's name, one cut per depth level, and the sweep
// seed. String and ParseBranchID round-trip; String is the canonical text
// (what the sweep prints).
type BranchID struct {
	Sweep string
	Cuts  []CutToken
	Seed  uint64
}

// ParseBranchID parses a branch ID, checking every token.
func ParseBranchID(s string) (BranchID, error) {
	name, sched, seed, err := parseID(s)
	if err != nil {
		return BranchID{}, err
	}
	id := BranchID{Sweep: name, Seed: seed, Cuts: make([]CutToken, len(sched))}
	for i, c := range sched {
		id.Cuts[i] = tokenOf(c)
	}
	return id, nil
}

// String renders the ID.
func (id BranchID) String() string { return formatID(id.Sweep, id.schedule(), id.Seed) }

func (id BranchID) schedule() []cut {
	s := make([]cut, len(id.Cuts))
	for i, c := range id.Cuts {
		s[i] = c.internal()
	}
	return s
}

// Depth is the number of cuts.
func (id BranchID) Depth() int { return len(id.Cuts) }

// Schedule renders the cuts joined by "/" ("41a/3u0v2").
func (id BranchID) Schedule() string {
	var b strings.Builder
	for i, c := range id.Cuts {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// FirstOp returns the workload operation the first cut lands on (see
// CutToken.FirstOp), -1 for an ID without cuts.
func (id BranchID) FirstOp(opAt func(ns int64) int) int {
	if len(id.Cuts) == 0 {
		return -1
	}
	return id.Cuts[0].FirstOp(opAt)
}
