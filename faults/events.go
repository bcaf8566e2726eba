package faults

import "fmt"

// What an injected fault did, as recorded in an Event.
const (
	EvCut         = "cut"          // power cut (the op was interrupted or, at fraction 1, completed unheard)
	EvTornProgram = "torn_program" // an interrupted program left a partial result
	EvTornErase   = "torn_erase"   // an interrupted erase left a partial result
	EvFail        = "fail"         // an injected operation failure
	EvFlip        = "flip"         // a targeted bit flip
	EvStuck       = "stuck"        // a bit made stuck (targeted or by wear)
	EvWorn        = "worn"         // a worn unit refused an erase or program
	EvBadBlock    = "bad_block"    // a worn NAND block was marked bad
	EvDisturb     = "disturb"      // a read-disturb flip
	EvRetention   = "retention"    // a retention-loss flip
)

// Event records one thing an injector did: what, where, and when in
// simulated time. Seq is the device operation it happened in (emu.Op.Seq;
// for faults applied when armed, the next operation's index).
type Event struct {
	Fault    int     `json:"fault"` // index in the plan
	What     string  `json:"what"`
	Op       string  `json:"op,omitempty"` // operation kind ("program", ...)
	Seq      uint64  `json:"seq"`
	AtNs     int64   `json:"at_ns"`
	Off      int64   `json:"off"`
	Len      int64   `json:"len,omitempty"`
	Unit     int     `json:"unit"` // erase unit (NAND block) of Off
	Bit      int     `json:"bit,omitempty"`
	Fraction float64 `json:"fraction,omitempty"`
	Model    Model   `json:"model,omitempty"`
	Errno    int     `json:"errno,omitempty"`
	Detail   string  `json:"detail,omitempty"`
}

// String renders the event on one line.
func (e Event) String() string {
	s := fmt.Sprintf("t=%dns op#%d %s", e.AtNs, e.Seq, e.What)
	if e.Op != "" {
		s += " during " + e.Op
	}
	s += fmt.Sprintf(" at 0x%x", e.Off)
	if e.Len != 0 {
		s += fmt.Sprintf("+%d", e.Len)
	}
	s += fmt.Sprintf(" (unit %d)", e.Unit)
	if e.What == EvFlip || e.What == EvStuck || e.What == EvDisturb || e.What == EvRetention {
		s += fmt.Sprintf(" bit %d", e.Bit)
	}
	if e.Fraction != 0 || e.What == EvCut {
		s += fmt.Sprintf(" fraction %.4g", e.Fraction)
	}
	if e.Model != "" {
		s += " model " + string(e.Model)
	}
	if e.Errno != 0 {
		s += fmt.Sprintf(" errno %d", e.Errno)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return fmt.Sprintf("fault %d: %s", e.Fault, s)
}
