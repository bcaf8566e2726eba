package lua

import (
	"errors"
	"fmt"
	"maps"
	"weak"

	"github.com/flashemu/flashemu/emu"
	glua "github.com/yuin/gopher-lua"
)

// ErrNoCheckpoint reports that a state cannot be checkpointed (see
// State.Checkpoint) or that a rollback could not restore it; the caller
// makes a new state instead.
var ErrNoCheckpoint = errors.New("lua: state cannot be rolled back")

// checkpoint is the host's half of a checkpoint: what the Lua heap journal
// (gopher-lua's Checkpoint/Rollback) cannot see.
type checkpoint struct {
	values  map[any]any
	devices []deviceSave
}

// deviceSave is a device that existed at the checkpoint, with its state
// then. Its Go state (the emulated chip) is restored at Rollback when a
// check changed it.
type deviceSave struct {
	d     *Device
	snap  *emu.Snapshot
	inj   any
	trace *deviceTrace
	ctl   any
}

// Checkpoint records the state as it is now, so that Rollback can return
// to it: the Lua heap (globals, package.loaded, every table and top-level
// local), math.random's generator, per-state binding data, and the devices
// made so far (their emulated chips). It is called while no Lua code runs,
// or from a binding on the main thread (the REPL's sweep.run): then
// Rollback must come from the same call depth. It fails with ErrNoCheckpoint when the state holds something made
// before the checkpoint whose Go state cannot be restored (an FCB,
// stream_flash or settings object, a native library, a running trace): such
// states are re-made instead.
func (s *State) Checkpoint() error {
	if len(s.traces) > 0 {
		return fmt.Errorf("%w: an operation trace is running", ErrNoCheckpoint)
	}
	cp := &checkpoint{values: maps.Clone(s.values)}
	for _, w := range s.made {
		ud := w.Value()
		if ud == nil {
			continue
		}
		switch v := ud.Value.(type) {
		case *Device:
			cp.devices = append(cp.devices, deviceSave{d: v, snap: v.Dev.Snapshot(), inj: v.Inj, trace: v.trace, ctl: v.ctl})
		case *Area, *Snapshot, *PowerLoss, *skipRequest, *expectation:
			// Immutable, or state that lives in a device saved above.
		default:
			return fmt.Errorf("%w: %s made at the top level holds Go state", ErrNoCheckpoint, typeNameOf(ud))
		}
	}
	if err := s.L.Checkpoint(); err != nil {
		return fmt.Errorf("%w: %v", ErrNoCheckpoint, err)
	}
	s.cp = cp
	return nil
}

// Rollback returns the state to its last Checkpoint. Traces a check started
// are finished. An error wrapping ErrNoCheckpoint means the state could not
// be restored (for example a coroutine made at the top level was resumed):
// close it and make a new one.
func (s *State) Rollback() error {
	if s.cp == nil {
		return fmt.Errorf("%w: no checkpoint", ErrNoCheckpoint)
	}
	ferr := s.finishTraces()
	err := s.L.Rollback()
	s.values = maps.Clone(s.cp.values)
	for i := range s.cp.devices {
		ds := &s.cp.devices[i]
		d := ds.d
		if any(d.Inj) != ds.inj || d.trace != ds.trace || any(d.ctl) != ds.ctl {
			if err == nil {
				err = fmt.Errorf("%w: a check changed the fault injector, trace or partition control of a device made at the top level", ErrNoCheckpoint)
			}
			continue
		}
		if !ds.snap.Unchanged(d.Dev) {
			if rerr := d.Dev.Restore(ds.snap); rerr != nil && err == nil {
				err = fmt.Errorf("%w: %v", ErrNoCheckpoint, rerr)
			}
		}
	}
	if err != nil {
		if !errors.Is(err, ErrNoCheckpoint) {
			err = fmt.Errorf("%w: %v", ErrNoCheckpoint, err)
		}
		return err
	}
	if ferr != nil {
		return fmt.Errorf("%w: finishing a check's trace: %v", ErrNoCheckpoint, ferr)
	}
	return nil
}

// trackMade remembers ud (weakly) for a later Checkpoint. Dead entries are
// dropped whenever the list has doubled since the last pruning, so the list
// stays proportional to the live userdata.
func (s *State) trackMade(ud *glua.LUserData) {
	s.made = append(s.made, weak.Make(ud))
	if len(s.made) < s.madePrune {
		return
	}
	live := s.made[:0]
	for _, w := range s.made {
		if w.Value() != nil {
			live = append(live, w)
		}
	}
	clear(s.made[len(live):])
	s.made = live
	s.madePrune = max(2*len(live), 256)
}

// DropCheckpoint forgets the checkpoint: the state stops journaling.
func (s *State) DropCheckpoint() {
	if s.cp != nil {
		s.L.DropCheckpoint()
		s.cp = nil
	}
}
