package faults

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"slices"
)

// VerifyOptions tune Verify.
type VerifyOptions struct {
	// Sample, when positive, replays a seeded random sample of that many
	// branches instead of every branch.
	Sample int
	// Seed chooses the sample; 0 picks one from the clock. The seed used is
	// VerifyResult.Seed: pass it back to replay the same sample.
	Seed uint64
	// Jobs is the number of replay workers (default: the sweep's Options.Jobs).
	Jobs int
	// Progress, if set, is called (serially, at most every 200 ms and at
	// the end) with Phase "verify": Done/Total replays, Failed the
	// disagreements so far.
	Progress func(Progress)
}

// Disagreement is a branch whose verdict in the sweep differs from its
// verdict replayed alone. Verdicts are "pass" or "fail"; a replay that
// could not run at all is "error" (ReplayError says why).
type Disagreement struct {
	ID          string `json:"id"`
	Sweep       string `json:"sweep"`
	Replay      string `json:"replay"`
	SweepError  string `json:"sweep_error,omitempty"`
	ReplayError string `json:"replay_error,omitempty"`
	// DupOf is the branch the sweep checked in this branch's place (a
	// duplicate's verdict is its canonical branch's).
	DupOf string `json:"dup_of,omitempty"`
}

// VerifyResult is what Verify found.
type VerifyResult struct {
	// Sweep is the sweep's own result (with its branch list).
	Sweep *Result `json:"sweep"`
	// Replayed is how many branches were replayed alone; Skipped how many
	// listed branches have no verdict in this run to compare with (in a
	// sharded sweep, duplicates of branches another shard checked).
	Replayed int `json:"replayed"`
	Skipped  int `json:"skipped"`
	// Sample and Seed are the sample size asked for (0: all) and the seed
	// that chose it.
	Sample int    `json:"sample"`
	Seed   uint64 `json:"seed"`
	// Disagreements lists, in branch order, every replayed branch whose
	// verdicts differ.
	Disagreements []Disagreement `json:"disagreements"`
}

// OK reports whether every replayed branch agreed with the sweep.
func (v *VerifyResult) OK() bool { return len(v.Disagreements) == 0 }

// Verify runs the sweep (Run with o, listing every branch), then replays
// every branch alone — or a seeded sample of VerifyOptions.Sample — on
// parallel workers and reports the branches whose verdicts differ: the
// package invariant says there are none. The workload replays run on the
// calling goroutine (as Run's workload does), one per distinct first cut;
// the checks of the replays run on the workers, each with its own check
// from the sweep's factory. A non-nil error means the sweep could not run
// or was cancelled; a replay that cannot run is a Disagreement.
func Verify(ctx context.Context, s *Sweep, o Options, vo VerifyOptions) (*VerifyResult, error) {
	o.ListBranches = true
	res, err := Run(ctx, s, o)
	if err != nil {
		return nil, err
	}
	vr := &VerifyResult{Sweep: res, Sample: vo.Sample, Seed: vo.Seed}

	// Each listed branch's verdict in the sweep (a duplicate's: its
	// canonical branch's, when this run checked it).
	known := make(map[string]*BranchInfo, len(res.List))
	for i := range res.List {
		if b := &res.List[i]; b.Verdict != "dup" {
			known[b.ID] = b
		}
	}
	type job struct {
		id, verdict, msg, dupOf string
		sched                   []cut
		start                   *replayStart
		startErr                error
	}
	var jobs []*job
	for i := range res.List {
		b := &res.List[i]
		j := &job{id: b.ID, verdict: b.Verdict, msg: b.Error}
		if b.Verdict == "dup" {
			c, ok := known[b.DupOf]
			if !ok {
				vr.Skipped++
				continue
			}
			j.verdict, j.msg, j.dupOf = c.Verdict, c.Error, b.DupOf
		}
		_, sched, _, err := parseID(b.ID)
		if err != nil {
			return nil, err // the engine's own IDs always parse
		}
		j.sched = sched
		jobs = append(jobs, j)
	}
	if vo.Sample > 0 && vo.Sample < len(jobs) {
		if vr.Seed == 0 {
			vr.Seed = uint64(time.Now().UnixNano()) | 1
		}
		r := newRNG(vr.Seed)
		idx := make([]int, len(jobs))
		for i := range idx {
			idx[i] = i
		}
		for i := 0; i < vo.Sample; i++ {
			k := i + r.intn(len(idx)-i)
			idx[i], idx[k] = idx[k], idx[i]
		}
		idx = idx[:vo.Sample]
		slices.Sort(idx)
		picked := make([]*job, len(idx))
		for i, k := range idx {
			picked[i] = jobs[k]
		}
		jobs = picked
	}
	vr.Replayed = len(jobs)

	nw := vo.Jobs
	if nw <= 0 {
		nw = o.jobs()
	}
	ro := ReplayOptions{CheckTimeout: o.CheckTimeout}
	out := make([]*Disagreement, len(jobs))
	var done, failed atomic.Int64
	var pmu sync.Mutex
	t0, last := time.Now(), time.Time{}
	report := func(final bool) {
		if vo.Progress == nil {
			return
		}
		pmu.Lock()
		defer pmu.Unlock()
		if !final && time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		vo.Progress(Progress{Level: 0, Phase: "verify", Done: int(done.Load()), Total: len(jobs),
			Failed: int(failed.Load()), Elapsed: time.Since(t0)})
	}
	compare := func(i int, j *job, rep *ReplayResult, err error) {
		got, msg := "pass", ""
		switch {
		case err != nil:
			got, msg = "error", err.Error()
		case rep.Err != nil:
			got, msg = "fail", rep.Err.Error()
		}
		if got != j.verdict {
			out[i] = &Disagreement{ID: j.id, Sweep: j.verdict, Replay: got, SweepError: j.msg, ReplayError: msg, DupOf: j.dupOf}
			failed.Add(1)
		}
		done.Add(1)
		report(false)
	}

	if s.Serial {
		// The check shares the workload's state: each replay (workload,
		// then check) runs to its end before the next starts.
		nw = 0
	}
	// runJob replays job i's checks on worker w.
	runJob := func(w, i int) {
		j := jobs[i]
		// A fresh check per replay, as a lone replay makes: a check that
		// leaks state between calls shows up here.
		ck := &checker{s: s, worker: w, timeout: o.CheckTimeout}
		if j.startErr != nil {
			compare(i, j, nil, j.startErr)
			return
		}
		rep, err := j.start.finish(ctx, s, j.sched, ro, ck)
		if err != nil && ctx.Err() != nil {
			return
		}
		compare(i, j, rep, err)
	}
	ch := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < min(nw, max(len(jobs), 1)); w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := range ch {
				runJob(w, i)
			}
		}(w)
	}
	// The workloads, one per distinct first cut, on this goroutine.
	starts := map[cut]*replayStart{}
	errs := map[cut]error{}
	for i, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		c := j.sched[0]
		st, seen := starts[c]
		err := errs[c]
		if !seen && err == nil {
			st, err = replayFirst(ctx, s, c, ro)
			starts[c], errs[c] = st, err
		}
		j.start, j.startErr = st, err
		if nw == 0 {
			runJob(0, i)
			continue
		}
		ch <- i
	}
	close(ch)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, d := range out {
		if d != nil {
			vr.Disagreements = append(vr.Disagreements, *d)
		}
	}
	report(true)
	return vr, nil
}
