package faults_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func run(t *testing.T, s *faults.Sweep, o faults.Options) *faults.Result {
	t.Helper()
	r, err := faults.Run(context.Background(), s, o)
	require.NoError(t, err)
	return r
}

func failureIDs(r *faults.Result) []string {
	var ids []string
	for _, f := range r.Failures {
		ids = append(ids, f.ID)
	}
	return ids
}

func TestSweepCatchesAckBeforeCommit(t *testing.T) {
	const n = 10
	s := logSweep("broken", n, true)
	r := run(t, s, faults.Options{Jobs: 2})
	// ops: 0 = sector erase, then record i: body = op 1+2i, commit = op 2+2i.
	// The bug shows exactly before each commit: the value is acked, its CRC
	// is not on flash.
	var want []string
	for i := 0; i < n; i++ {
		want = append(want, fmt.Sprintf("broken:%db:1", 2+2*i))
	}
	assert.Equal(t, want, failureIDs(r))
	assert.Equal(t, 2*n+1, r.WorkloadOps)
	assert.Equal(t, n, r.Acked)
	assert.Contains(t, r.Failures[0].Error, "acknowledged record 0 lost")
	assert.Equal(t, 1, r.Failures[0].Acked)

	// The ID replays the branch alone, with the same verdict.
	rep, err := faults.Replay(s, r.Failures[0].ID, faults.ReplayOptions{})
	require.NoError(t, err)
	require.Error(t, rep.Err)
	assert.Equal(t, r.Failures[0].Error, rep.Err.Error())
	assert.Equal(t, []any{uint32(0)}, rep.Acked, "exactly the values acked before the cut")
	before := emu.FromSnapshot(rep.Before)
	commit := make([]byte, 4)
	require.NoError(t, before.Peek(bodySize, commit))
	assert.Equal(t, []byte{0xff, 0xff, 0xff, 0xff}, commit, "the branch state: body written, commit not")

	// The same bug at unit granularity: the torn commits fail too.
	r = run(t, s, faults.Options{Jobs: 2})
	ru := run(t, &faults.Sweep{Name: "broken", Device: s.Device, Workload: s.Workload, Check: s.Check, Seed: 1,
		Cuts: faults.Cuts{Mode: faults.CutUnit}}, faults.Options{Jobs: 2})
	for _, id := range failureIDs(ru) {
		bid, err := faults.ParseBranchID(id)
		require.NoError(t, err)
		op := bid.Cuts[0].Op
		assert.True(t, op >= 2 && op%2 == 0, "failure %s is not at a commit", id)
	}
	assert.Greater(t, len(ru.Failures), len(r.Failures))
}

func TestSweepCorrectLogPassesEveryBranch(t *testing.T) {
	cases := []faults.Cuts{
		{Mode: faults.CutOp}, {Mode: faults.CutUnit}, {Mode: faults.CutBit}, {Mode: faults.CutTime, EveryNs: 50_000},
	}
	for _, c := range cases {
		t.Run(c.String(), func(t *testing.T) {
			s := logSweep("ok", 40, false)
			s.Cuts = c
			r := run(t, s, faults.Options{Jobs: 2})
			assert.True(t, r.OK(), "%v", failureIDs(r))
			assert.Positive(t, r.Checked)
			assert.Equal(t, r.Branches, r.Unique+r.Deduped)
			if c.Mode == faults.CutOp {
				// before(k+1) is after(k) with the same acks unless an ack
				// happened between them: dedup removes those. Plus one: the
				// cut after the workload returned.
				assert.Equal(t, 2*r.WorkloadOps+1, r.Branches)
				assert.Positive(t, r.Deduped)
			}
			if c.Mode == faults.CutUnit || c.Mode == faults.CutBit {
				assert.Greater(t, r.Branches, 2*r.WorkloadOps)
			}
		})
	}
}

func TestSweepAckedContract(t *testing.T) {
	// Record i is op i; the workload acks i right after op i returns. At
	// every cut inside or around op k the check must get exactly k values.
	const n = 12
	var mu sync.Mutex
	seen := map[string]int{}
	s := &faults.Sweep{
		Name:   "acks",
		Device: logDevice,
		Workload: func(d *emu.Device, ack func(any)) error {
			for i := 0; i < n; i++ {
				if err := d.Program(int64(i)*slotSize, body(uint32(i), []byte("x"))); err != nil {
					return err
				}
				ack(uint32(i))
			}
			return nil
		},
		Check: func(d *emu.Device, acked []any) error {
			// Every acked record is on flash; the one after them is not complete.
			buf := make([]byte, bodySize)
			for i, v := range acked {
				if v != uint32(i) {
					return fmt.Errorf("acked[%d] = %v", i, v)
				}
				if err := d.Read(int64(i)*slotSize, buf); err != nil {
					return err
				}
				if binary.LittleEndian.Uint32(buf) != uint32(i) || binary.LittleEndian.Uint16(buf[6:]) != tlogMagic {
					return fmt.Errorf("acked record %d not on flash", i)
				}
			}
			mu.Lock()
			seen[fmt.Sprint(d.StateHash(), len(acked))]++
			mu.Unlock()
			return nil
		},
		Cuts:         faults.Cuts{Mode: faults.CutUnit},
		ProgramModel: faults.Prefix, // torn word by word: 7 cut points inside each 28-byte program
	}
	r := run(t, s, faults.Options{Jobs: 3, NoDedup: true, ListBranches: true})
	require.True(t, r.OK(), "%v", failureIDs(r))
	require.Equal(t, r.Branches, len(r.List))
	kinds := map[faults.CutKind]int{}
	for _, b := range r.List {
		id, err := faults.ParseBranchID(b.ID)
		require.NoError(t, err)
		c := id.Cuts[0]
		kinds[c.Kind]++
		if c.Kind == faults.AtEnd {
			assert.Equal(t, n, b.Acked, "branch %s: every value acked", b.ID)
		} else {
			assert.Equal(t, c.Op, b.Acked, "branch %s: acked count", b.ID)
		}
		assert.Equal(t, "pass", b.Verdict)
	}
	assert.Equal(t, n, kinds[faults.BeforeOp])
	assert.Equal(t, n, kinds[faults.AfterOp])
	assert.Equal(t, n*bodySize/4, kinds[faults.InsideOp], "one torn variant per 4-byte write unit")
	assert.Equal(t, 1, kinds[faults.AtEnd], "one cut after the workload returned")
}

func TestSweepDeterministicAcrossJobsAndShards(t *testing.T) {
	mk := func() *faults.Sweep {
		s := logSweep("det", 12, true)
		s.Check = recoverAndCheck
		s.Cuts = faults.Cuts{Mode: faults.CutUnit}
		s.Depth = 2
		s.Seed = 5
		return s
	}
	list := func(r *faults.Result) []string {
		var out []string
		for _, b := range r.List {
			out = append(out, b.ID+" "+b.Verdict+" "+b.DupOf)
		}
		return out
	}
	one := run(t, mk(), faults.Options{Jobs: 1, ListBranches: true})
	four := run(t, mk(), faults.Options{Jobs: 4, ListBranches: true})
	assert.Equal(t, list(one), list(four))
	assert.Equal(t, failureIDs(one), failureIDs(four))
	assert.Equal(t, one.Unique, four.Unique)
	require.NotEmpty(t, one.Failures)
	require.Positive(t, one.Levels[1].Branches, "depth 2 explored")

	// Shards: disjoint, and together exactly the whole.
	var union []string
	var fails []string
	checkedLast := 0
	for i := 0; i < 3; i++ {
		r := run(t, mk(), faults.Options{Jobs: 2, Shard: faults.Shard{Index: i, Total: 3}, ListBranches: true})
		for _, b := range r.List {
			if b.Verdict != "dup" {
				union = append(union, b.ID+" "+b.Verdict)
			}
		}
		fails = append(fails, failureIDs(r)...)
		checkedLast += r.Levels[len(r.Levels)-1].Checked
	}
	var whole []string
	for _, b := range one.List {
		if b.Verdict != "dup" {
			whole = append(whole, b.ID+" "+b.Verdict)
		}
	}
	sort.Strings(union)
	sort.Strings(whole)
	assert.Equal(t, whole, union)
	sort.Strings(fails)
	wf := failureIDs(one)
	sort.Strings(wf)
	assert.Equal(t, wf, fails)
	assert.Equal(t, one.Levels[len(one.Levels)-1].Checked, checkedLast)
}

func TestSweepDepth2FindsRecoveryBug(t *testing.T) {
	s := logSweep("compact", 8, false)
	s.Check = compactingRecovery
	s.Cuts = faults.Cuts{Mode: faults.CutUnit}
	r1 := run(t, s, faults.Options{Jobs: 2})
	require.True(t, r1.OK(), "depth 1 cannot see a bug in the recovery: %v", failureIDs(r1))

	s.Depth = 2
	r2 := run(t, s, faults.Options{Jobs: 2})
	require.False(t, r2.OK())
	require.Len(t, r2.Levels, 2)
	assert.Positive(t, r2.Levels[1].Deduped, "dedup removed depth-2 branches")
	f := r2.Failures[0]
	assert.Equal(t, 2, f.Depth)
	id, err := faults.ParseBranchID(f.ID)
	require.NoError(t, err)
	require.Len(t, id.Cuts, 2)
	assert.Contains(t, f.Error, "lost")

	rep, err := faults.Replay(s, f.ID, faults.ReplayOptions{})
	require.NoError(t, err)
	require.Error(t, rep.Err)
	assert.Equal(t, f.Error, rep.Err.Error())
	assert.Equal(t, 2, rep.FailedDepth)
	assert.NotNil(t, rep.Before)
	assert.NotNil(t, rep.After)
}

func TestSweepShrinksDroppableCuts(t *testing.T) {
	// The check's recovery is the workload itself, nothing is acked, and a
	// state fails when byte 2 is programmed but byte 3 is not. Without dedup,
	// the depth-2 branch (0b, 2a) — a cut before anything happened, then the
	// recovery (= workload) cut after its op 2 — fails, and shrinks to 2a.
	write := func(d *emu.Device, _ func(any)) error {
		for i := 0; i < 6; i++ {
			var b [4]byte
			if err := d.Peek(int64(i)*4, b[:]); err != nil {
				return err
			}
			if b[0] == 0xff {
				if err := d.Program(int64(i)*4, []byte{byte(i), 0, 0, 0}); err != nil {
					return err
				}
			}
		}
		return nil
	}
	s := &faults.Sweep{
		Name: "shrink", Device: logDevice, Workload: write, Depth: 2,
		Check: func(d *emu.Device, acked []any) error {
			b := make([]byte, 16)
			if err := d.Read(0, b); err != nil {
				return err
			}
			if b[8] != 0xff && b[12] == 0xff {
				return fmt.Errorf("half-written state")
			}
			return write(d, nil)
		},
	}
	r := run(t, s, faults.Options{Jobs: 2, NoDedup: true})
	var found bool
	for _, f := range r.Failures {
		if f.ID == "shrink:0b/2a:0" {
			found = true
			assert.Equal(t, "shrink:2a:0", f.Shrunk)
		}
	}
	assert.True(t, found, "%v", failureIDs(r))
	assert.Contains(t, failureIDs(r), "shrink:2a:0")
}

func TestReplayRejectsBadIDs(t *testing.T) {
	s := logSweep("ok", 3, false)
	for _, id := range []string{"", "ok", "ok:1b", "ok:1b:x", "other:1b:1", "ok::1", "ok:1x:1", "ok:u1:1", "ok:1u:1",
		"ok:1u1v0:1", "ok:99b:1", "ok:1b/99b:1", "ok:t0:1"} {
		_, err := faults.Replay(s, id, faults.ReplayOptions{})
		assert.ErrorIs(t, err, faults.ErrBadID, "%q", id)
	}
	for _, id := range []string{"a:b:3b:1", "ok:1u2v3/t500/4a:7"} {
		bid, err := faults.ParseBranchID(id)
		require.NoError(t, err, id)
		assert.Equal(t, id, bid.Sweep+":"+bid.Schedule()+":"+strconv.FormatUint(bid.Seed, 10))
	}
}

func TestSweepRejectsBadDefinitions(t *testing.T) {
	ok := logSweep("x", 1, false)
	bad := []*faults.Sweep{
		nil,
		{Name: "x", Workload: ok.Workload, Check: ok.Check},
		{Name: "x", Device: ok.Device, Check: ok.Check},
		{Name: "x", Device: ok.Device, Workload: ok.Workload},
		{Name: "x", Device: ok.Device, Workload: ok.Workload, Check: ok.Check, Cuts: faults.Cuts{Mode: "sometimes"}},
		{Name: "x", Device: ok.Device, Workload: ok.Workload, Check: ok.Check, Cuts: faults.Cuts{Mode: faults.CutTime}},
		{Name: "x", Device: ok.Device, Workload: ok.Workload, Check: ok.Check, Depth: -1},
		{Name: "x", Device: ok.Device, Workload: ok.Workload, Check: ok.Check, ProgramModel: "melt"},
	}
	for i, s := range bad {
		_, err := faults.Run(context.Background(), s, faults.Options{})
		assert.ErrorIs(t, err, faults.ErrBadSweep, "case %d", i)
	}
	_, err := faults.Run(context.Background(), ok, faults.Options{Shard: faults.Shard{Index: 3, Total: 3}})
	assert.ErrorIs(t, err, faults.ErrBadSweep)
	failing := logSweep("x", 1, false)
	failing.Workload = func(d *emu.Device, ack func(any)) error { return fmt.Errorf("boom") }
	_, err = faults.Run(context.Background(), failing, faults.Options{})
	assert.ErrorIs(t, err, faults.ErrBadSweep)
	assert.Contains(t, err.Error(), "boom")

	for _, c := range []string{"op", "unit", "bit", "every_ns=1000"} {
		got, err := faults.ParseCuts(c)
		require.NoError(t, err)
		assert.Equal(t, c, got.String())
	}
	_, err = faults.ParseCuts("every_ns=-1")
	assert.ErrorIs(t, err, faults.ErrBadSweep)
}

func TestSweepCheckFactoryPerWorkerAndPanics(t *testing.T) {
	var mu sync.Mutex
	made := map[int]int{}
	s := logSweep("factory", 20, false)
	s.Check = nil
	s.CheckFactory = func(worker int) (faults.CheckFunc, error) {
		mu.Lock()
		made[worker]++
		mu.Unlock()
		calls := 0 // per-worker state: no locking needed
		return func(d *emu.Device, acked []any) error {
			calls++
			if len(acked) == 7 && calls > 0 {
				panic("check exploded")
			}
			return checkAcked(d, acked)
		}, nil
	}
	r := run(t, s, faults.Options{Jobs: 3})
	for w, n := range made {
		assert.Equal(t, 1, n, "worker %d made its check once", w)
	}
	assert.LessOrEqual(t, len(made), 3)
	require.False(t, r.OK())
	assert.Contains(t, r.Failures[0].Error, "check panicked: check exploded")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := faults.Run(ctx, logSweep("c", 5, false), faults.Options{})
	assert.ErrorIs(t, err, context.Canceled)
}

func TestSweepProgressAndJSON(t *testing.T) {
	var mu sync.Mutex
	var reports []faults.Progress
	r := run(t, logSweep("p", 30, true), faults.Options{Jobs: 2, Progress: func(p faults.Progress) {
		mu.Lock()
		reports = append(reports, p)
		mu.Unlock()
	}})
	require.NotEmpty(t, reports)
	var sawCheck bool
	for _, p := range reports {
		if p.Phase == "check" && p.Done == p.Total && p.Total > 0 {
			sawCheck = true
			assert.Equal(t, r.Checked, p.Total)
		}
	}
	assert.True(t, sawCheck)
	js := string(r.JSON())
	for _, k := range []string{`"name":"p"`, `"failures":[{"id":"p:2b:1"`, `"branches":`, `"check_ns":`, `"levels":`} {
		assert.Contains(t, js, k)
	}
}

func TestSweepFCBPassesEveryBranch(t *testing.T) {
	s := fcbSweep("fcb", 60, fcbCheck)
	r := run(t, s, faults.Options{Jobs: 2})
	assert.True(t, r.OK(), "%v", failureIDs(r))
	assert.Greater(t, r.WorkloadOps, 3*60)

	s = fcbSweep("fcb2", 20, fcbBootCheck)
	s.Depth = 2
	r = run(t, s, faults.Options{Jobs: 2})
	assert.True(t, r.OK(), "%v", failureIDs(r))
	assert.Positive(t, r.Levels[1].Branches)
	assert.Positive(t, r.Levels[1].Deduped)
}

// Cutting inside operations finds what op-level sweeps cannot, in the
// faithful port of Zephyr's FCB: fcb_init fails with ENOMSG when a sector
// header write was torn, and with EIO when the 2-byte length of the entry
// being appended was torn into a length pointing past the sector (both
// documented in fcb/doc.go; Options.Repair mounts past them); and a torn,
// never-finished entry whose CRC-8 happens to equal the erased CRC byte
// (0xFF, about 1 torn payload in 256) is walked as valid and hands back
// corrupt data. Every failure of a unit sweep is one of these.
func TestSweepFCBUnitFindsTornWriteWeaknesses(t *testing.T) {
	classify := func(t *testing.T, r *faults.Result) map[string]int {
		kinds := map[string]int{}
		for _, f := range r.Failures {
			switch {
			case strings.HasPrefix(f.Error, "fcb_init ENOMSG:"):
				kinds["torn header"]++
			case strings.HasPrefix(f.Error, "fcb_init EIO:"):
				kinds["torn length"]++
			case strings.Contains(f.Error, "CRC32 mismatch"):
				kinds["crc8 collision"]++
			default:
				t.Errorf("%s: unexpected failure %s", f.ID, f.Error)
			}
			id, err := faults.ParseBranchID(f.ID)
			require.NoError(t, err)
			assert.Equal(t, faults.InsideOp, id.Cuts[0].Kind, "only torn operations: %s", f.ID)
		}
		return kinds
	}
	s := fcbSweep("fcb", 60, fcbCheck)
	s.Cuts = faults.Cuts{Mode: faults.CutUnit}
	r := run(t, s, faults.Options{Jobs: 2})
	kinds := classify(t, r)
	t.Logf("Zephyr mount: %d unit branches, failures by kind: %v", r.Checked, kinds)
	assert.Positive(t, kinds["torn header"]+kinds["torn length"], "Zephyr's mount refuses torn headers/lengths")

	rep, err := faults.Replay(s, r.Failures[0].ID, faults.ReplayOptions{})
	require.NoError(t, err)
	assert.Equal(t, r.Failures[0].Error, rep.Err.Error())

	fcbOpts.Repair = true
	defer func() { fcbOpts.Repair = false }()
	r = run(t, s, faults.Options{Jobs: 2})
	kinds = classify(t, r)
	t.Logf("repair mount: failures by kind: %v", kinds)
	assert.Zero(t, kinds["torn header"], "repair mounts past torn headers")
}

// Every branch ID replays to the very state the sweep checked: op, unit and
// bit variants of programs and erases, time cuts, and depth-2 schedules.
func TestReplayReachesTheSweepState(t *testing.T) {
	cases := []struct {
		cuts  faults.Cuts
		depth int
	}{
		{faults.Cuts{Mode: faults.CutBit}, 1},
		{faults.Cuts{Mode: faults.CutTime, EveryNs: 1_000_000}, 1}, // many land inside the 45 ms erase
		{faults.Cuts{Mode: faults.CutUnit}, 2},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s/depth=%d", c.cuts, c.depth), func(t *testing.T) {
			s := logSweep("replay", 6, false)
			s.Check = recoverAndCheck
			s.Cuts, s.Depth, s.Seed = c.cuts, c.depth, 3
			s.Workload = func(d *emu.Device, ack func(any)) error {
				// Start in the second sector with old data, so erases have
				// something to tear.
				l := newTlog(d, false)
				l.next = 4096
				if err := d.Program(4096, randBytes(1, 4096)); err != nil {
					return err
				}
				for i := 0; i < 6; i++ {
					if err := l.append(uint32(i), []byte("v"), ack); err != nil {
						return err
					}
				}
				return nil
			}
			r := run(t, s, faults.Options{Jobs: 2, ListBranches: true})
			require.True(t, r.OK(), "%v", failureIDs(r))
			n := 0
			stride := max(len(r.List)/40, 1)
			for i, b := range r.List {
				if b.Verdict == "dup" || i%stride != 0 {
					continue
				}
				rep, err := faults.Replay(s, b.ID, faults.ReplayOptions{})
				require.NoError(t, err, b.ID)
				require.NoError(t, rep.Err, b.ID)
				require.Equal(t, b.Hash, rep.Before.StateKey(), "branch %s", b.ID)
				n++
			}
			assert.Greater(t, n, 10)
		})
	}
}

func TestSweepDepth3(t *testing.T) {
	s := logSweep("deep", 4, false)
	s.Check = recoverAndCheck
	s.Depth = 3
	r := run(t, s, faults.Options{Jobs: 2})
	require.True(t, r.OK(), "%v", failureIDs(r))
	require.Len(t, r.Levels, 3)
	for _, l := range r.Levels {
		assert.Positive(t, l.Checked, "level %d", l.Level)
	}
	assert.Greater(t, r.Levels[2].Branches, r.Levels[1].Unique)
}
