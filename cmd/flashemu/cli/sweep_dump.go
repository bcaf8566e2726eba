package cli

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/lua"
)

// --dump DIR: for a replayed branch, DIR/<id>/ gets
//
//	before.bin, after.bin   the flash content the final check started from
//	                        (after the last cut, power restored) and left
//	before.oob, after.oob   NAND: the spare areas of every page, in order
//	trace.jsonl             every device operation of the replay, one JSON
//	                        object per line (see traceEvent)
//	result.json             the ID, verdict, error and acked count
//
// <id> is the branch ID with ':' and '/' replaced by '_'.

// traceEvent is one line of trace.jsonl.
type traceEvent struct {
	// Run is 0 for the workload, k for the recovery check after the k-th
	// cut (the last run is the final check).
	Run int `json:"run"`
	// Seq is the operation's index on its device; Mut the index among the
	// run's mutating operations (the numbers in IDs), -1 for reads.
	Seq  uint64 `json:"seq"`
	Mut  int    `json:"mut"`
	Kind string `json:"kind"`
	Off  int64  `json:"off"`
	Len  int64  `json:"len"`
	// Page is the NAND page of page and spare-area commands.
	Page *int `json:"page,omitempty"`
	// StartNs and DurNs are simulated times.
	StartNs int64 `json:"start_ns"`
	DurNs   int64 `json:"dur_ns"`
	// Result is "ok" or the error; Errno its negative Zephyr errno.
	Result string `json:"result"`
	Errno  int    `json:"errno,omitempty"`
	// Cut says where this run's cut lands on this operation: "before" (it
	// did not happen), "after" (it completed, the caller never heard),
	// "inside" (torn). PastCut marks operations after the cut: the
	// recording run went on, the branch did not.
	Cut     string `json:"cut,omitempty"`
	PastCut bool   `json:"past_cut,omitempty"`
}

// traceHook records the operations of a replay (faults.ReplayOptions.Trace)
// and places each run's cut on them.
type traceHook struct {
	sched  []string
	events []traceEvent
	dev    *emu.Device
	run    int
	mut    int
	t0     int64
	past   bool
}

func newTraceHook(id string) *traceHook {
	_, sched, _, _ := faults.ParseID(id)
	return &traceHook{sched: sched, run: -1}
}

// Before implements emu.Hook.
func (t *traceHook) Before(*emu.Device, *emu.Op) error { return nil }

// After implements emu.Hook.
func (t *traceHook) After(d *emu.Device, op *emu.Op, err error) error {
	if d != t.dev {
		t.dev, t.run, t.mut, t.past = d, t.run+1, 0, false
		t.t0 = op.Start
	}
	ev := traceEvent{Run: t.run, Seq: op.Seq, Mut: -1, Kind: op.Kind.String(), Off: op.Off, Len: op.Len,
		StartNs: op.Start, DurNs: op.Dur, Result: "ok"}
	if op.Page >= 0 && d.Kind() == emu.NAND {
		page := op.Page
		ev.Page = &page
	}
	if err != nil {
		ev.Result, ev.Errno = err.Error(), emu.ErrnoOf(err)
	}
	if op.Kind.Mutates() {
		ev.Mut = t.mut
		t.mut++
	}
	t.placeCut(&ev)
	t.events = append(t.events, ev)
	return err
}

// placeCut marks the event against this run's cut token.
func (t *traceHook) placeCut(ev *traceEvent) {
	if t.past {
		ev.PastCut = true
		return
	}
	if t.run >= len(t.sched) {
		return // the final check: no cut
	}
	tok := t.sched[t.run]
	if rest, ok := strings.CutPrefix(tok, "t"); ok {
		at, _ := strconv.ParseInt(rest, 10, 64)
		T := t.t0 + at
		switch {
		case ev.StartNs >= T:
			ev.PastCut, t.past = true, true
		case ev.Mut >= 0 && T < ev.StartNs+ev.DurNs:
			ev.Cut, t.past = "inside", true
		}
		return
	}
	op := lua.FirstOpOf(tok, nil)
	if ev.Mut != op {
		return
	}
	switch {
	case strings.HasSuffix(tok, "b"):
		ev.Cut, ev.PastCut = "before", true
	case strings.HasSuffix(tok, "a"):
		ev.Cut = "after"
	default:
		ev.Cut = "inside"
	}
	t.past = true
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
		if err := lua.WriteFileAtomic(filepath.Join(out, s.name+".bin"), img); err != nil {
			return "", err
		}
		if d.Kind() == emu.NAND && d.OOBSize() > 0 {
			oob := make([]byte, d.Pages()*d.OOBSize())
			for p := 0; p < d.Pages(); p++ {
				if err := d.PeekOOB(p, oob[p*d.OOBSize():(p+1)*d.OOBSize()]); err != nil {
					return "", err
				}
			}
			if err := lua.WriteFileAtomic(filepath.Join(out, s.name+".oob"), oob); err != nil {
				return "", err
			}
		}
	}
	if tr != nil {
		var buf bytes.Buffer
		bw := bufio.NewWriter(&buf)
		enc := json.NewEncoder(bw)
		for _, ev := range tr.events {
			if err := enc.Encode(ev); err != nil {
				return "", err
			}
		}
		if err := bw.Flush(); err != nil {
			return "", err
		}
		if err := lua.WriteFileAtomic(filepath.Join(out, "trace.jsonl"), buf.Bytes()); err != nil {
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
	if err := lua.WriteFileAtomic(filepath.Join(out, "result.json"), append(b, '\n')); err != nil {
		return "", fmt.Errorf("result.json: %v", err)
	}
	return out, nil
}
