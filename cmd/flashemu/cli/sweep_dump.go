package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/internal/atomicfile"
)

// --dump DIR: for a replayed branch, DIR/<id>/ gets
//
//	before.bin, after.bin   the flash content the final check started from
//	                        (after the last cut, power restored) and left
//	before.overlays.json,   the bits that do not read back as stored:
//	after.overlays.json     unstable and flipped bits (format: overlays.go;
//	                        flashemu image info before.bin shows them)
//	before.oob, after.oob   NAND: the spare areas of every page, in order
//	trace.jsonl             every device operation of the replay in emu's
//	                        trace format (emu.TraceRecord, JSON Lines) with
//	                        the run and the cut (see traceEvent)
//	result.json             the ID, verdict, error and acked count
//
// <id> is the branch ID with ':' and '/' replaced by '_'.

// traceEvent is one line of trace.jsonl: emu's trace record (so emu.Replay
// and the other trace tools read it) with where the branch's cut lands.
type traceEvent struct {
	// Run is 0 for the workload, k for the recovery check after the k-th
	// cut (the last run is the final check).
	Run int `json:"run"`
	// Mut is the index among the run's mutating operations (the numbers in
	// IDs), -1 for reads.
	Mut int `json:"mut"`
	emu.TraceRecord
	// Cut says where this run's cut lands on this operation: "before" (it
	// did not happen), "after" (it completed, the caller never heard),
	// "inside" (torn: its partial result is in the images, not in the
	// trace). PastCut marks operations after the cut: the recording run
	// went on, the branch did not. Neither counts as applied, so replaying
	// the applied records on the device the workload started from gives the
	// branch's state (exactly for before/after cuts).
	Cut     string `json:"cut,omitempty"`
	PastCut bool   `json:"past_cut,omitempty"`
}

// traceHook records the operations of a replay (faults.ReplayOptions.Trace)
// with one emu.Tracer per device (the workload's, then each recovery's).
type traceHook struct {
	sched []faults.CutToken
	runs  []*bytes.Buffer
	tr    *emu.Tracer
	dev   *emu.Device
}

func newTraceHook(id string) *traceHook {
	bid, _ := faults.ParseBranchID(id) // the caller replays id: it parses
	return &traceHook{sched: bid.Cuts}
}

// Before implements emu.Hook: a new device starts a new run.
func (t *traceHook) Before(d *emu.Device, op *emu.Op) error {
	if d != t.dev || t.tr == nil {
		t.flush()
		t.dev = d
		buf := &bytes.Buffer{}
		t.runs = append(t.runs, buf)
		t.tr = emu.NewTracer(buf)
	}
	return t.tr.Before(d, op)
}

// After implements emu.Hook.
func (t *traceHook) After(d *emu.Device, op *emu.Op, err error) error {
	if t.tr == nil {
		return err
	}
	return t.tr.After(d, op, err)
}

// Done implements emu.Observer.
func (t *traceHook) Done(d *emu.Device, op *emu.Op, err error) {
	if t.tr != nil && d == t.dev {
		t.tr.Done(d, op, err)
	}
}

func (t *traceHook) flush() {
	if t.tr != nil {
		_ = t.tr.Flush()
	}
}

// events reads the runs back and places each run's cut on them.
func (t *traceHook) events() ([]traceEvent, error) {
	t.flush()
	var out []traceEvent
	for run, buf := range t.runs {
		c := cutPlacer{}
		if run < len(t.sched) {
			c.tok, c.cut = t.sched[run], true
		}
		for _, line := range bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n")) {
			if len(line) == 0 {
				continue
			}
			ev := traceEvent{Run: run}
			if err := json.Unmarshal(line, &ev.TraceRecord); err != nil {
				return nil, err
			}
			c.place(&ev)
			out = append(out, ev)
		}
	}
	return out, nil
}

// cutPlacer marks one run's events against its cut token (none for the
// final check), with faults.CutToken.Place: the one home of where a cut
// lands.
type cutPlacer struct {
	tok  faults.CutToken
	cut  bool
	mut  int
	t0   int64
	seen bool
	past bool
}

func (c *cutPlacer) place(ev *traceEvent) {
	ev.Mut = -1
	if ev.Op == emu.OpProgram.String() || ev.Op == emu.OpErase.String() || ev.Op == emu.OpProgramOOB.String() {
		ev.Mut = c.mut
		c.mut++
	}
	if !c.seen {
		c.seen, c.t0 = true, ev.StartNs
	}
	switch {
	case c.past:
		ev.PastCut = true
	case !c.cut:
	default:
		switch c.tok.Place(ev.Mut, ev.StartNs-c.t0, ev.DurNs) {
		case faults.PastCut:
			ev.PastCut, c.past = true, true
		case faults.CutBeforeThis:
			ev.Cut, ev.PastCut, c.past = "before", true, true
		case faults.CutAfterThis:
			ev.Cut, c.past = "after", true
		case faults.CutInsideThis:
			ev.Cut, c.past = "inside", true
		}
	}
	if ev.PastCut || ev.Cut == "inside" {
		ev.Applied = false
	}
}

// dumpName makes a directory name of an ID.
func dumpName(id string) string {
	return strings.NewReplacer(":", "_", "/", "_").Replace(id)
}

// dumpBranch writes a replayed branch's files; it returns the directory.
func dumpBranch(dir string, rep *faults.ReplayResult, tr *traceHook, acked int) (string, error) {
	out := filepath.Join(dir, dumpName(rep.ID))
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	for _, s := range []struct {
		name string
		snap *emu.Snapshot
	}{{"before", rep.Before}, {"after", rep.After}} {
		if s.snap == nil {
			continue
		}
		d := emu.FromSnapshot(s.snap)
		img := make([]byte, d.Size())
		if err := d.Peek(0, img); err != nil {
			return "", err
		}
		if err := atomicfile.WriteData(nil, filepath.Join(out, s.name+".bin"), img); err != nil {
			return "", err
		}
		if err := writeOverlays(filepath.Join(out, s.name+".bin"), d); err != nil {
			return "", fmt.Errorf("%s overlays: %v", s.name, err)
		}
		if d.Kind() == emu.NAND && d.OOBSize() > 0 {
			oob := make([]byte, d.Pages()*d.OOBSize())
			for p := 0; p < d.Pages(); p++ {
				if err := d.PeekOOB(p, oob[p*d.OOBSize():(p+1)*d.OOBSize()]); err != nil {
					return "", err
				}
			}
			if err := atomicfile.WriteData(nil, filepath.Join(out, s.name+".oob"), oob); err != nil {
				return "", err
			}
		}
	}
	if tr != nil {
		evs, err := tr.events()
		if err != nil {
			return "", fmt.Errorf("trace: %v", err)
		}
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for _, ev := range evs {
			if err := enc.Encode(ev); err != nil {
				return "", err
			}
		}
		if err := atomicfile.WriteData(nil, filepath.Join(out, "trace.jsonl"), buf.Bytes()); err != nil {
			return "", err
		}
	}
	res := map[string]any{"id": rep.ID, "ok": rep.Err == nil, "acked": acked}
	if rep.Err != nil {
		res["error"] = rep.Err.Error()
		res["failed_depth"] = rep.FailedDepth
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return "", err
	}
	if err := atomicfile.WriteData(nil, filepath.Join(out, "result.json"), append(b, '\n')); err != nil {
		return "", fmt.Errorf("result.json: %v", err)
	}
	return out, nil
}
