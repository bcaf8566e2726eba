package faults

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/shard"
)

// WorkloadFunc is the swept part of a scenario. It calls ack(v) each time it
// has been told that v is durable (an append returned, a commit completed).
// Operations it issues are the cut points. It should return the first
// unexpected error; the sweep runs it once, without cuts.
type WorkloadFunc func(d *emu.Device, ack func(v any)) error

// CheckFunc asserts recovery on a device whose power was just restored after
// a cut. acked holds exactly the values acknowledged before the cut, in
// order; it is shared between checks and must not be modified. A non-nil
// error fails the branch (use "file:line: message" texts for Lua checks).
type CheckFunc func(d *emu.Device, acked []any) error

// CheckContextFunc is a CheckFunc that honours a context: the engine
// cancels ctx when the sweep is cancelled or the check exceeds
// Options.CheckTimeout, and the check should then return promptly (a Lua
// binding passes ctx to the Lua call, which stops the script). Prefer it to
// CheckFunc: a CheckFunc that hangs can only be abandoned (see
// Options.CheckTimeout).
type CheckContextFunc func(ctx context.Context, d *emu.Device, acked []any) error

// WorkloadContextFunc is a WorkloadFunc that honours a context, cancelled
// when the sweep is cancelled or the workload exceeds Options.CheckTimeout.
type WorkloadContextFunc func(ctx context.Context, d *emu.Device, ack func(v any)) error

// SetupFunc prepares a fresh device before the workload (not swept).
type SetupFunc func(d *emu.Device) error

// CutMode says where a sweep cuts power.
type CutMode string

// Cut modes.
const (
	// CutOp cuts just before each mutating operation (none of it happens)
	// and just after it completes (before the caller sees the result).
	CutOp CutMode = "op"
	// CutUnit adds cuts inside every program and erase: for each write unit
	// (or program page) of a program, the units before it complete and it is
	// torn by the device's model; for each erase command, the unit is torn at
	// 25 %, 50 % and 75 % of its erase.
	CutUnit CutMode = "unit"
	// CutBit adds bit-level variants of every torn unit: exactly one pending
	// transition landed, all but one landed, and random quarters.
	CutBit CutMode = "bit"
	// CutTime cuts every EveryNs of simulated time, inside whatever operation
	// spans the instant, at that fraction of it.
	CutTime CutMode = "every_ns"
)

// Cuts is a sweep's cut schedule.
type Cuts struct {
	Mode    CutMode `json:"mode"`
	EveryNs int64   `json:"every_ns,omitempty"` // CutTime only
}

// String renders the schedule as ParseCuts reads it: "op", "unit", "bit" or
// "every_ns=N".
func (c Cuts) String() string {
	if c.Mode == CutTime {
		return "every_ns=" + strconv.FormatInt(c.EveryNs, 10)
	}
	if c.Mode == "" {
		return string(CutOp)
	}
	return string(c.Mode)
}

// ParseCuts parses "op", "unit", "bit" or "every_ns=N".
func ParseCuts(s string) (Cuts, error) {
	s = strings.TrimSpace(s)
	if v, ok := strings.CutPrefix(s, "every_ns="); ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 0, 64)
		if err != nil || n <= 0 {
			return Cuts{}, fmt.Errorf("%w: every_ns %q must be a positive integer", ErrBadSweep, v)
		}
		return Cuts{Mode: CutTime, EveryNs: n}, nil
	}
	c := Cuts{Mode: CutMode(s)}
	if s == "" {
		c.Mode = CutOp
	}
	return c, c.validate()
}

func (c Cuts) validate() error {
	switch c.Mode {
	case "", CutOp, CutUnit, CutBit:
		if c.EveryNs != 0 {
			return fmt.Errorf("%w: every_ns needs mode every_ns", ErrBadSweep)
		}
	case CutTime:
		if c.EveryNs <= 0 {
			return fmt.Errorf("%w: every_ns must be positive", ErrBadSweep)
		}
	default:
		return fmt.Errorf("%w: unknown cut mode %q (op, unit, bit, every_ns)", ErrBadSweep, c.Mode)
	}
	return nil
}

// Sweep defines a power-cut sweep. Device, one of Workload or
// WorkloadContext, and one of Check, CheckFactory, CheckContext or
// CheckContextFactory are required (the context variants win when both
// are set).
type Sweep struct {
	// Name identifies the sweep in branch IDs.
	Name string
	// Device makes a fresh device; it must be deterministic (same seed).
	Device func() (*emu.Device, error)
	// Setup runs on the fresh device before the workload and is not swept.
	Setup SetupFunc
	// Workload is swept: every mutating operation it issues is a cut point.
	Workload WorkloadFunc
	// WorkloadContext is Workload with a context (see WorkloadContextFunc).
	WorkloadContext WorkloadContextFunc
	// Check asserts recovery from a branch. Checks run concurrently on
	// different devices, so Check must be safe for concurrent use, or use
	// CheckFactory.
	Check CheckFunc
	// CheckFactory, when set, makes one check per worker (called once per
	// worker, from that worker's goroutine, before its first check; worker
	// is 0..Jobs-1). The Lua binding uses it to give every worker its own
	// Lua state with the script compiled once.
	CheckFactory func(worker int) (CheckFunc, error)
	// CheckContext and CheckContextFactory are Check and CheckFactory with
	// a context (see CheckContextFunc).
	CheckContext        CheckContextFunc
	CheckContextFactory func(worker int) (CheckContextFunc, error)
	// Serial says the check and the workload share state that is not safe
	// for concurrent use (a Lua state without a program to make worker
	// states from): no check runs while a workload runs. Run's phases
	// never overlap anyway (use one job); Verify then replays the branches
	// one at a time on the calling goroutine.
	Serial bool
	// Cuts is the cut schedule (default op).
	Cuts Cuts
	// Depth is how many nested cuts a branch has: 1 cuts the workload, 2 also
	// cuts the recovery of every depth-1 branch, and so on (default 1).
	Depth int
	// Seed seeds every torn variant (each branch draws from its own seed,
	// derived from this one and its schedule) and the values unstable bits
	// read as in every check (the check's generator starts from this seed
	// and the unstable bits of its state, see the package doc); default 0,
	// printed in every ID.
	Seed uint64
	// ProgramModel and EraseModel override the device's default torn models.
	ProgramModel, EraseModel Model
}

// Shard selects a deterministic part of a sweep (package shard): at every
// level, unique branch j (in branch order, after deduplication) belongs to
// shard j mod Total, and a duplicate to the shard of the branch it
// duplicates. The last level's checks run only in the owning shard;
// earlier levels are run whole by every shard (their checks produce the
// next level's branches, identically in every shard), but each shard
// reports — in its failures, counts and branch list — only what it owns.
// So the shards' reports merge by concatenating Failures and List and
// adding every count of Result and LevelStats except Ran and the times:
// the sums equal the unsharded run's.
type Shard = shard.Shard

// Options tune how a sweep runs; none changes its verdicts.
type Options struct {
	// Jobs is the number of check workers (default runtime.NumCPU()).
	Jobs int
	// Shard runs part of the sweep (zero value: all of it).
	Shard Shard
	// NoDedup checks every branch even if an earlier branch reached the same
	// flash state with the same number of acknowledged values.
	NoDedup bool
	// NoShrink skips shrinking failures of depth >= 2.
	NoShrink bool
	// ShrinkLimit caps how many failures are shrunk: the first ShrinkLimit
	// failures of depth >= 2, in branch order (0: DefaultShrinkLimit;
	// negative: none). Shrinking replays each failure with one cut fewer
	// at a time, so it costs a few replays per failure; the cap keeps a
	// sweep with thousands of failures from spending its time there.
	ShrinkLimit int
	// ListBranches fills Result.List with every branch and its verdict
	// (a sharded run: the branches it owns, see Shard).
	ListBranches bool
	// CheckTimeout, when positive, bounds every check (each recovery at
	// depth >= 2 too) and the workload. A check that exceeds it fails its
	// branch with "check timed out after D" (ErrTimeout), reported by ID
	// like any failure; the sweep goes on. A context-aware check
	// (CheckContextFunc) sees its context cancelled and should return; a
	// plain CheckFunc that does not return within a grace period of
	// CheckTimeout/4 (at least 100 ms) is abandoned — its goroutine is left
	// running — and the worker makes a new check from the factory. A
	// workload (WorkloadContextFunc only) that exceeds it fails the sweep.
	// Timeouts are wall-clock: the one option that can make a verdict
	// depend on the machine.
	CheckTimeout time.Duration
	// MemoryLimit, when positive, caps the Go heap (bytes, live objects and
	// garbage not yet swept, after a GC) while the sweep records cut points:
	// the workload's and every recovery's. Every snapshot a sweep keeps is
	// heap, so a long workload can need more than the machine has; past the
	// limit the recording stops (the operation in flight fails, no further
	// cut point is kept) and Run returns ErrMemoryLimit naming the level and
	// the operation. 0 means no limit. It never changes a verdict: a sweep
	// either completes as without it or returns the error.
	MemoryLimit int64
	// Progress, if set, is called with progress reports (serially, at most
	// every ProgressEvery, default 200 ms, and at the end of each phase).
	Progress      func(Progress)
	ProgressEvery time.Duration
}

// DefaultShrinkLimit is Options.ShrinkLimit's default.
const DefaultShrinkLimit = 16

func (o *Options) shrinkLimit() int {
	switch {
	case o.ShrinkLimit < 0:
		return 0
	case o.ShrinkLimit == 0:
		return DefaultShrinkLimit
	}
	return o.ShrinkLimit
}

func (s *Sweep) validate() error {
	switch {
	case s == nil:
		return fmt.Errorf("%w: nil sweep", ErrBadSweep)
	case s.Device == nil:
		return fmt.Errorf("%w: %s: no device factory", ErrBadSweep, s.Name)
	case s.Workload == nil && s.WorkloadContext == nil:
		return fmt.Errorf("%w: %s: no workload", ErrBadSweep, s.Name)
	case s.Check == nil && s.CheckFactory == nil && s.CheckContext == nil && s.CheckContextFactory == nil:
		return fmt.Errorf("%w: %s: no check", ErrBadSweep, s.Name)
	case s.Depth < 0:
		return fmt.Errorf("%w: %s: depth %d", ErrBadSweep, s.Name, s.Depth)
	case !s.ProgramModel.valid() || !s.EraseModel.valid():
		return fmt.Errorf("%w: %s: unknown model", ErrBadSweep, s.Name)
	case strings.ContainsAny(s.Name, "\n"):
		return fmt.Errorf("%w: sweep name %q", ErrBadSweep, s.Name)
	}
	return s.Cuts.validate()
}

func (s *Sweep) depth() int { return max(s.Depth, 1) }

func (o *Options) jobs() int {
	if o.Jobs > 0 {
		return o.Jobs
	}
	return runtime.NumCPU()
}

func (o *Options) validate() error {
	if err := o.Shard.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrBadSweep, err)
	}
	return nil
}

// Run runs the sweep: the workload once with a recording hook, then the
// checks of every branch on Options.Jobs workers, level by level up to
// Depth. The returned Result lists failures with their IDs; a non-nil error
// means the sweep itself could not run (bad definition, device, setup or
// workload error, cancelled context).
func Run(ctx context.Context, s *Sweep, o Options) (*Result, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	e := newEngine(s, o)
	defer e.stopProgress()
	return e.run(ctx)
}
