package faults

import (
	"fmt"

	"github.com/flashemu/flashemu/emu"
)

// ReplayOptions tune Replay.
type ReplayOptions struct {
	// Trace, if set, is installed (ahead of the sweep's own hook) on every
	// device of the replay — the workload's, each recovery's and the final
	// check's — so a trace hook sees every operation.
	Trace emu.Hook
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
// byte-identical to the sweep's branch. The sweep's Cuts, Depth and Options
// do not matter; its Device, Setup, Workload, Check and models do.
func Replay(s *Sweep, id string, o ReplayOptions) (*ReplayResult, error) {
	name, sched, seed, err := parseID(id)
	if err != nil {
		return nil, err
	}
	if s != nil && name != s.Name {
		return nil, badID(id, "names sweep %q, not %q", name, s.Name)
	}
	if s != nil && seed != s.Seed {
		c := *s
		c.Seed = seed
		s = &c
	}
	return replaySchedule(s, sched, o)
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

func replaySchedule(s *Sweep, sched []cut, o ReplayOptions) (*ReplayResult, error) {
	if err := s.validate(); err != nil {
		return nil, err
	}
	id := formatID(s.Name, sched, s.Seed)
	if len(sched) == 0 {
		return nil, badID(id, "empty schedule")
	}
	for _, c := range sched {
		if c.kind == cutTime && c.t <= 0 {
			return nil, badID(id, "time cut at %d ns", c.t)
		}
	}
	cfg := engineCfg{progM: s.ProgramModel, eraseM: s.EraseModel}
	var p *point
	_, acked, err := runWorkload(s, func(d *emu.Device, acked *[]any) emu.Hook {
		cfg.inf = infoOf(d)
		return withTrace(o.Trace, recorderFor(cfg, sched[0], nil, s.Seed, 1, func() int { return len(*acked) }, d.Now(), &p))
	})
	if err != nil {
		return nil, err
	}
	if p == nil {
		return nil, badID(id, "the workload has no cut point %s", sched[0])
	}
	res := &ReplayResult{ID: id, Acked: acked[:p.acks:p.acks]}
	check := s.Check
	if s.CheckFactory != nil {
		if check, err = s.CheckFactory(0); err != nil {
			return nil, fmt.Errorf("%w: %s: check factory: %w", ErrBadSweep, s.Name, err)
		}
	}
	var t tearer
	t.inf = cfg.inf
	for level := 1; ; level++ {
		p.materialise(&t, s.Seed)
		d := p.device()
		if level == len(sched) {
			res.Before = d.Snapshot()
			d.SetHook(o.Trace)
			res.Err = callCheck(check, d, acked[:p.acks:p.acks])
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
		if err := callCheck(check, d, acked[:p.acks:p.acks]); err != nil {
			// The recovery at this depth already fails: that is the verdict.
			res.Before = p.snap
			res.After = d.Snapshot()
			res.Err, res.FailedDepth = err, level
			return res, nil
		}
		if next == nil {
			return nil, badID(id, "the recovery at depth %d has no cut point %s", level+1, sched[level])
		}
		p = next
	}
}
