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

// ErrTraceMismatch: a well-formed trace line does not fit the device it is
// replayed onto (a NAND page command on NOR, a range or page past the end,
// an erase that is not whole erase units): the trace was recorded on a
// device of another geometry.
var ErrTraceMismatch = errno.New("emu: trace does not match the device", errno.EINVAL)

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
// Errors name the trace line and wrap ErrCorruptTrace or, for a trace of
// another geometry (a NAND trace onto NOR), ErrTraceMismatch. A line longer
// than MaxTraceLine(d) is refused before it is read whole.
func Replay(d *Device, r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<16)
	limit := MaxTraceLine(d)
	var buf []byte
	for line := 1; ; line++ {
		b, err := readLine(br, buf[:0], limit)
		buf = b
		if errors.Is(err, errLineTooLong) {
			return fmt.Errorf("%w: line %d: longer than %d bytes (MaxTraceLine for this device)", ErrCorruptTrace, line, limit)
		}
		if len(bytes.TrimSpace(b)) > 0 {
			if e := ReplayLine(d, b); e != nil {
				var le *lineError
				if errors.As(e, &le) {
					return fmt.Errorf("%w: line %d: %w", le.kind, line, le.err)
				}
				return fmt.Errorf("line %d: %w", line, e)
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

// MaxTraceLine is the longest trace line Replay accepts for d: a record
// whose data covers the whole device (with OOB) in hex, plus room for the
// other fields.
func MaxTraceLine(d *Device) int64 {
	return 2*int64(d.g.nchunks)*int64(d.g.store) + 4096
}

var errLineTooLong = errors.New("line too long")

// readLine appends the next line (with its '\n') to buf, refusing lines
// longer than limit.
func readLine(br *bufio.Reader, buf []byte, limit int64) ([]byte, error) {
	for {
		part, err := br.ReadSlice('\n')
		if int64(len(buf))+int64(len(part)) > limit {
			return buf, errLineTooLong
		}
		buf = append(buf, part...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return buf, err
		}
	}
}

// ReplayLine re-applies one trace line (one JSON TraceRecord) to d as
// Replay does. Its errors wrap ErrCorruptTrace (malformed line) or
// ErrTraceMismatch (a line that does not fit d's geometry) and carry no
// line number: a caller reading the trace itself adds its own.
func ReplayLine(d *Device, b []byte) error {
	corrupt := func(format string, a ...any) error {
		return &lineError{ErrCorruptTrace, fmt.Errorf(format, a...)}
	}
	mismatch := func(format string, a ...any) error {
		return &lineError{ErrTraceMismatch, fmt.Errorf(format, a...)}
	}
	rec := TraceRecord{Page: -1} // a record without "page" is not a page command
	if err := json.Unmarshal(b, &rec); err != nil {
		return corrupt("%w", err)
	}
	if !rec.Applied {
		return nil
	}
	g := d.g
	pageCmd := rec.Op == "program_oob" || rec.Op == "read_oob" || (rec.Op == "program" && rec.Page >= 0)
	if pageCmd && g.kind != NAND {
		return mismatch("%s of NAND page %d on a %s device (the trace was recorded on NAND)", rec.Op, rec.Page, g.kind)
	}
	if rec.Off < 0 || rec.Len < 0 {
		return corrupt("%s at %d length %d", rec.Op, rec.Off, rec.Len)
	}
	switch rec.Op {
	case "read", "read_oob":
		return nil
	case "erase":
		if !g.inRange(rec.Off, rec.Len) {
			return mismatch("erase %d+%d outside the %d-byte device", rec.Off, rec.Len, g.size)
		}
		if rec.Len == 0 {
			return nil
		}
		u0, u1 := g.unitAt(rec.Off), g.unitAt(rec.Off+rec.Len-1)
		if g.unitStart[u0] != rec.Off || g.unitStart[u1+1] != rec.Off+rec.Len {
			return mismatch("erase %d+%d is not whole erase units of this device", rec.Off, rec.Len)
		}
		for u := u0; u <= u1; u++ {
			if err := d.ApplyErase(u); err != nil {
				return corrupt("%w", err)
			}
		}
		return nil
	case "program", "program_oob":
		data, err := hex.DecodeString(rec.Data)
		if err != nil {
			return corrupt("%s data: %v", rec.Op, err)
		}
		oob, err := hex.DecodeString(rec.OOB)
		if err != nil {
			return corrupt("%s spare data: %v", rec.Op, err)
		}
		if int64(len(data)) != rec.Len {
			return corrupt("%s record carries %d data bytes for length %d (traced without data?)", rec.Op, len(data), rec.Len)
		}
		if pageCmd {
			if rec.Page < 0 || rec.Page >= g.nchunks {
				return mismatch("%s of page %d on a device of %d pages", rec.Op, rec.Page, g.nchunks)
			}
			if rec.Op == "program_oob" {
				oob, data = data, nil
			}
			if len(data) > int(g.chunk) || len(oob) > d.OOBSize() {
				return mismatch("%s of %d+%d bytes on a %d+%d-byte page", rec.Op, len(data), len(oob), g.chunk, d.OOBSize())
			}
			if err := d.ApplyProgramPage(rec.Page, data, oob); err != nil {
				return corrupt("%w", err)
			}
			return nil
		}
		if !g.inRange(rec.Off, rec.Len) {
			return mismatch("program %d+%d outside the %d-byte device", rec.Off, rec.Len, g.size)
		}
		if err := d.ApplyProgram(rec.Off, data); err != nil {
			return corrupt("%w", err)
		}
		return nil
	}
	return corrupt("unknown operation %q", rec.Op)
}

// lineError is a replay error of one trace line: kind is ErrCorruptTrace or
// ErrTraceMismatch, err the detail. Replay puts the line number between them.
type lineError struct {
	kind *errno.Error
	err  error
}

func (e *lineError) Error() string { return e.kind.Error() + ": " + e.err.Error() }

func (e *lineError) Unwrap() []error { return []error{e.kind, e.err} }

// ReplayOptions select the records of a trace that ReplayTrace applies. A
// record may carry a "test" tag (the name of the test that made it, as
// `flashemu test --trace` writes them); Test chooses among them.
type ReplayOptions struct {
	// Before, when HasBefore, stops the replay at the first record whose
	// seq is ≥ Before: the device is left as it was just before that
	// operation.
	Before    uint64
	HasBefore bool
	// Test keeps only the records tagged "test": Test. A trace holding
	// several tests' records needs it.
	Test string
}

// ErrNoTestRecords is returned when ReplayOptions.Test names a test the
// trace has no records of.
var ErrNoTestRecords = errno.New("emu: no records of that test in the trace", errno.ENOENT)

// ErrTraceChoice is returned when a trace holds the records of several
// tests and no ReplayOptions.Test chooses one.
var ErrTraceChoice = errno.New("emu: the trace holds several tests' records (choose one)", errno.EINVAL)

// ReplayTrace re-applies the applied programs and erases of the trace in r
// that o selects to d (Replay: raw accessors, no clock, no hooks) and
// returns how many records it applied.
func ReplayTrace(d *Device, r io.Reader, o ReplayOptions) (int, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	applied, matched := 0, false
	firstTest, haveTest := "", false
	for line := 1; ; line++ {
		b, rerr := br.ReadBytes('\n')
		if t := bytes.TrimSpace(b); len(t) > 0 {
			var head struct {
				Seq     uint64  `json:"seq"`
				Test    *string `json:"test"`
				Op      string  `json:"op"`
				Applied bool    `json:"applied"`
			}
			if err := json.Unmarshal(t, &head); err != nil {
				return applied, fmt.Errorf("%w: line %d: %v", ErrCorruptTrace, line, err)
			}
			test := ""
			if head.Test != nil {
				test = *head.Test
			}
			skip := false
			switch {
			case o.Test != "":
				skip = test != o.Test
			case !haveTest:
				firstTest, haveTest = test, true
			case test != firstTest:
				return applied, fmt.Errorf("%w: %q and %q (line %d)", ErrTraceChoice, firstTest, test, line)
			}
			if !skip {
				matched = true
				if o.HasBefore && head.Seq >= o.Before {
					return applied, nil
				}
				if err := Replay(d, bytes.NewReader(t)); err != nil {
					return applied, fmt.Errorf("%w (trace line %d)", err, line)
				}
				if head.Applied && head.Op != "read" && head.Op != "read_oob" {
					applied++
				}
			}
		}
		if rerr == io.EOF {
			if o.Test != "" && !matched {
				return 0, fmt.Errorf("%w: %q", ErrNoTestRecords, o.Test)
			}
			return applied, nil
		}
		if rerr != nil {
			return applied, fmt.Errorf("%w: line %d: %v", ErrCorruptTrace, line, rerr)
		}
	}
}
