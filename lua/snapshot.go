package lua

import (
	"fmt"

	"github.com/flashemu/flashemu/emu"
	glua "github.com/yuin/gopher-lua"
)

// Snapshots: dev:snapshot, dev:restore and the snapshot userdata.

// Snapshot is the Go value behind a Lua snapshot userdata.
type Snapshot struct{ Snap *emu.Snapshot }

func (s *Snapshot) luaType() string { return snapshotType.name }
func (s *Snapshot) String() string {
	return fmt.Sprintf("snapshot (t=%dns, op %d)", s.Snap.Now(), s.Snap.Seq())
}

var snapshotType = &udType{name: "flashemu.snapshot", short: "snapshot",
	doc: "a captured device state (dev:snapshot()); pass to dev:restore or flash.from_snapshot"}

func init() {
	registerType(snapshotType)
	snapshotType.field = func(s *State, L *glua.LState, v any, key string) glua.LValue {
		sn := v.(*Snapshot)
		switch key {
		case "clock":
			return glua.LNumber(sn.Snap.Now())
		case "ops":
			return glua.LNumber(sn.Snap.Seq())
		case "hash":
			return glua.LString(fmt.Sprintf("%016x", sn.Snap.StateHash()))
		}
		return glua.LNil
	}
}

func devSnapshot(s *State, L *glua.LState) int {
	d, _ := checkDevice(L, "snapshot")
	s.pushUserData(L, snapshotType, &Snapshot{Snap: d.Dev.Snapshot()})
	return 1
}

func devRestore(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "restore")
	sn := checkUD[Snapshot](a, 2, snapshotType)
	if err := d.Dev.Restore(sn.Snap); err != nil {
		a.argError(2, err.Error())
	}
	return 0
}
