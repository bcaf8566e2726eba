package lua

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"sync"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/internal/atomicfile"
	glua "github.com/yuin/gopher-lua"
)

// Operation traces: dev:trace(path) records every operation of a device as
// JSON Lines (emu.TraceRecord: seq, op, off, len, page, start_ns, dur_ns,
// errno, error, applied, data, fault) through an emu.Tracer chained FIRST
// in the device's hooks, so it sees the operations a fault hook stops
// (power cuts: recorded with applied=false) and the device's own results.
// Operations the faults injector failed or cut carry the injector's events
// in "fault". The file is written atomically: it appears (or replaces the
// old one) when the trace stops — dev:trace(), dev:trace(false), or the end
// of the script.
//
// flash.replay (and flashemu image replay) re-apply a trace's applied
// programs and erases to a device (emu.Replay) to reproduce its array.

// deviceTrace is a running trace of one device.
type deviceTrace struct {
	tr *emu.Tracer
	d  *Device
	// file is the trace file for dev:trace(path); nil for a trace into an
	// Options.Trace sink (the sink's owner commits it).
	file *atomicfile.File
	// sink is the tagging writer into an Options.Trace sink.
	sink *tagWriter
	// events is how many injector events were seen (annotations); noted
	// is set when a fault hook annotated the operation in progress itself.
	events int
	noted  bool
}

// Annotate implements emu.Annotator, so fault hooks that annotate the
// tracers of a chain (emu.Annotators) reach this one.
func (t *deviceTrace) Annotate(note string) {
	t.noted = true
	t.tr.Annotate(note)
}

// Before implements emu.Hook.
func (t *deviceTrace) Before(d *emu.Device, op *emu.Op) error { return t.tr.Before(d, op) }

// After implements emu.Hook.
func (t *deviceTrace) After(d *emu.Device, op *emu.Op, err error) error {
	return t.tr.After(d, op, err)
}

// Done implements emu.Observer: the record, annotated with what the faults
// injector did to a failed operation (unless it annotated it itself).
func (t *deviceTrace) Done(d *emu.Device, op *emu.Op, err error) {
	if err != nil && t.d.Inj != nil && !t.noted {
		evs := t.d.Inj.Events()
		for _, e := range evs[min(t.events, len(evs)):] {
			if e.Seq == op.Seq {
				t.tr.Annotate(e.String())
			}
		}
		t.events = len(evs)
	}
	t.noted = false
	t.tr.Done(d, op, err)
}

// finish flushes the trace and, for a trace file, commits it.
func (t *deviceTrace) finish() error {
	err := t.tr.Flush()
	if t.sink != nil {
		if e := t.sink.flush(); err == nil {
			err = e
		}
	}
	if t.file != nil {
		if err != nil {
			t.file.Abort()
			return err
		}
		return t.file.Commit()
	}
	return err
}

// TraceSink collects the trace of the first device of each state made
// with it in Options.Trace (flashemu run/test --trace FILE). Records of a
// state with Options.TraceTag carry it as "test". Safe for concurrent use.
type TraceSink struct {
	mu sync.Mutex
	w  io.Writer
}

// NewTraceSink makes a sink writing to w.
func NewTraceSink(w io.Writer) *TraceSink { return &TraceSink{w: w} }

// write writes whole lines.
func (s *TraceSink) write(p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.w.Write(p)
	return err
}

// tagWriter buffers a tracer's output and passes whole lines to a sink,
// inserting "test":TAG first in each JSON object when tagged.
type tagWriter struct {
	sink *TraceSink
	tag  []byte // `"test":"name",` or nil
	buf  bytes.Buffer
	err  error
}

func newTagWriter(sink *TraceSink, tag string) *tagWriter {
	w := &tagWriter{sink: sink}
	if tag != "" {
		q, _ := json.Marshal(tag)
		w.tag = append(append([]byte(`"test":`), q...), ',')
	}
	return w
}

func (w *tagWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	if w.buf.Len() >= 1<<16 {
		if err := w.flushLines(); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// flushLines passes the complete lines buffered so far.
func (w *tagWriter) flushLines() error {
	b := w.buf.Bytes()
	end := bytes.LastIndexByte(b, '\n')
	if end < 0 {
		return nil
	}
	lines := b[:end+1]
	var out []byte
	if w.tag == nil {
		out = lines
	} else {
		out = make([]byte, 0, len(lines)+len(w.tag)*bytes.Count(lines, []byte("\n")))
		for len(lines) > 0 {
			i := bytes.IndexByte(lines, '\n')
			l := lines[:i+1]
			lines = lines[i+1:]
			if len(l) > 1 && l[0] == '{' {
				out = append(out, '{')
				out = append(out, w.tag...)
				out = append(out, l[1:]...)
			} else {
				out = append(out, l...)
			}
		}
	}
	if err := w.sink.write(out); err != nil && w.err == nil {
		w.err = err
	}
	w.buf.Next(end + 1)
	return w.err
}

func (w *tagWriter) flush() error {
	if err := w.flushLines(); err != nil {
		return err
	}
	if w.buf.Len() > 0 { // a last line without newline (never from emu.Tracer)
		if err := w.sink.write(w.buf.Bytes()); err != nil && w.err == nil {
			w.err = err
		}
		w.buf.Reset()
	}
	return w.err
}

// ----- hook chain -----

// withoutHook returns h with x removed (recursively through emu.Hooks).
func withoutHook(h, x emu.Hook) emu.Hook {
	if h == nil || h == x {
		return nil
	}
	hs, ok := h.(emu.Hooks)
	if !ok {
		return h
	}
	var out emu.Hooks
	for _, e := range hs {
		if e = withoutHook(e, x); e != nil {
			out = append(out, e)
		}
	}
	switch len(out) {
	case 0:
		return nil
	case 1:
		return out[0]
	}
	return out
}

// rehook installs the device's hooks with the trace (if any) first:
// trace, then whatever else is installed (the faults injector).
func (d *Device) rehook() {
	h := d.Dev.Hook()
	if d.trace != nil {
		h = withoutHook(h, d.trace)
		if h == nil {
			d.Dev.SetHook(d.trace)
		} else {
			d.Dev.SetHook(emu.Hooks{d.trace, h})
		}
		return
	}
	d.Dev.SetHook(h)
}

// startTrace starts tracing d into a file or a sink.
func (s *State) startTrace(d *Device, file *atomicfile.File, sink *TraceSink, tag string, noData bool) {
	t := &deviceTrace{d: d, file: file}
	if file != nil {
		t.tr = emu.NewTracer(file)
	} else {
		t.sink = newTagWriter(sink, tag)
		t.tr = emu.NewTracer(t.sink)
	}
	t.tr.NoData = noData
	if d.Inj != nil {
		t.events = len(d.Inj.Events())
	}
	d.trace = t
	d.rehook()
	s.traces = append(s.traces, t)
}

// stopTrace ends d's trace (if any) and returns its write error.
func (s *State) stopTrace(d *Device) error {
	t := d.trace
	if t == nil {
		return nil
	}
	d.Dev.SetHook(withoutHook(d.Dev.Hook(), t))
	d.trace = nil
	for i, x := range s.traces {
		if x == t {
			s.traces = append(s.traces[:i], s.traces[i+1:]...)
			break
		}
	}
	return t.finish()
}

// finishTraces ends every running trace (State.Close); the first error is
// returned.
func (s *State) finishTraces() error {
	var first error
	for len(s.traces) > 0 {
		t := s.traces[0]
		if err := s.stopTrace(t.d); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// autoTrace starts the Options.Trace trace on the first device of the state.
func (s *State) autoTrace(d *Device) {
	if s.opts.Trace == nil || s.autoTraced {
		return
	}
	s.autoTraced = true
	s.startTrace(d, nil, s.opts.Trace, s.opts.TraceTag, false)
}

// devTrace is dev:trace(path [, {data=true}]) / dev:trace() / dev:trace(false).
func devTrace(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "trace")
	if !a.present(2) || L.Get(2) == glua.LFalse {
		if err := s.stopTrace(d); err != nil {
			return s.pushFailure(L, fmt.Errorf("%w: trace: %v", emu.ErrInvalid, err))
		}
		L.Push(glua.LTrue)
		return 1
	}
	path := s.checkPath(a, 2)
	f := a.opts(3)
	noData := !f.boolean("data", true)
	f.done()
	if err := s.stopTrace(d); err != nil {
		return s.pushFailure(L, fmt.Errorf("%w: previous trace: %v", emu.ErrInvalid, err))
	}
	file, err := s.createFile(path)
	if err != nil {
		return s.pushFailure(L, err)
	}
	s.startTrace(d, file, nil, "", noData)
	L.Push(glua.LTrue)
	return 1
}

// ----- replay -----

// flashReplay is flash.replay(dev, path [, {before=SEQ, test=NAME}]).
func flashReplay(s *State, L *glua.LState) int {
	a := argsOf(L, "replay")
	d := checkUD[Device](a, 1, deviceType)
	path := s.checkPath(a, 2)
	f := a.opts(3)
	var o emu.ReplayOptions
	if f.has("before") {
		b := f.int("before", 0)
		if b < 0 {
			f.fail("before", strconv.FormatInt(b, 10)+" is negative")
		}
		o.Before, o.HasBefore = uint64(b), true
	}
	o.Test = f.str("test", "")
	f.done()
	file, err := s.openFile(path)
	if err != nil {
		return s.pushFailure(L, err)
	}
	defer file.Close()
	n, err := emu.ReplayTrace(d.Dev, file, o)
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LNumber(n))
	return 1
}

// maxTraceRead bounds the trace file flash.read_trace loads into Lua.
const maxTraceRead = 256 << 20

// flashReadTrace is flash.read_trace(path [, {test=NAME}]): the records of
// a trace as a list of tables (seq, op, off, len, page, start_ns, dur_ns,
// errno, error, applied, fault, test, and data: the programmed bytes).
func flashReadTrace(s *State, L *glua.LState) int {
	a := argsOf(L, "read_trace")
	path := s.checkPath(a, 1)
	f := a.opts(2)
	test, filter := f.str("test", ""), f.has("test")
	f.done()
	file, err := s.openFile(path)
	if err != nil {
		return s.pushFailure(L, err)
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return s.pushFailure(L, fileError(err))
	}
	if st.IsDir() {
		return s.pushFailure(L, fmt.Errorf("%w: %s is a directory", errFileIO, path))
	}
	if st.Size() > maxTraceRead {
		return s.pushFailure(L, fmt.Errorf("%w: %s is %d bytes (flash.read_trace reads up to %d; use flash.replay)", emu.ErrCorruptTrace, path, st.Size(), maxTraceRead))
	}
	b, err := io.ReadAll(io.LimitReader(file, maxTraceRead+1))
	if err != nil {
		return s.pushFailure(L, fileError(err))
	}
	out := L.NewTable()
	for line, rest := 1, b; len(rest) > 0; line++ {
		l := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			l, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		if len(bytes.TrimSpace(l)) == 0 {
			continue
		}
		var r struct {
			emu.TraceRecord
			Test string `json:"test"`
		}
		r.Page = -1
		if err := json.Unmarshal(l, &r); err != nil {
			return s.pushFailure(L, fmt.Errorf("%w: line %d: %v", emu.ErrCorruptTrace, line, err))
		}
		if filter && r.Test != test {
			continue
		}
		data, err := hex.DecodeString(r.Data)
		if err != nil {
			return s.pushFailure(L, fmt.Errorf("%w: line %d: data: %v", emu.ErrCorruptTrace, line, err))
		}
		t := L.CreateTable(0, 14)
		t.RawSetString("seq", glua.LNumber(r.Seq))
		t.RawSetString("op", glua.LString(r.Op))
		t.RawSetString("off", glua.LNumber(r.Off))
		t.RawSetString("len", glua.LNumber(r.Len))
		t.RawSetString("page", glua.LNumber(r.Page))
		t.RawSetString("start_ns", glua.LNumber(r.StartNs))
		t.RawSetString("dur_ns", glua.LNumber(r.DurNs))
		t.RawSetString("errno", glua.LNumber(r.Errno))
		t.RawSetString("applied", glua.LBool(r.Applied))
		if r.Error != "" {
			t.RawSetString("error", glua.LString(r.Error))
		}
		if r.Fault != "" {
			t.RawSetString("fault", glua.LString(r.Fault))
		}
		if r.Test != "" {
			t.RawSetString("test", glua.LString(r.Test))
		}
		if r.Data != "" {
			t.RawSetString("data", glua.LString(data))
		}
		out.Append(t)
	}
	L.Push(out)
	return 1
}
