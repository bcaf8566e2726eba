package faults

import (
	"context"
	"fmt"
	"time"

	"github.com/flashemu/flashemu/emu"
)

// ReplayOptions tune Replay.
type ReplayOptions struct {
	// Trace, if set, is installed (ahead of the sweep's own hook) on every
	// device of the replay — the workload's, each recovery's and the final
	// check's — so a trace hook sees every operation.
	Trace emu.Hook
	// CheckTimeout bounds every check and the workload as
	// Options.CheckTimeout does in a sweep.
	CheckTimeout time.Duration
}

// ReplayResult is one branch run alone.
type ReplayResult struct {
	ID string
	// Err is the check's verdict (nil: the branch passes). If a recovery at
	// an intermediate depth already failed, Err is that failure and
	// FailedDepth says which depth.
	Err         error
	FailedDepth int
	// Acked are the values acknowledged before the first cut.
	Acked []any
	// Before is the device state the final check started from (after the
	// last cut, power restored); After is the state the check left.
	Before, After *emu.Snapshot
}

// Replay runs the branch named by id (from a Result's Failure.ID or
// Shrunk) alone: the workload with a cut at the first token's point, power
// on, then for each further token the check's recovery with a cut at that
// point, and finally the check. The device state at every cut is
// byte-identical to the sweep's branch, and every check starts from the
// state it had in the sweep (see the package doc's invariant). The sweep's
// Cuts, Depth and Options do not matter; its Device, Setup, Workload,
// Check and models do. It is ReplayContext without cancellation.
func Replay(s *Sweep, id string, o ReplayOptions) (*ReplayResult, error) {
	return ReplayContext(context.Background(), s, id, o)
}

// ReplayContext is Replay with a context, passed to context-aware checks
// and workloads (CheckContextFunc, WorkloadContextFunc).
func ReplayContext(ctx context.Context, s *Sweep, id string, o ReplayOptions) (*ReplayResult, error) {
	s, sched, err := sweepForID(s, id)
	if err != nil {
		return nil, err
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return replaySchedule(ctx, s, sched, o, nil)
}

// sweepForID parses id and returns the sweep to replay it with (s with the
// ID's seed) and the schedule.
func sweepForID(s *Sweep, id string) (*Sweep, []cut, error) {
	name, sched, seed, err := parseID(id)
	if err != nil {
		return nil, nil, err
	}
	if s != nil && name != s.Name {
		return nil, nil, badID(id, "names sweep %q, not %q", name, s.Name)
	}
	if s != nil && seed != s.Seed {
		c := *s
		c.Seed = seed
		s = &c
	}
	return s, sched, nil
}

// recorderFor makes a replay recorder that captures the point of cut c.
func recorderFor(cfg engineCfg, c cut, parent *point, pseed uint64, level int, acks func() int, t0 int64, got **point) *recorder {
	switch c.kind {
	case cutUnit:
		cfg.cuts = Cuts{Mode: CutBit}
	case cutTime:
		cfg.cuts = Cuts{Mode: CutTime, EveryNs: c.t}
	default:
		cfg.cuts = Cuts{Mode: CutOp}
	}
	r := newRecorder(&cfg, parent, pseed, level, acks, t0)
	want := c
	r.want = &want
	r.capture = func(p *point) {
		if *got == nil {
			*got = p
		}
	}
	return r
}

func withTrace(trace emu.Hook, h emu.Hook) emu.Hook {
	if trace == nil {
		return h
	}
	return emu.Hooks{trace, h}
}

// replayStart is the first level of a replay: the workload run with one
// cut captured.
type replayStart struct {
	cfg   engineCfg
	p     *point
	acked []any
}

// replayFirst runs the workload alone with a cut at c and returns the cut's
// point, materialised (the state the first check starts from).
func replayFirst(ctx context.Context, s *Sweep, c cut, o ReplayOptions) (*replayStart, error) {
	id := formatID(s.Name, []cut{c}, s.Seed)
	if c.kind == cutTime && c.t <= 0 {
		return nil, badID(id, "time cut at %d ns", c.t)
	}
	rs := &replayStart{cfg: engineCfg{progM: s.ProgramModel, eraseM: s.EraseModel}}
	var rec *recorder
	d, acked, err := runWorkload(ctx, s, o.CheckTimeout, func(d *emu.Device, acked *[]any) emu.Hook {
		rs.cfg.inf = infoOf(d)
		rec = recorderFor(rs.cfg, c, nil, s.Seed, 1, func() int { return len(*acked) }, d.Now(), &rs.p)
		return withTrace(o.Trace, rec)
	})
	if err != nil {
		return nil, err
	}
	rec.end(d)
	if rs.p == nil {
		return nil, badID(id, "the workload has no cut point %s", c)
	}
	rs.acked = acked
	var t tearer
	t.inf = rs.cfg.inf
	rs.p.materialise(&t, s.Seed)
	return rs, nil
}

func replaySchedule(ctx context.Context, s *Sweep, sched []cut, o ReplayOptions, ck *checker) (*ReplayResult, error) {
	id := formatID(s.Name, sched, s.Seed)
	if len(sched) == 0 {
		return nil, badID(id, "empty schedule")
	}
	for _, c := range sched {
		if c.kind == cutTime && c.t <= 0 {
			return nil, badID(id, "time cut at %d ns", c.t)
		}
	}
	rs, err := replayFirst(ctx, s, sched[0], o)
	if err != nil {
		return nil, err
	}
	if ck == nil {
		ck = &checker{s: s, timeout: o.CheckTimeout}
	}
	return rs.finish(ctx, s, sched, o, ck)
}

// finish runs the rest of a replay from its first level: the recoveries
// with their cuts and the final check, with ck's check.
func (rs *replayStart) finish(ctx context.Context, s *Sweep, sched []cut, o ReplayOptions, ck *checker) (*ReplayResult, error) {
	id := formatID(s.Name, sched, s.Seed)
	cfg, p, acked := rs.cfg, rs.p, rs.acked
	res := &ReplayResult{ID: id, Acked: acked[:p.acks:p.acks]}
	var t tearer
	t.inf = cfg.inf
	for level := 1; ; level++ {
		p.materialise(&t, s.Seed)
		d := p.device()
		if level == len(sched) {
			res.Before = d.Snapshot()
			d.SetHook(o.Trace)
			v, fatal := ck.run(ctx, d, acked[:p.acks:p.acks])
			if fatal != nil {
				return nil, fmt.Errorf("%w: %s: check factory: %w", ErrBadSweep, s.Name, fatal)
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			res.Err = v
			if res.Err != nil {
				res.FailedDepth = level
			}
			d.SetHook(nil)
			res.After = d.Snapshot()
			return res, nil
		}
		var next *point
		acks := p.acks
		d.SetHook(withTrace(o.Trace, recorderFor(cfg, sched[level], p, p.seed, level+1, func() int { return acks }, d.Now(), &next)))
		v, fatal := ck.run(ctx, d, acked[:p.acks:p.acks])
		if fatal != nil {
			return nil, fmt.Errorf("%w: %s: check factory: %w", ErrBadSweep, s.Name, fatal)
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if v != nil {
			// The recovery at this depth already fails: that is the verdict.
			res.Before = p.snap
			res.After = d.Snapshot()
			res.Err, res.FailedDepth = v, level
			return res, nil
		}
		if next == nil {
			if sched[level].kind == cutEnd {
				return nil, badID(id, "end is the workload's last cut: a first token only")
			}
			return nil, badID(id, "the recovery at depth %d has no cut point %s", level+1, sched[level])
		}
		p = next
	}
}
