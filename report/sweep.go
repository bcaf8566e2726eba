package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Sweep summarises one power-cut sweep for a report: its parameters and
// counts, what happened at every workload operation, and its failures.
// Only Name, Ops (or PerOp) and Failures are needed; every other field
// enriches the page when set.
type Sweep struct {
	Name     string // sweep name
	Script   string // script that defined it (used in the replay commands)
	Cuts     string // cut schedule kind: op, unit, bit, every_ns=…
	Depth    int
	Seed     uint64
	Ops      int   // mutating operations in the workload (the timeline length)
	Branches int   // branches checked
	Failed   int   // branches whose check failed
	Deduped  int   // branches skipped as already explored (depth ≥ 2)
	WallNs   int64 // wall time of the sweep, for the summary line
	// PerOp[i] counts the branches cut at workload operation i and how
	// many failed (the failure-rate track of the timeline).
	PerOp []OpOutcome
	// Timeline, when set, describes workload operation i of the recording
	// run (kind, address, time, acknowledgements): the timeline then also
	// shows what the workload was doing. It may be shorter than Ops.
	Timeline []OpInfo
	Failures []Failure
}

// OpOutcome is what happened to the branches cut at one workload operation.
type OpOutcome struct{ Branches, Failed int }

// OpInfo is one mutating operation of the workload's recording run.
type OpInfo struct {
	Kind   string // "program", "erase", "program_oob", … (emu.OpKind names)
	Addr   int64  // device offset
	Len    int64  // bytes
	TimeNs int64  // simulated start time, ns since the workload started
	DurNs  int64  // simulated duration, ns
	// Acked is how many values the workload had acknowledged when this
	// operation completed (cumulative, non-decreasing).
	Acked int
}

// Failure is one failing branch.
type Failure struct {
	ID    string // reproduction ID for `flashemu sweep SCRIPT --only ID`
	Op    int    // workload operation the (first) cut hit
	Error string // the check's error, file:line: message
	// Class groups failures into error classes: the sweep engine's
	// faults.FailureClass of Error (its location and message shape).
	Class string
	// Shrunk, when set, is a shorter schedule that fails too (replay it
	// first: fewer cuts to reason about).
	Shrunk string
	// Duplicates counts later branches that reached the same state.
	Duplicates int
}

func (s *Sweep) verdict() string {
	if s.Failed == 0 && len(s.Failures) == 0 {
		return "PASS"
	}
	return "FAIL"
}

// opCount is the timeline length: Ops, or longer PerOp/Timeline.
func (s *Sweep) opCount() int {
	return max(s.Ops, len(s.PerOp), len(s.Timeline))
}

// WriteMarkdown writes the same report as Markdown (no timeline; failures
// grouped by error class with their replay commands), for CI job summaries.
func WriteMarkdown(out io.Writer, sweeps []Sweep) error {
	bw := bufio.NewWriter(out)
	p := func(format string, a ...any) { fmt.Fprintf(bw, format, a...) }
	cell := func(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }
	p("# flashemu sweep report\n\n")
	for i := range sweeps {
		s := &sweeps[i]
		p("## %s — %s\n\n", s.Name, s.verdict())
		p("- script: `%s`\n- cuts: %s, depth %d, seed %d\n- branches: %d checked, %d failed, %d deduplicated\n- workload: %d operations\n- wall time: %.3f s\n\n",
			s.Script, s.Cuts, s.Depth, s.Seed, s.Branches, s.Failed, s.Deduped, s.opCount(), float64(s.WallNs)/1e9)
		groups := groupFailures(s.Failures)
		if len(groups) == 0 {
			continue
		}
		p("%d failing %s in %d error %s:\n\n", len(s.Failures), pl(len(s.Failures), "branch", "branches"), len(groups), pl(len(groups), "class", "classes"))
		p("| # | failures | ops | error class | replay |\n|---|---|---|---|---|\n")
		for gi, g := range groups {
			p("| %d | %d | %s | `%s` | `%s` |\n", gi+1, len(g.Failures), g.opRange(), cell(strings.ReplaceAll(g.Class, "`", "'")), cell(replayCommand(s.Script, g.replayID())))
		}
		p("\n")
	}
	return bw.Flush()
}

func pl(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
