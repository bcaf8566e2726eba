package faults

import "encoding/json"

// Result is what a sweep found. It marshals to the JSON report of
// `flashemu sweep --json` (one summary; failures inline). Reports of the
// shards of one sweep merge by concatenating Failures (and List) and
// adding the counts — Branches, Unique, Deduped, Checked, Passed, Failed,
// per level too — which then equal the unsharded run's; Ran and the times
// describe each process's own work (see Shard).
type Result struct {
	Name  string `json:"name"`
	Seed  uint64 `json:"seed"`
	Cuts  string `json:"cuts"`
	Depth int    `json:"depth"`
	Shard string `json:"shard,omitempty"`
	Jobs  int    `json:"jobs"`

	// WorkloadOps is the number of mutating operations of the workload;
	// Acked the number of values it acknowledged.
	WorkloadOps int `json:"workload_ops"`
	Acked       int `json:"acked"`

	// Totals over the levels (see LevelStats).
	Branches int `json:"branches"`
	Unique   int `json:"unique"`
	Deduped  int `json:"deduped"`
	Checked  int `json:"checked"`
	Passed   int `json:"passed"`
	Failed   int `json:"failed"`
	// Ran is how many checks this run executed: Checked plus, in a
	// sharded run, the earlier levels' checks of branches other shards
	// own (every shard runs them to find the next level's branches).
	Ran int `json:"ran"`

	Levels []LevelStats `json:"levels"`

	// RecordNs is the wall time of the recording workload run; CheckNs the
	// sum of the check times; WallNs the whole sweep's wall time.
	RecordNs int64 `json:"record_ns"`
	CheckNs  int64 `json:"check_ns"`
	WallNs   int64 `json:"wall_ns"`

	Failures []Failure `json:"failures"`

	// List is every branch with its verdict (Options.ListBranches).
	List []BranchInfo `json:"branches_list,omitempty"`
}

// LevelStats counts one depth level: Branches cut points, of which Unique
// had a state (emu StateKey of the state the check starts from, and the
// ack count) not explored before and Deduped had; Checked how many of them
// were checked, Passed/Failed their verdicts. In a sharded run every count
// but Ran covers the branches the shard owns (see Shard), so the shards'
// counts add up to the unsharded run's; Ran is the checks this run
// executed.
type LevelStats struct {
	Level    int   `json:"level"`
	Branches int   `json:"branches"`
	Unique   int   `json:"unique"`
	Deduped  int   `json:"deduped"`
	Checked  int   `json:"checked"`
	Passed   int   `json:"passed"`
	Failed   int   `json:"failed"`
	Ran      int   `json:"ran"`
	WallNs   int64 `json:"wall_ns"`
}

// Failure is one failing branch. ID replays it (Replay, `--only ID`);
// Shrunk, if set, is a shorter schedule that fails with the same failure
// (same Class). Class is FailureClass(Error): reports group failures by
// it. Duplicates counts later branches that reached the same state and
// were not checked again (they fail the same way).
type Failure struct {
	ID         string `json:"id"`
	Shrunk     string `json:"shrunk,omitempty"`
	Depth      int    `json:"depth"`
	Error      string `json:"error"`
	Class      string `json:"class"`
	Acked      int    `json:"acked"`
	Duplicates int    `json:"duplicates"`
	sched      []cut
}

// BranchInfo is one branch of Result.List: Verdict is "pass", "fail" or
// "dup" (same state as DupOf, not checked again).
type BranchInfo struct {
	ID      string `json:"id"`
	Depth   int    `json:"depth"`
	Acked   int    `json:"acked"`
	Verdict string `json:"verdict"`
	DupOf   string `json:"dup_of,omitempty"`
	// Error is the check's message when Verdict is "fail".
	Error string `json:"error,omitempty"`
	// Hash is the emu StateKey of the state the branch's check starts from
	// (valid within this process; 0 with NoDedup).
	Hash uint64 `json:"-"`
}

// OK reports whether no branch failed.
func (r *Result) OK() bool { return r.Failed == 0 }

// JSON renders the result.
func (r *Result) JSON() []byte {
	b, _ := json.Marshal(r)
	return b
}

// BranchesPerSecond is checks run (Ran) per second of wall time.
func (r *Result) BranchesPerSecond() float64 {
	if r.WallNs <= 0 {
		return 0
	}
	return float64(r.Ran) / (float64(r.WallNs) / 1e9)
}
