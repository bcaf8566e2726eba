package emu

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/flashemu/flashemu/errno"
)

// ErrCorruptTrace: a trace line is malformed or names an impossible operation.
var ErrCorruptTrace = errno.New("emu: corrupt trace", errno.EINVAL)

// TraceRecord is one line of an operation trace (JSON Lines).
type TraceRecord struct {
	Seq     uint64 `json:"seq"`
	Op      string `json:"op"` // OpKind.String()
	Off     int64  `json:"off"`
	Len     int64  `json:"len"`
	Page    int    `json:"page"`              // NAND page of page/OOB ops, -1 otherwise
	OOBLen  int64  `json:"oob_len,omitempty"` // spare bytes of a page command
	StartNs int64  `json:"start_ns"`
	DurNs   int64  `json:"dur_ns"`
	Errno   int    `json:"errno"`           // negative Zephyr errno, 0 on success
	Error   string `json:"error,omitempty"` // the error message
	// Applied: the operation ran to completion in the array (the trace's
	// view: the device's own result before later hooks changed it). Replay
	// re-applies exactly these mutating records.
	Applied bool   `json:"applied"`
	Data    string `json:"data,omitempty"` // program data, lower-case hex
	OOB     string `json:"oob,omitempty"`  // page-program spare data, hex
	Fault   string `json:"fault,omitempty"`
}

// Tracer is a Hook that writes every operation of a device to w as JSON
// Lines (one TraceRecord per line): kind, offset, length, page, simulated
// start and duration, result, program data (hex) and an optional fault
// annotation that another hook attaches with Annotate.
//
// Put the Tracer first in a Hooks chain: it then sees every operation
// (also those a later hook stops in Before, recorded as not applied) and the
// device's own result in After. Raw changes a fault hook makes (partial
// programs) are not recorded; the fault hook annotates them (Tracer is an
// Annotator; faults' injector finds it with Annotators).
type Tracer struct {
	w       *bufio.Writer
	NoData  bool // leave program data out (smaller traces; Replay then cannot apply programs)
	rec     TraceRecord
	applied bool
	notes   []string
	err     error
	buf     bytes.Buffer
}

// NewTracer returns a Tracer writing to w. Call Flush when done.
func NewTracer(w io.Writer) *Tracer { return &Tracer{w: bufio.NewWriter(w)} }

// Annotate attaches a note (e.g. "power cut at 37%") to the record of the
// operation in progress (or the next one).
func (tr *Tracer) Annotate(s string) { tr.notes = append(tr.notes, s) }

// Before implements Hook; it never stops an operation.
func (tr *Tracer) Before(d *Device, op *Op) error {
	tr.applied = false
	return nil
}

// After implements Hook: it notes whether the operation completed and
// passes the result on unchanged.
func (tr *Tracer) After(d *Device, op *Op, err error) error {
	tr.applied = err == nil
	return err
}

// Done implements Observer: it writes the operation's record.
func (tr *Tracer) Done(d *Device, op *Op, err error) {
	r := &tr.rec
	*r = TraceRecord{Seq: op.Seq, Op: op.Kind.String(), Off: op.Off, Len: op.Len, Page: op.Page,
		OOBLen: op.OOBLen, StartNs: op.Start, DurNs: op.Dur, Errno: errno.Of(err), Applied: tr.applied}
	if err != nil {
		r.Error = err.Error()
	}
	if !tr.NoData && op.Kind.Mutates() {
		r.Data = hex.EncodeToString(op.Data)
		r.OOB = hex.EncodeToString(op.OOB)
	}
	if len(tr.notes) > 0 {
		r.Fault = strings.Join(tr.notes, "; ")
		tr.notes = tr.notes[:0]
	}
	tr.applied = false
	if tr.err != nil {
		return
	}
	tr.buf.Reset()
	enc := json.NewEncoder(&tr.buf)
	if err := enc.Encode(r); err != nil {
		tr.err = err
		return
	}
	if _, err := tr.w.Write(tr.buf.Bytes()); err != nil {
		tr.err = err
	}
}

// Flush writes buffered records out and returns the first write error.
func (tr *Tracer) Flush() error {
	if tr.err != nil {
		return tr.err
	}
	return tr.w.Flush()
}

// Err returns the first error writing the trace.
func (tr *Tracer) Err() error { return tr.err }

// Replay re-applies the applied program and erase records of a trace read
// from r to d with the raw accessors (ApplyProgram, ApplyProgramPage,
// ApplyErase): no rule checks, no clock, no hook. Replaying a recorded
// session onto a fresh device of the same geometry reproduces its array.
// Records without data (NoData) cannot be replayed and are an error.
func Replay(d *Device, r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<16)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			if e := replayLine(d, b); e != nil {
				return fmt.Errorf("%w: line %d: %w", ErrCorruptTrace, line, e)
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: line %d: %w", ErrCorruptTrace, line, err)
		}
	}
}

func replayLine(d *Device, b []byte) error {
	rec := TraceRecord{Page: -1} // a record without "page" is not a page command
	if err := json.Unmarshal(b, &rec); err != nil {
		return err
	}
	if !rec.Applied {
		return nil
	}
	switch rec.Op {
	case "read", "read_oob":
		return nil
	case "erase":
		if !d.g.inRange(rec.Off, rec.Len) {
			return fmt.Errorf("erase %d+%d outside the device", rec.Off, rec.Len)
		}
		if rec.Len == 0 {
			return nil
		}
		for u := d.g.unitAt(rec.Off); u < d.g.units() && d.g.unitStart[u] < rec.Off+rec.Len; u++ {
			if err := d.ApplyErase(u); err != nil {
				return err
			}
		}
		return nil
	case "program", "program_oob":
		data, err := hex.DecodeString(rec.Data)
		if err != nil {
			return err
		}
		oob, err := hex.DecodeString(rec.OOB)
		if err != nil {
			return err
		}
		if int64(len(data)) != rec.Len {
			return fmt.Errorf("%s record carries %d data bytes for length %d (traced without data?)", rec.Op, len(data), rec.Len)
		}
		switch {
		case rec.Op == "program_oob":
			return d.ApplyProgramPage(rec.Page, nil, data)
		case rec.Page >= 0:
			return d.ApplyProgramPage(rec.Page, data, oob)
		default:
			return d.ApplyProgram(rec.Off, data)
		}
	}
	return fmt.Errorf("unknown operation %q", rec.Op)
}
