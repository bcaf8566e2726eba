package faults

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/internal/heap"
)

// engineCfg is what recorders need to know about a sweep.
type engineCfg struct {
	inf    *devInfo
	cuts   Cuts
	progM  Model
	eraseM Model
	budget *memBudget // nil: no memory limit
}

// memBudget enforces Options.MemoryLimit: the heap is read every
// budgetEvery cut points the sweep's recordings keep (together), and the
// first reading past the limit (after a GC, to discount garbage) stops
// every recording of the sweep.
type memBudget struct {
	limit uint64
	kept  atomic.Int64 // cut points kept by all recordings
	over  atomic.Bool  // err is set
	mu    sync.Mutex
	err   error
}

// budgetEvery is how many cut points the recordings keep between two heap
// readings (a reading costs about a microsecond, a cut point hundreds of
// bytes to a few KiB).
const budgetEvery = 256

// note counts one kept cut point, reads the heap every budgetEvery of
// them, and returns the error that stops the recordings, if any.
func (b *memBudget) note(level, op int) error {
	if b.over.Load() {
		return b.failed()
	}
	if b.kept.Add(1)%budgetEvery != 0 {
		return nil
	}
	return b.check(level, op)
}

// failed returns the error that stopped the sweep, if any.
func (b *memBudget) failed() error {
	if b == nil || !b.over.Load() {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.err
}

// check reads the heap and returns ErrMemoryLimit (kept for every later
// call) when it is past the limit; level and op say where the recording is.
func (b *memBudget) check(level, op int) error {
	if b == nil {
		return nil
	}
	if err := b.failed(); err != nil {
		return err
	}
	h, over := heap.Over(b.limit, 0)
	if !over {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = fmt.Errorf("%w: heap %d MiB > %d MiB while recording cut points of level %d at operation %d "+
			"(a sweep keeps a device state per cut point: use fewer cuts, a shorter workload or a lower depth, or raise the limit)",
			ErrMemoryLimit, h>>20, b.limit>>20, level, op)
		b.over.Store(true)
	}
	return b.err
}

type engine struct {
	engineCfg
	s       *Sweep
	o       Options
	jobs    int
	workers []*worker

	progMu   sync.Mutex
	progStop chan struct{}
	progDone chan struct{}
	phase    atomic.Value // string
	level    atomic.Int64
	done     atomic.Int64
	total    atomic.Int64
	failed   atomic.Int64
	start    time.Time
}

type worker struct {
	id int
	t  tearer
	ck checker
}

func newEngine(s *Sweep, o Options) *engine {
	e := &engine{s: s, o: o, jobs: o.jobs()}
	e.cuts = s.Cuts
	if e.cuts.Mode == "" {
		e.cuts.Mode = CutOp
	}
	e.progM, e.eraseM = s.ProgramModel, s.EraseModel
	if o.MemoryLimit > 0 {
		e.budget = &memBudget{limit: uint64(o.MemoryLimit)}
	}
	e.workers = make([]*worker, e.jobs)
	for i := range e.workers {
		e.workers[i] = &worker{id: i, ck: checker{s: s, worker: i, timeout: o.CheckTimeout}}
	}
	e.phase.Store("")
	return e
}

// parallel runs fn(w, i) for i in [0, n) on the workers; it stops early on
// cancellation and returns the context's error.
func (e *engine) parallel(ctx context.Context, n int, fn func(w *worker, i int)) error {
	if n == 0 {
		return ctx.Err()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, w := range e.workers[:min(e.jobs, n)] {
		wg.Add(1)
		go func(w *worker) {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(w, i)
				e.done.Add(1)
			}
		}(w)
	}
	wg.Wait()
	return ctx.Err()
}

// ---- progress ----

// Progress is a progress report: the current level and phase ("record",
// "branch" — materialising torn states and hashing them — or "check"), and
// how much of the phase is done.
type Progress struct {
	Level   int           `json:"level"`
	Phase   string        `json:"phase"`
	Done    int           `json:"done"`
	Total   int           `json:"total"`
	Failed  int           `json:"failed"`
	Elapsed time.Duration `json:"elapsed_ns"`
}

// Rate is items done per second of elapsed time.
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Done) / p.Elapsed.Seconds()
}

func (e *engine) startProgress() {
	e.start = time.Now()
	if e.o.Progress == nil {
		return
	}
	every := e.o.ProgressEvery
	if every <= 0 {
		every = 200 * time.Millisecond
	}
	e.progStop, e.progDone = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(e.progDone)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-e.progStop:
				return
			case <-t.C:
				e.report()
			}
		}
	}()
}

func (e *engine) stopProgress() {
	if e.progStop != nil {
		close(e.progStop)
		<-e.progDone
		e.progStop = nil
	}
}

func (e *engine) report() {
	if e.o.Progress == nil {
		return
	}
	e.progMu.Lock()
	defer e.progMu.Unlock()
	e.o.Progress(Progress{Level: int(e.level.Load()), Phase: e.phase.Load().(string), Done: int(e.done.Load()),
		Total: int(e.total.Load()), Failed: int(e.failed.Load()), Elapsed: time.Since(e.start)})
}

func (e *engine) setPhase(level int, phase string, total int) {
	e.report() // close the previous phase
	e.level.Store(int64(level))
	e.phase.Store(phase)
	e.done.Store(0)
	e.total.Store(int64(total))
}

// ---- running the user's functions safely ----

func panicErr(what string, v any) error {
	return fmt.Errorf("%s panicked: %v\n%s", what, v, debug.Stack())
}

// runWorkload makes the device, runs setup and the workload with hook h
// (made once the device exists) and returns the device and acked values.
func runWorkload(ctx context.Context, s *Sweep, timeout time.Duration, mkHook func(d *emu.Device, acked *[]any) emu.Hook) (d *emu.Device, acked []any, err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %s: %v", ErrBadSweep, s.Name, panicErr("workload", v))
		}
	}()
	d, err = s.Device()
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: device: %w", ErrBadSweep, s.Name, err)
	}
	if d == nil {
		return nil, nil, fmt.Errorf("%w: %s: device factory returned no device", ErrBadSweep, s.Name)
	}
	if s.Setup != nil {
		if err := s.Setup(d); err != nil {
			return nil, nil, fmt.Errorf("%w: %s: setup: %w", ErrBadSweep, s.Name, err)
		}
	}
	acked = []any{}
	if mkHook != nil {
		h := mkHook(d, &acked)
		if prev := d.Hook(); prev != nil {
			h = emu.Hooks{prev, h}
		}
		d.SetHook(h)
	}
	ack := func(v any) { acked = append(acked, v) }
	if s.WorkloadContext != nil {
		wctx := ctx
		if timeout > 0 {
			var cancel context.CancelFunc
			wctx, cancel = context.WithTimeout(ctx, timeout)
			defer cancel()
		}
		err = s.WorkloadContext(wctx, d, ack)
		if err != nil && ctx.Err() == nil && errors.Is(wctx.Err(), context.DeadlineExceeded) {
			err = timeoutAt("workload", timeout, err)
		}
	} else {
		err = s.Workload(d, ack)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: workload: %w", ErrBadSweep, s.Name, err)
	}
	return d, acked, nil
}

type dedupKey struct {
	hash uint64
	acks int
}

// ---- the sweep ----

func (e *engine) run(ctx context.Context) (*Result, error) {
	s, o := e.s, &e.o
	e.startProgress()
	res := &Result{Name: s.Name, Seed: s.Seed, Cuts: e.cuts.String(), Depth: s.depth(), Shard: o.Shard.String(), Jobs: e.jobs}

	// Level 1: run the workload once, recording every cut point.
	e.setPhase(1, "record", 0)
	var rec *recorder
	t0 := time.Now()
	wd, acked, err := runWorkload(ctx, s, o.CheckTimeout, func(d *emu.Device, acked *[]any) emu.Hook {
		e.inf = infoOf(d)
		rec = newRecorder(&e.engineCfg, nil, s.Seed, 1, func() int { return len(*acked) }, d.Now())
		return rec
	})
	if berr := e.budget.failed(); berr != nil {
		return nil, fmt.Errorf("%s: %w", s.Name, berr) // whatever the workload made of its failed operation
	}
	if err != nil {
		return nil, err
	}
	rec.end(wd) // the cut after the workload returned, with every ack
	res.RecordNs = time.Since(t0).Nanoseconds()
	res.WorkloadOps = rec.mut
	res.Acked = len(acked)

	explored := map[dedupKey]*point{} // every state checked so far, by its canonical branch
	pts := rec.points
	for level := 1; ; level++ {
		last := level == s.depth()
		ls := LevelStats{Level: level}
		lt := time.Now()

		// Materialise torn states and hash every state, in parallel.
		e.setPhase(level, "branch", len(pts))
		if err := e.parallel(ctx, len(pts), func(w *worker, i int) {
			w.t.inf = e.inf
			p := pts[i]
			if o.NoDedup {
				if p.lazy == nil {
					p.materialise(&w.t, s.Seed)
				}
				return // a torn state is computed when checked
			}
			p.hash = p.state(&w.t, s.Seed).StateKey()
		}); err != nil {
			return nil, err
		}

		// Deduplicate in branch order: the first branch of a state is
		// canonical. Unique branch j belongs to shard j mod Total, a
		// duplicate to its canonical branch's shard; the counts and the
		// list hold what this shard owns (see Shard).
		uniq := make([]*point, 0, len(pts))
		dups := map[*point]int{}
		for _, p := range pts {
			if !o.NoDedup {
				k := dedupKey{p.hash, p.acks}
				if c, seen := explored[k]; seen {
					dups[c]++
					if c.owned {
						ls.Branches++
						ls.Deduped++
						if o.ListBranches {
							res.List = append(res.List, BranchInfo{ID: e.id(p), Depth: level, Acked: p.acks, Verdict: "dup", DupOf: e.id(c), Hash: p.hash})
						}
					}
					p.free()
					continue
				}
				explored[k] = p
			}
			p.owned = o.Shard.Owns(len(uniq))
			if p.owned {
				ls.Branches++
				ls.Unique++
			}
			uniq = append(uniq, p)
		}

		// Check: the last level only the shard's part; earlier levels all of
		// it (their recoveries are the next level's workloads).
		var todo []int
		for j, p := range uniq {
			if !last || p.owned {
				todo = append(todo, j)
			}
		}
		verdicts := make([]error, len(uniq))
		checked := make([]bool, len(uniq))
		children := make([][]*point, len(uniq))
		durs := make([]int64, len(uniq))
		e.setPhase(level, "check", len(todo))
		var fatal atomic.Value
		if err := e.parallel(ctx, len(todo), func(w *worker, i int) {
			if e.budget.failed() != nil {
				return // the sweep stops: no more recordings
			}
			j := todo[i]
			p := uniq[j]
			w.t.inf = e.inf
			d := emu.FromSnapshot(p.state(&w.t, s.Seed))
			var cr *recorder
			if !last {
				acks := p.acks
				cr = newRecorder(&e.engineCfg, p, p.seed, level+1, func() int { return acks }, d.Now())
				d.SetHook(cr)
			}
			ct := time.Now()
			v, ferr := w.ck.run(ctx, d, acked[:p.acks:p.acks])
			if ferr != nil {
				fatal.CompareAndSwap(nil, ferr)
				return
			}
			if ctx.Err() != nil {
				return // cancelled: the verdict is not the check's
			}
			verdicts[j] = v
			durs[j] = time.Since(ct).Nanoseconds()
			checked[j] = true
			if verdicts[j] != nil {
				e.failed.Add(1)
			} else if cr != nil {
				children[j] = cr.points
			}
			p.free() // the branch is done
		}); err != nil {
			return nil, err
		}
		if berr := e.budget.failed(); berr != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, berr)
		}
		if err, _ := fatal.Load().(error); err != nil {
			return nil, fmt.Errorf("%w: %s: check factory: %w", ErrBadSweep, s.Name, err)
		}

		var next []*point
		for j, p := range uniq {
			owned := p.owned
			if checked[j] {
				ls.Ran++
				res.CheckNs += durs[j]
				if owned {
					ls.Checked++
				}
			}
			if verdicts[j] != nil {
				if owned {
					ls.Failed++
					msg := verdicts[j].Error()
					res.Failures = append(res.Failures, Failure{ID: e.id(p), Depth: level, Error: msg, Class: FailureClass(msg),
						Acked: p.acks, Duplicates: dups[p], sched: p.schedule()})
				}
			} else if checked[j] && owned {
				ls.Passed++
			}
			if o.ListBranches && (checked[j] && owned) {
				bi := BranchInfo{ID: e.id(p), Depth: level, Acked: p.acks, Verdict: "pass", Hash: p.hash}
				if verdicts[j] != nil {
					bi.Verdict, bi.Error = "fail", verdicts[j].Error()
				}
				res.List = append(res.List, bi)
			}
			next = append(next, children[j]...)
		}
		ls.WallNs = time.Since(lt).Nanoseconds()
		res.Levels = append(res.Levels, ls)
		if last || len(next) == 0 {
			break
		}
		pts = next
	}
	e.setPhase(s.depth(), "done", 0)
	for _, l := range res.Levels {
		res.Branches += l.Branches
		res.Unique += l.Unique
		res.Deduped += l.Deduped
		res.Checked += l.Checked
		res.Ran += l.Ran
		res.Passed += l.Passed
		res.Failed += l.Failed
	}
	if !o.NoShrink {
		e.shrinkAll(ctx, res)
	}
	res.WallNs = time.Since(e.start).Nanoseconds()
	e.report()
	return res, nil
}

func (e *engine) id(p *point) string { return formatID(e.s.Name, p.schedule(), e.s.Seed) }

// shrinkAll shrinks failures of depth >= 2 by dropping cuts while the
// branch still fails with the same failure (FailureClass), for at most
// Options.ShrinkLimit failures in branch order.
func (e *engine) shrinkAll(ctx context.Context, res *Result) {
	limit := e.o.shrinkLimit()
	for i := range res.Failures {
		f := &res.Failures[i]
		if len(f.sched) < 2 || limit == 0 || ctx.Err() != nil {
			continue
		}
		limit--
		sched := f.sched
		for changed := true; changed && len(sched) > 1; {
			changed = false
			for j := range sched {
				try := append(append([]cut(nil), sched[:j]...), sched[j+1:]...)
				r, err := replaySchedule(ctx, e.s, try, ReplayOptions{CheckTimeout: e.o.CheckTimeout}, nil)
				if err == nil && r.Err != nil && FailureClass(r.Err.Error()) == f.Class {
					sched, changed = try, true
					break
				}
			}
		}
		if len(sched) < len(f.sched) {
			f.Shrunk = formatID(e.s.Name, sched, e.s.Seed)
		}
	}
}
