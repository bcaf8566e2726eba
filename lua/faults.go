package lua

import (
	glua "github.com/yuin/gopher-lua"
)

// faults: what goes wrong and when. Only is_power_loss is bound so far.
//
// TODO(faults): bind power_cut, flip, stuck, bitflips, wear and fail (see
// interface.md § faults) when package faults lands; they go in this file.

func init() {
	registerModule(&moduleDef{
		name: "faults",
		doc:  "fault injection: power cuts, bit flips, wear, failures (is_power_loss so far)",
		funcs: []fnDef{
			{"is_power_loss", "faults.is_power_loss(err) --> bool", "true if err (from pcall) is a power-cut error object", faultsIsPowerLoss},
		},
	})
}

func faultsIsPowerLoss(s *State, L *glua.LState) int {
	L.Push(glua.LBool(IsPowerLoss(L.Get(1))))
	return 1
}
