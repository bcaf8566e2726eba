package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/internal/atomicfile"
	"github.com/flashemu/flashemu/lua"
	"github.com/flashemu/flashemu/luasweep"
	sweepreport "github.com/flashemu/flashemu/report"
	"golang.org/x/term"
)

// flashemu sweep SCRIPT.lua: run the power-cut sweeps a script defines
// (sweep.define), print one line per failing branch with its reproduction
// ID, replay one branch with --only ID (and dump its flash images and
// operation trace with --dump DIR), write JSON lines (--json) and an HTML
// or Markdown report (--report).

var sweepFlags = concat(withTimeoutHelp(sandboxFlags, "bound each check and the workload by DURATION: a check that exceeds it fails its branch, reported by ID (e.g. 2s, 500ms; a bare number is seconds)"), []flagSpec{
	{name: "name", arg: "REGEX", help: "run only the sweeps whose name matches"},
	{name: "jobs", arg: "N", help: "check workers (default: number of CPUs)"},
	{name: "depth", arg: "D", help: "override the sweeps' depth (2: also cut every recovery)"},
	{name: "seed", arg: "S", help: "override the sweeps' seed (torn variants)"},
	{name: "shard", arg: "I/N", help: "run shard I (0-based) of N; N alone takes I from TEST_SHARD_INDEX or JOB_COMPLETION_INDEX"},
	{name: "verify", arg: "[N]", optional: true, help: "replay every branch (or a seeded sample of N) alone and fail, naming the IDs, if a verdict differs from the sweep's"},
	{name: "verify-seed", arg: "S", help: "the seed of --verify N's sample (printed by --verify N)"},
	{name: "only", arg: "ID", help: "replay the branch ID (as a failure line prints it) alone"},
	{name: "dump", arg: "DIR", help: "write flash images before/after recovery and the operation trace of failing (or --only) branches"},
	{name: "json", help: "print one JSON object per failure and a summary per sweep"},
	{name: "report", arg: "FILE", help: "write an HTML (.html) or Markdown (.md) report"},
	{name: "junit", arg: "FILE", help: "write a JUnit XML report: a testcase per sweep and per failing branch (its ID, error and --only command)"},
})

// maxDumps bounds how many failures a full sweep dumps with --dump.
const maxDumps = 16

// sweepCmd is one flashemu sweep invocation.
type sweepCmd struct {
	c       *invocation
	script  string
	json    bool
	jobs    int
	timeout time.Duration
	verify  *faults.VerifyOptions
	junit   *junitReport
	shard   faults.Shard
	cfg     luasweep.Config
	dumpDir string
	out     io.Writer
	errw    io.Writer
	bar     *progressBar
	col     colors
}

func cmdSweep(c *invocation) error {
	if len(c.p.pos) != 1 {
		return usagef("want exactly one SCRIPT.lua")
	}
	sc := &sweepCmd{c: c, script: c.p.pos[0], json: c.p.boolean("json"), out: c.env.Stdout, errw: c.env.Stderr,
		col: colorsFor(c.env.Stdout, c.env.Getenv)}
	opts, err := c.stateOptions()
	if err != nil {
		return err
	}
	// In --json mode the script's print output must not mix with the JSON.
	if sc.json {
		opts.Stdout = c.env.Stderr
	}
	if sc.timeout, err = c.timeout(); err != nil {
		return err
	}
	jobs, err := c.rangeFlag("jobs", 0, 1, 4096)
	if err != nil {
		return err
	}
	sc.jobs = int(jobs)
	depth, err := c.rangeFlag("depth", 0, 1, 8)
	if err != nil {
		return err
	}
	sc.cfg.Depth = int(depth)
	if v := c.p.str("seed", ""); v != "" {
		n, err := parseNumber("seed", v)
		if err != nil {
			return err
		}
		sc.cfg.Seed = &n
	}
	var nameRE *regexp.Regexp
	if v := c.p.str("name", ""); v != "" {
		if nameRE, err = regexp.Compile(v); err != nil {
			return usagef("--name: %v", err)
		}
	}
	only := c.p.str("only", "")
	if only != "" {
		if _, err := faults.ParseBranchID(only); err != nil {
			return usagef("--only: %v", err)
		}
		for _, f := range []string{"shard", "report", "junit", "name", "depth", "seed", "verify", "verify-seed"} {
			if c.p.has(f) {
				return usagef("--only replays one branch: --%s does not apply", f)
			}
		}
	} else {
		if sc.shard, err = c.shard(); err != nil {
			return err
		}
	}
	if c.p.has("verify") {
		vo := &faults.VerifyOptions{Jobs: sc.jobs}
		if v := c.p.str("verify", ""); v != "" && v != "true" {
			n, err := c.rangeFlag("verify", 0, 1, 1<<30)
			if err != nil {
				return err
			}
			vo.Sample = int(n)
		}
		if v := c.p.str("verify-seed", ""); v != "" {
			if vo.Sample == 0 {
				return usagef("--verify-seed chooses --verify N's sample: give --verify N")
			}
			n, err := parseNumber("verify-seed", v)
			if err != nil {
				return err
			}
			if n == 0 {
				return usagef("--verify-seed: 0 means 'pick one'; give the seed --verify printed")
			}
			vo.Seed = n
		}
		sc.verify = vo
	} else if c.p.has("verify-seed") {
		return usagef("--verify-seed applies to --verify N")
	}
	reportPath := c.p.str("report", "")
	if reportPath != "" {
		if reportFormat(reportPath) == "" {
			return usagef("--report: %s: want a .html or .md file", reportPath)
		}
	}
	sc.dumpDir = c.p.str("dump", "")
	junitPath := c.p.str("junit", "")
	if junitPath != "" {
		sc.junit = &junitReport{script: sc.script}
	}

	// --timeout bounds each check and the workload (faults
	// Options.CheckTimeout), never the whole sweep.
	ctx, stop := c.interruptible(context.Background())
	defer stop()

	prog, err := lua.Compile(sc.script)
	if err != nil {
		return err
	}
	s, err := luasweep.Load(ctx, prog, opts)
	if err != nil {
		var de *luasweep.DefinitionError
		if errors.As(err, &de) {
			return sc.definitionError(de.Err)
		}
		return err
	}
	defer s.Close()
	defs := luasweep.Defined(s)
	if len(defs) == 0 {
		return sc.definitionError(fmt.Errorf("%s defines no sweeps (sweep.define)", sc.script))
	}
	if only != "" {
		return sc.replay(ctx, s, only)
	}
	var chosen []*luasweep.Def
	for _, d := range defs {
		if nameRE == nil || nameRE.MatchString(d.Name) {
			chosen = append(chosen, d)
		}
	}
	if len(chosen) == 0 {
		return usagef("--name %s matches none of the sweeps (%s)", nameRE, defNames(defs))
	}
	if !sc.json && c.env.Getenv("CI") == "" && isTerminal(c.env.Stderr) {
		sc.bar = newProgressBar(c.env.Stderr.(*os.File))
	}

	var reps []sweepreport.Sweep
	var failed, checked, disagree int
	for _, d := range chosen {
		res, b, nd, err := sc.run(ctx, s, d, reportPath != "")
		if err != nil {
			return sc.engineError(ctx, d, err)
		}
		disagree += nd
		failed += res.Failed
		checked += res.Checked
		if reportPath != "" {
			reps = append(reps, sc.reportOf(res, b))
		}
		if sc.dumpDir != "" {
			if err := sc.dumpFailures(ctx, s, d, res); err != nil {
				b.Close()
				return err
			}
		}
		b.Close()
	}
	if !sc.json {
		fmt.Fprintf(sc.out, "%d %s: %d branches checked, %d failed\n", len(chosen), plural(len(chosen), "sweep", "sweeps"), checked, failed)
	}
	if reportPath != "" {
		if err := writeReport(reportPath, reps); err != nil {
			return fmt.Errorf("--report: %v", err)
		}
	}
	if sc.junit != nil {
		if err := sc.junit.write(junitPath); err != nil {
			return fmt.Errorf("--junit: %v", err)
		}
	}
	if ctx.Err() != nil {
		return exitError{code: 1, msg: "interrupted"}
	}
	if disagree > 0 {
		return exitError{code: 1, msg: fmt.Sprintf("--verify: %d %s differ from the sweep's (listed above as DIFFER)", disagree, plural(disagree, "verdict", "verdicts"))}
	}
	if failed > 0 {
		return exitError{code: 1}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func defNames(defs []*luasweep.Def) string {
	n := make([]string, len(defs))
	for i, d := range defs {
		n[i] = d.Name
	}
	return strings.Join(n, ", ")
}

// definitionError prints a bad definition (Lua errors as file:line:
// message) and exits 2.
func (sc *sweepCmd) definitionError(err error) error {
	var le *lua.Error
	if errors.As(err, &le) && le.Where != "" {
		fmt.Fprintf(sc.errw, "%s: %s\n", le.Where, oneLine(le.Msg))
	} else {
		fmt.Fprintf(sc.errw, "flashemu: sweep: %s\n", oneLine(err.Error()))
	}
	return exitError{code: 2}
}

// engineError maps an error of faults.Run/Replay: a Lua error in the
// user's functions is a script error (1); a definition the engine refuses
// is a definition error (2).
func (sc *sweepCmd) engineError(ctx context.Context, d *luasweep.Def, err error) error {
	if ctx.Err() != nil {
		if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
			return exitError{code: 1, msg: oneLine(cause.Error())}
		}
		return exitError{code: 1, msg: "interrupted"}
	}
	msg := strings.TrimPrefix(err.Error(), faults.ErrBadSweep.Error()+": ")
	var le *lua.Error
	if errors.As(err, &le) || !errors.Is(err, faults.ErrBadSweep) || errors.Is(err, faults.ErrTimeout) {
		return exitError{code: 1, msg: msg}
	}
	return exitError{code: 2, msg: msg}
}

// bind binds d for one sweep (or replay): the binding's Lua calls end
// with the returned cancel, which also stops checks the engine abandoned
// after --timeout. With --timeout the workload is bounded too: it runs
// under a context the engine cancels after the timeout, which stops its
// Lua call.
func (sc *sweepCmd) bind(ctx context.Context, s *lua.State, d *luasweep.Def, cfg luasweep.Config) (*luasweep.Binding, context.CancelFunc, error) {
	bctx, cancel := context.WithCancelCause(ctx)
	b, err := luasweep.Bind(bctx, s, d, cfg)
	if err != nil {
		cancel(nil)
		return nil, nil, err
	}
	return b, func() { cancel(nil) }, nil
}

// run runs one sweep (with --verify, verifies it) and prints its failures,
// disagreements and summary; it returns the number of disagreements.
func (sc *sweepCmd) run(ctx context.Context, s *lua.State, d *luasweep.Def, list bool) (*faults.Result, *luasweep.Binding, int, error) {
	b, cancel, err := sc.bind(ctx, s, d, sc.cfg)
	if err != nil {
		return nil, nil, 0, err
	}
	o := faults.Options{Jobs: sc.jobs, Shard: sc.shard, ListBranches: list, CheckTimeout: sc.timeout}
	if sc.bar != nil {
		o.Progress = func(p faults.Progress) { sc.bar.update(d.Name, p) }
	}
	var res *faults.Result
	var vr *faults.VerifyResult
	if sc.verify != nil {
		vo := *sc.verify
		if sc.bar != nil {
			vo.Progress = o.Progress
		}
		vr, err = faults.Verify(ctx, b.Sweep, o, vo)
		if err == nil {
			res = vr.Sweep
		}
	} else {
		res, err = faults.Run(ctx, b.Sweep, o)
	}
	cancel() // stops any check abandoned after --timeout
	if sc.bar != nil {
		sc.bar.clear()
	}
	if err != nil {
		b.Close()
		return nil, nil, 0, err
	}
	if sc.junit != nil {
		sc.junit.add(res, vr)
	}
	nd := 0
	if vr != nil {
		nd = len(vr.Disagreements)
		defer sc.printVerify(vr) // after the sweep's own lines
	}
	if sc.json {
		sc.printJSON(res, b)
		return res, b, nd, nil
	}
	for _, f := range res.Failures {
		line := fmt.Sprintf("%s %s %s", sc.col.fail("FAIL"), sc.col.id(f.ID), oneLine(f.Error))
		if f.Shrunk != "" {
			line += " (shrunk: " + sc.col.id(f.Shrunk) + ")"
		}
		if f.Duplicates > 0 {
			line += fmt.Sprintf(" (+%d %s reaching the same state)", f.Duplicates, plural(f.Duplicates, "branch", "branches"))
		}
		fmt.Fprintln(sc.out, line)
	}
	if len(res.Failures) > 0 {
		id := res.Failures[0].ID
		if res.Failures[0].Shrunk != "" {
			id = res.Failures[0].Shrunk
		}
		fmt.Fprintf(sc.out, "replay one: flashemu sweep %s --only %s\n", sc.script, id)
	}
	verdict := sc.col.pass("PASS")
	if !res.OK() {
		verdict = sc.col.fail("FAIL")
	}
	shard := ""
	if res.Shard != "" {
		shard = ", shard " + res.Shard
	}
	fmt.Fprintf(sc.out, "--- %s: %s (%d branches checked, %d failed, %d deduplicated of %d; %d ops, %d acked; cuts %s, depth %d, seed %d%s; %s, %.0f branches/s)\n",
		verdict, res.Name, res.Checked, res.Failed, res.Deduped, res.Branches, res.WorkloadOps, res.Acked,
		res.Cuts, res.Depth, res.Seed, shard, seconds(res.WallNs), res.BranchesPerSecond())
	return res, b, nd, nil
}

// printVerify prints --verify's findings: one DIFFER line per branch whose
// verdicts differ, and what was replayed (with the sample's seed).
func (sc *sweepCmd) printVerify(vr *faults.VerifyResult) {
	if sc.json {
		_ = json.NewEncoder(sc.out).Encode(struct {
			Type          string                `json:"type"`
			Sweep         string                `json:"sweep"`
			Replayed      int                   `json:"replayed"`
			Skipped       int                   `json:"skipped"`
			Sample        int                   `json:"sample"`
			Seed          uint64                `json:"seed"`
			Disagreements []faults.Disagreement `json:"disagreements"`
		}{"verify", vr.Sweep.Name, vr.Replayed, vr.Skipped, vr.Sample, vr.Seed, vr.Disagreements})
		return
	}
	for _, dg := range vr.Disagreements {
		line := fmt.Sprintf("%s %s: sweep %s, alone %s", sc.col.fail("DIFFER"), sc.col.id(dg.ID), dg.Sweep, dg.Replay)
		if dg.DupOf != "" {
			line += " (the sweep checked " + dg.DupOf + " in its place)"
		}
		if dg.SweepError != "" {
			line += "; sweep: " + oneLine(dg.SweepError)
		}
		if dg.ReplayError != "" {
			line += "; alone: " + oneLine(dg.ReplayError)
		}
		fmt.Fprintln(sc.out, line)
	}
	what := "every branch"
	if vr.Sample > 0 {
		what = fmt.Sprintf("a sample of %d (--verify %d --verify-seed %d replays it)", vr.Sample, vr.Sample, vr.Seed)
	}
	verdict := "verdicts agree"
	if !vr.OK() {
		verdict = fmt.Sprintf("%d %s differ", len(vr.Disagreements), plural(len(vr.Disagreements), "verdict", "verdicts"))
	}
	skipped := ""
	if vr.Skipped > 0 {
		skipped = fmt.Sprintf(", %d skipped (checked by another shard)", vr.Skipped)
	}
	fmt.Fprintf(sc.out, "verify %s: %d replayed alone, %s%s; %s\n", vr.Sweep.Name, vr.Replayed, what, skipped, verdict)
}

func seconds(ns int64) string { return fmt.Sprintf("%.2fs", float64(ns)/1e9) }

// jsonFailure is one --json failure line.
type jsonFailure struct {
	Type   string `json:"type"`
	Sweep  string `json:"sweep"`
	Script string `json:"script"`
	faults.Failure
	Op int `json:"op"`
}

// jsonSummary is one --json summary line: faults' Result (counts, timings,
// failures) with the script.
type jsonSummary struct {
	Type   string `json:"type"`
	Script string `json:"script"`
	*faults.Result
}

func (sc *sweepCmd) printJSON(res *faults.Result, b *luasweep.Binding) {
	enc := json.NewEncoder(sc.out)
	for _, f := range res.Failures {
		_ = enc.Encode(jsonFailure{Type: "failure", Sweep: res.Name, Script: sc.script, Failure: f, Op: b.FirstOp(f.ID)})
	}
	_ = enc.Encode(jsonSummary{Type: "summary", Script: sc.script, Result: res})
}

// replay runs --only ID.
func (sc *sweepCmd) replay(ctx context.Context, s *lua.State, id string) error {
	bid, _ := faults.ParseBranchID(id) // checked by cmdSweep
	name := bid.Sweep
	d := luasweep.Find(s, name)
	if d == nil {
		return usagef("--only %s: %s defines no sweep %q (%s)", id, sc.script, name, defNames(luasweep.Defined(s)))
	}
	cfg := sc.cfg
	if !sc.json {
		cfg.WorkerStdout = sc.out
	}
	b, cancel, err := sc.bind(ctx, s, d, cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	defer cancel()
	var tr *traceHook
	if sc.dumpDir != "" {
		tr = newTraceHook(id)
	}
	rep, err := sc.replayWith(ctx, b, id, tr)
	if err != nil {
		if errors.Is(err, faults.ErrBadID) {
			return usagef("--only: %s", strings.TrimPrefix(err.Error(), faults.ErrBadID.Error()+": "))
		}
		return sc.engineError(ctx, d, err)
	}
	var dumped string
	if sc.dumpDir != "" {
		if dumped, err = dumpBranch(sc.dumpDir, rep, tr, b.LastAcked()); err != nil {
			return fmt.Errorf("--dump: %v", err)
		}
	}
	if sc.json {
		o := map[string]any{"type": "replay", "script": sc.script, "id": rep.ID, "ok": rep.Err == nil,
			"acked": b.LastAcked(), "op": b.FirstOp(rep.ID)}
		if rep.Err != nil {
			o["error"] = rep.Err.Error()
			o["failed_depth"] = rep.FailedDepth
		}
		if dumped != "" {
			o["dump"] = dumped
		}
		_ = json.NewEncoder(sc.out).Encode(o)
	} else {
		if rep.Err != nil {
			fmt.Fprintf(sc.out, "%s %s %s\n", sc.col.fail("FAIL"), sc.col.id(rep.ID), oneLine(rep.Err.Error()))
		} else {
			fmt.Fprintf(sc.out, "%s %s\n", sc.col.pass("PASS"), sc.col.id(rep.ID))
		}
		n := b.LastAcked()
		fmt.Fprintf(sc.out, "%d %s acknowledged before the cut", n, plural(n, "value", "values"))
		if rep.Err != nil {
			fmt.Fprintf(sc.out, "; failed at depth %d", rep.FailedDepth)
		}
		fmt.Fprintln(sc.out)
		if dumped != "" {
			fmt.Fprintf(sc.out, "dumped to %s\n", dumped)
		}
	}
	if rep.Err != nil {
		return exitError{code: 1}
	}
	return nil
}

func (sc *sweepCmd) replayWith(ctx context.Context, b *luasweep.Binding, id string, tr *traceHook) (*faults.ReplayResult, error) {
	o := faults.ReplayOptions{CheckTimeout: sc.timeout}
	if tr != nil {
		o.Trace = tr
	}
	return faults.ReplayContext(ctx, b.Sweep, id, o)
}

// dumpFailures replays up to maxDumps failures of a sweep and dumps them.
// It binds the sweep afresh: the sweep's own binding is cancelled once the
// sweep ends (that stops the checks --timeout abandoned).
func (sc *sweepCmd) dumpFailures(ctx context.Context, s *lua.State, d *luasweep.Def, res *faults.Result) error {
	if len(res.Failures) == 0 {
		return nil
	}
	b, cancel, err := sc.bind(ctx, s, d, sc.cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	defer cancel()
	for i, f := range res.Failures {
		if i == maxDumps {
			fmt.Fprintf(sc.errw, "flashemu: sweep: --dump: %d more failures of %s not dumped (use --only ID --dump DIR)\n", len(res.Failures)-maxDumps, res.Name)
			break
		}
		tr := newTraceHook(f.ID)
		rep, err := sc.replayWith(ctx, b, f.ID, tr)
		if err != nil {
			return fmt.Errorf("--dump: replaying %s: %v", f.ID, err)
		}
		dir, err := dumpBranch(sc.dumpDir, rep, tr, b.LastAcked())
		if err != nil {
			return fmt.Errorf("--dump: %v", err)
		}
		if !sc.json {
			fmt.Fprintf(sc.out, "dumped %s to %s\n", f.ID, dir)
		}
	}
	return nil
}

// ----- report -----

func reportFormat(path string) string {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".html", ".htm":
		return "html"
	case ".md", ".markdown":
		return "md"
	}
	return ""
}

// reportOf converts a result (run with ListBranches) for package report.
func (sc *sweepCmd) reportOf(res *faults.Result, b *luasweep.Binding) sweepreport.Sweep {
	rs := sweepreport.Sweep{Name: res.Name, Script: sc.script, Cuts: res.Cuts, Depth: res.Depth, Seed: res.Seed,
		Ops: res.WorkloadOps, Branches: res.Checked, Failed: res.Failed, Deduped: res.Deduped, WallNs: res.WallNs,
		PerOp: make([]sweepreport.OpOutcome, res.WorkloadOps)}
	for _, br := range res.List {
		if br.Verdict == "dup" {
			continue
		}
		op := b.FirstOp(br.ID)
		if op < 0 || op >= len(rs.PerOp) {
			continue
		}
		rs.PerOp[op].Branches++
		if br.Verdict == "fail" {
			rs.PerOp[op].Failed++
		}
	}
	for _, f := range res.Failures {
		rs.Failures = append(rs.Failures, sweepreport.Failure{ID: f.ID, Op: b.FirstOp(f.ID), Error: f.Error, Shrunk: f.Shrunk, Duplicates: f.Duplicates})
	}
	return rs
}

func writeReport(path string, sweeps []sweepreport.Sweep) error {
	var buf bytes.Buffer
	var err error
	if reportFormat(path) == "md" {
		err = sweepreport.WriteMarkdown(&buf, sweeps)
	} else {
		err = sweepreport.WriteHTML(&buf, sweeps)
	}
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteData(nil, path, buf.Bytes())
}

// isTerminal reports whether w is a terminal (the progress bar's condition).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
