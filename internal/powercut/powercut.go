// Package powercut is the tests' atomic power cut: an emu hook that powers
// the device off just before its Nth mutating operation, so that operation
// does not happen at all. The settings and streamflash power-cut tests use
// it to walk every cut point of a workload; the physical torn cuts (an
// operation stopped part-way) are package faults' business.
package powercut

import "github.com/flashemu/flashemu/emu"

// Hook cuts the power at the At-th program or erase it sees (counting from
// 1): that operation does not happen, the device powers off and every later
// operation fails with emu.ErrPowerLoss until PowerOn. At 0 never cuts.
type Hook struct {
	At int
	// Count is the number of mutating operations seen so far, the cut one
	// included; after a workload without a cut it is the number of cut
	// points the workload has.
	Count int
}

// Before implements emu.Hook.
func (h *Hook) Before(d *emu.Device, op *emu.Op) error {
	if op.Kind.Mutates() {
		h.Count++
		if h.Count == h.At {
			d.PowerOff()
			return emu.ErrPowerLoss
		}
	}
	return nil
}

// After implements emu.Hook.
func (h *Hook) After(_ *emu.Device, _ *emu.Op, err error) error { return err }
