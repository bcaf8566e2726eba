package luasweep

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/lua"
	"github.com/flashemu/flashemu/shard"
	glua "github.com/yuin/gopher-lua"
)

// sweep.run(name [, opts]): run a defined sweep from inside a script and
// return its result as a table, so that scripts (and *_test.lua files)
// assert on what the sweep found.

func sweepRun(s *lua.State, L *glua.LState) int {
	set := sweepsOf(s)
	a := lua.ArgsOf(L, "run")
	name := a.Str(1)
	f := a.Opts(2)
	jobs := int(f.Int("jobs", 0))
	if jobs < 0 {
		f.Fail("jobs", fmt.Sprintf("%d is negative", jobs))
	}
	depth := int(f.Int("depth", 0))
	if depth < 0 || depth > maxSweepDepth {
		f.Fail("depth", fmt.Sprintf("%d out of range [1, %d]", depth, maxSweepDepth))
	}
	var cfg Config
	cfg.Depth = depth
	if f.Has("seed") {
		sd := f.Int("seed", 0)
		if sd < 0 {
			f.Fail("seed", fmt.Sprintf("%d is negative", sd))
		}
		u := uint64(sd)
		cfg.Seed = &u
	}
	var part shard.Shard
	if str := f.Str("shard", ""); str != "" {
		sh, err := shard.Parse(str, func(string) string { return "" })
		if err != nil {
			f.Fail("shard", shard.Reason(err))
		}
		part = sh
	}
	only := f.Str("only", "")
	list := f.Bool("list", false)
	dedup := f.Bool("dedup", true)
	shrink := f.Bool("shrink", true)
	// verify = true replays every branch alone, verify = N a seeded
	// sample of N (faults.Verify); verify_seed picks the sample.
	verify, sample := false, 0
	switch v := f.Get("verify").(type) {
	case glua.LBool:
		verify = bool(v)
	case glua.LNumber:
		if v < 1 || v != glua.LNumber(int(v)) {
			f.Fail("verify", fmt.Sprintf("%v is not a positive integer", v))
		}
		verify, sample = true, int(v)
	case *glua.LNilType:
	default:
		f.Fail("verify", fmt.Sprintf("%s, want true or a sample size", lua.TypeName(v)))
	}
	verifySeed := f.Int("verify_seed", 0)
	var timeout time.Duration
	if str := f.Str("timeout", ""); str != "" {
		d, err := time.ParseDuration(str)
		if err != nil || d <= 0 {
			f.Fail("timeout", fmt.Sprintf("%q is not a positive duration (e.g. \"2s\", \"500ms\")", str))
		}
		timeout = d
	}
	f.Done()

	if set.inCheck {
		a.Raise("sweep.run(%q) inside a sweep's check: a check cannot run a sweep (call sweep.run at the script's top level or in a test)", name)
	}
	set.ran = true
	if set.defineOnly {
		stopDefinitionPass(s, L)
	}
	def := set.byName[name]
	if def == nil {
		names := make([]string, len(set.defs))
		for i, d := range set.defs {
			names[i] = d.Name
		}
		a.ArgError(1, fmt.Sprintf("no sweep named %q (defined: %s)", name, strings.Join(names, ", ")))
	}
	if set.running {
		a.Raise("sweep.run(%q) inside a running sweep", name)
	}
	set.running = true
	defer func() { set.running = false }()

	ctx := L.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	b := bind(s, L, ctx, true, def, cfg)
	defer b.Close()
	// Every run of the workload (and, without a program, every check)
	// starts from the state sweep.run found, and sweep.run leaves the state
	// as it found it: a rollback to a checkpoint taken here, when the state
	// can take one (not inside a coroutine, nor inside another checkpoint).
	b.mode = runsShared
	if L == s.L && !s.L.HasCheckpoint() && s.Checkpoint() == nil {
		b.mode = runsRollback
		defer func() {
			_ = s.Rollback()
			s.DropCheckpoint()
		}()
	}
	if s.Program() == nil {
		// No compiled program (REPL, DoString): the checks run in this
		// state, one at a time, each after a rollback.
		b.Sweep.CheckContextFactory = nil
		b.Sweep.CheckFactory = b.mainCheckFactory
		b.Sweep.Serial = true
		jobs = 1
	}

	if only != "" {
		rep, err := faults.ReplayContext(ctx, b.Sweep, only, faults.ReplayOptions{CheckTimeout: timeout})
		if err != nil {
			a.Raise("sweep.run(%q): %s", name, sweepErrText(name, err))
		}
		t := L.CreateTable(0, 6)
		t.RawSetString("id", glua.LString(rep.ID))
		t.RawSetString("ok", glua.LBool(rep.Err == nil))
		if rep.Err != nil {
			t.RawSetString("error", glua.LString(rep.Err.Error()))
			t.RawSetString("failed_depth", glua.LNumber(rep.FailedDepth))
		}
		t.RawSetString("acked", glua.LNumber(b.LastAcked()))
		t.RawSetString("op", glua.LNumber(b.FirstOp(rep.ID)))
		L.Push(t)
		return 1
	}

	opts := faults.Options{Jobs: jobs, Shard: part, NoDedup: !dedup, NoShrink: !shrink, ListBranches: list, CheckTimeout: timeout}
	var res *faults.Result
	var vr *faults.VerifyResult
	var err error
	if verify {
		vr, err = faults.Verify(ctx, b.Sweep, opts, faults.VerifyOptions{Sample: sample, Seed: uint64(verifySeed), Jobs: jobs})
		if vr != nil {
			res = vr.Sweep
		}
	} else {
		res, err = faults.Run(ctx, b.Sweep, opts)
	}
	if err != nil {
		if ctx.Err() != nil {
			// Let the interrupt surface as itself (timeout, Ctrl-C).
			a.Raise("%s", context.Cause(ctx))
		}
		a.Raise("sweep.run(%q): %s", name, sweepErrText(name, err))
	}
	if b.isolated() {
		// The Lua state as sweep.run found it (the workload's and the
		// last check's changes undone) before the result is built.
		if err := s.Rollback(); err != nil {
			a.Raise("sweep.run(%q): %v", name, err)
		}
	}
	t := resultTable(L, res, b)
	t.RawSetString("isolated", glua.LBool(b.isolated()))
	if vr != nil {
		t.RawSetString("verify", verifyTable(L, vr))
		if !vr.OK() {
			t.RawSetString("ok", glua.LFalse)
		}
	}
	L.Push(t)
	return 1
}

// verifyTable renders faults.Verify's findings: {replayed=, skipped=,
// sample=, seed=, ok=, disagreements = {{id=, sweep=, replay=,
// sweep_error=, replay_error=, dup_of=}, ...}}.
func verifyTable(L *glua.LState, vr *faults.VerifyResult) *glua.LTable {
	t := L.CreateTable(0, 6)
	t.RawSetString("replayed", glua.LNumber(vr.Replayed))
	t.RawSetString("skipped", glua.LNumber(vr.Skipped))
	t.RawSetString("sample", glua.LNumber(vr.Sample))
	t.RawSetString("seed", glua.LNumber(float64(vr.Seed)))
	t.RawSetString("ok", glua.LBool(vr.OK()))
	ds := L.CreateTable(len(vr.Disagreements), 0)
	for _, d := range vr.Disagreements {
		dt := L.CreateTable(0, 6)
		dt.RawSetString("id", glua.LString(d.ID))
		dt.RawSetString("sweep", glua.LString(d.Sweep))
		dt.RawSetString("replay", glua.LString(d.Replay))
		if d.SweepError != "" {
			dt.RawSetString("sweep_error", glua.LString(d.SweepError))
		}
		if d.ReplayError != "" {
			dt.RawSetString("replay_error", glua.LString(d.ReplayError))
		}
		if d.DupOf != "" {
			dt.RawSetString("dup_of", glua.LString(d.DupOf))
		}
		ds.Append(dt)
	}
	t.RawSetString("disagreements", ds)
	return t
}

// sweepErrText shortens the engine's "faults: bad sweep: NAME: " prefix.
func sweepErrText(name string, err error) string {
	msg := err.Error()
	if errors.Is(err, faults.ErrBadSweep) {
		msg = strings.TrimPrefix(msg, faults.ErrBadSweep.Error()+": ")
		msg = strings.TrimPrefix(msg, name+": ")
	}
	return msg
}

// mainCheckFactory runs the checks in the defining state itself (no
// program to make worker states from); the sweep must run with one job.
// When sweep.run could checkpoint the state (b.isolated()), each check starts
// from the state sweep.run was called in.
func (b *Binding) mainCheckFactory(worker int) (faults.CheckFunc, error) {
	if worker != 0 {
		return nil, errors.New("checks in the defining state need one job")
	}
	var cache ackCache
	L := b.L
	return func(d *emu.Device, acked []any) error {
		b.lastAcked.Store(int64(len(acked)))
		if b.isolated() {
			if err := b.main.Rollback(); err != nil {
				return fmt.Errorf("%s: the check cannot start from the state sweep.run was called in (%v); run the sweep from a script file", b.Def.Where, err)
			}
		}
		rets, err := pcallNested(L, b.Def.check, b.main.NewDevice(d), cache.table(L, acked))
		if err != nil {
			return err
		}
		return checkVerdict(L, b.Def.Where, rets)
	}, nil
}

// resultTable renders a sweep result for Lua (the JSON report's fields).
func resultTable(L *glua.LState, r *faults.Result, b *Binding) *glua.LTable {
	t := L.CreateTable(0, 24)
	str := func(k, v string) { t.RawSetString(k, glua.LString(v)) }
	num := func(k string, v float64) { t.RawSetString(k, glua.LNumber(v)) }
	str("name", r.Name)
	num("seed", float64(r.Seed))
	str("cuts", r.Cuts)
	num("depth", float64(r.Depth))
	if r.Shard != "" {
		str("shard", r.Shard)
	}
	num("jobs", float64(r.Jobs))
	num("workload_ops", float64(r.WorkloadOps))
	num("acked", float64(r.Acked))
	num("branches", float64(r.Branches))
	num("unique", float64(r.Unique))
	num("deduped", float64(r.Deduped))
	num("checked", float64(r.Checked))
	num("passed", float64(r.Passed))
	num("failed", float64(r.Failed))
	num("record_ns", float64(r.RecordNs))
	num("check_ns", float64(r.CheckNs))
	num("wall_ns", float64(r.WallNs))
	num("branches_per_second", r.BranchesPerSecond())
	t.RawSetString("ok", glua.LBool(r.OK()))
	levels := L.CreateTable(len(r.Levels), 0)
	for _, l := range r.Levels {
		lt := L.CreateTable(0, 8)
		lt.RawSetString("level", glua.LNumber(l.Level))
		lt.RawSetString("branches", glua.LNumber(l.Branches))
		lt.RawSetString("unique", glua.LNumber(l.Unique))
		lt.RawSetString("deduped", glua.LNumber(l.Deduped))
		lt.RawSetString("checked", glua.LNumber(l.Checked))
		lt.RawSetString("passed", glua.LNumber(l.Passed))
		lt.RawSetString("failed", glua.LNumber(l.Failed))
		lt.RawSetString("wall_ns", glua.LNumber(l.WallNs))
		levels.Append(lt)
	}
	t.RawSetString("levels", levels)
	fails := L.CreateTable(len(r.Failures), 0)
	for _, f := range r.Failures {
		ft := L.CreateTable(0, 7)
		ft.RawSetString("id", glua.LString(f.ID))
		if f.Shrunk != "" {
			ft.RawSetString("shrunk", glua.LString(f.Shrunk))
		}
		ft.RawSetString("depth", glua.LNumber(f.Depth))
		ft.RawSetString("error", glua.LString(f.Error))
		ft.RawSetString("acked", glua.LNumber(f.Acked))
		ft.RawSetString("duplicates", glua.LNumber(f.Duplicates))
		ft.RawSetString("op", glua.LNumber(b.FirstOp(f.ID)))
		fails.Append(ft)
	}
	t.RawSetString("failures", fails)
	if r.List != nil {
		lst := L.CreateTable(len(r.List), 0)
		for _, br := range r.List {
			bt := L.CreateTable(0, 6)
			bt.RawSetString("id", glua.LString(br.ID))
			bt.RawSetString("depth", glua.LNumber(br.Depth))
			bt.RawSetString("acked", glua.LNumber(br.Acked))
			bt.RawSetString("verdict", glua.LString(br.Verdict))
			if br.DupOf != "" {
				bt.RawSetString("dup_of", glua.LString(br.DupOf))
			}
			bt.RawSetString("op", glua.LNumber(b.FirstOp(br.ID)))
			lst.Append(bt)
		}
		t.RawSetString("list", lst)
	}
	return t
}
