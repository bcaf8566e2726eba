package emu

// OpKind names a device operation.
type OpKind uint8

// Operation kinds seen by hooks and traces.
const (
	OpRead OpKind = iota + 1
	OpProgram
	OpErase
	OpReadOOB    // NAND spare-area read (ReadOOB)
	OpProgramOOB // NAND spare-area program (WriteOOB)
)

var opNames = [...]string{OpRead: "read", OpProgram: "program", OpErase: "erase", OpReadOOB: "read_oob", OpProgramOOB: "program_oob"}

// String returns "read", "program", "erase", "read_oob" or "program_oob".
func (k OpKind) String() string {
	if int(k) < len(opNames) && opNames[k] != "" {
		return opNames[k]
	}
	return "op?"
}

// Mutates reports whether the operation can change the array.
func (k OpKind) Mutates() bool { return k == OpProgram || k == OpErase || k == OpProgramOOB }

// Op describes one device operation. The device reuses one Op value: a hook
// must copy what it wants to keep.
//
// A NAND page command (ReadPage, ProgramPage) is one OpRead or OpProgram with
// Page set and OOBLen spare bytes moved together with the Len data bytes, as
// one command (see Device.PageCost); ProgramPage also sets OOB.
type Op struct {
	Kind OpKind
	Off  int64  // device offset (NAND page and OOB ops: page index * page size)
	Len  int64  // data bytes (program/read; OOB ops: spare bytes) or erase length
	Page int    // NAND page for page and OOB ops, -1 otherwise
	Data []byte // data to program (program ops); do not modify or retain
	// OOB is the spare-area data a page program writes with Data (from the
	// start of the spare area); OOBLen the spare bytes a page command moves.
	OOB    []byte
	OOBLen int64
	// Seq is the index of the operation on this device, from 0. Every
	// operation that passes argument validation (and so reaches the hook)
	// gets the next Seq; rejected calls (bad range, alignment, protection,
	// power off, bad block) get none.
	Seq uint64
	// Start is the simulated time the operation starts; Dur its full duration.
	// A hook that interrupts the operation in Before sets Dur to the time
	// that passed before the interruption.
	Start, Dur int64
}

// Hook is the operation seam. Before runs after the operation's arguments are
// validated and before it touches the array; returning a non-nil error stops
// the operation there: the array keeps whatever the hook did to it (through
// Peek, Poke, SetUnstable, XorFlips, AddWear, ApplyProgram, ApplyProgramPage,
// ApplyErase, ...), the clock advances by op.Dur, and the caller gets the
// error; After does not run. After runs when the
// operation has completed (or failed) and may replace its result, e.g. with a
// power cut that happens after the array changed but before the caller hears.
//
// Hooks run on the goroutine of the operation. They must not call the
// device's public operations (Read, Program, Erase, …); the raw accessors are
// theirs to use.
type Hook interface {
	Before(d *Device, op *Op) error
	After(d *Device, op *Op, err error) error
}

// SetHook installs h (nil removes it). One hook at a time: compose them with
// Hooks.
func (d *Device) SetHook(h Hook) {
	d.hook = h
	d.obs, _ = h.(Observer)
}

// Observer is an optional interface of a Hook: Done runs once at the end of
// every operation that reached the hook, whether it completed or a Before
// stopped it, with the final result and duration (op.Dur) after the clock
// advanced. Tracers use it; it must not change the device.
type Observer interface {
	Done(d *Device, op *Op, err error)
}

// Annotator is implemented by hooks that record operations (Tracer). A fault
// hook finds the annotators of a chain with Annotators and calls Annotate to
// attach a note (what it did, e.g. the power cut) to the operation in
// progress, so the record says why the operation was not applied.
type Annotator interface {
	Annotate(note string)
}

// Annotators returns the Annotators in h: h itself, or the members of a Hooks
// chain (nested chains included), in order. nil for none.
func Annotators(h Hook) []Annotator {
	var out []Annotator
	var walk func(h Hook)
	walk = func(h Hook) {
		switch v := h.(type) {
		case Hooks:
			for _, m := range v {
				walk(m)
			}
		case Annotator:
			out = append(out, v)
		}
	}
	walk(h)
	return out
}

// Hook returns the installed hook or nil.
func (d *Device) Hook() Hook { return d.hook }

// Hooks runs several hooks in order: the first Before error wins (later hooks
// do not see the op's Before, and no After runs); every After sees the result
// of the previous one; Done runs for every Observer of the chain, also when a
// Before stopped the op. So an observer placed before a fault hook (a Tracer
// ahead of faults' injector, as faults.Attach arranges) sees every operation:
// its Before and After as issued, and in Done the final result, the cut one
// included, with the notes the fault hook left through Annotator.
type Hooks []Hook

// Before implements Hook.
func (hs Hooks) Before(d *Device, op *Op) error {
	for _, h := range hs {
		if err := h.Before(d, op); err != nil {
			return err
		}
	}
	return nil
}

// After implements Hook.
func (hs Hooks) After(d *Device, op *Op, err error) error {
	for _, h := range hs {
		err = h.After(d, op, err)
	}
	return err
}

// Done implements Observer: it calls Done of every hook that is an Observer.
func (hs Hooks) Done(d *Device, op *Op, err error) {
	for _, h := range hs {
		if o, ok := h.(Observer); ok {
			o.Done(d, op, err)
		}
	}
}
