package lua

import (
	"errors"
	"strings"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"

	glua "github.com/yuin/gopher-lua"
)

// PowerLossErr is the device error a power cut produces (emu.ErrPowerLoss);
// an *Error whose Kind is PowerLossErr unwraps to it.
var PowerLossErr error = emu.ErrPowerLoss

// PowerLoss is the Lua error value raised when a flash operation hits a
// power cut or a powered-off device. In Lua it is userdata of type
// "flashemu.powerloss" with fields message, errno (-5), where and
// power_loss (true); tostring gives "file:line: message", and
// faults.is_power_loss(e) is true for it.
type PowerLoss struct {
	// Where is "file:line" of the flash call that lost power.
	Where string
	// Err is the device's error (errors.Is(Err, emu.ErrPowerLoss)).
	Err error
}

// Errno is the negative Zephyr errno of the cut (errno.Of of Err; -EIO,
// the errno of emu.ErrPowerLoss, when Err is nil).
func (p *PowerLoss) Errno() int {
	if p.Err == nil {
		return -int(errno.EIO)
	}
	return errno.Of(p.Err)
}

// Msg is the message without position.
func (p *PowerLoss) Msg() string {
	if p.Err == nil {
		return PowerLossErr.Error()
	}
	return p.Err.Error()
}

func (p *PowerLoss) String() string {
	if p.Where == "" {
		return p.Msg()
	}
	return p.Where + ": " + p.Msg()
}

func (p *PowerLoss) luaType() string { return powerLossType.name }

var powerLossType = registerType(&udType{
	name:  "flashemu.powerloss",
	short: "powerloss",
	field: func(s *State, L *glua.LState, v any, key string) glua.LValue {
		p := v.(*PowerLoss)
		switch key {
		case "message":
			return glua.LString(p.Msg())
		case "where":
			return glua.LString(p.Where)
		case "errno":
			return glua.LNumber(p.Errno())
		case "power_loss":
			return glua.LTrue
		}
		return glua.LNil
	},
})

// callerWhere is "file:line" of the innermost Lua function on the call
// stack (skipping Go functions), "" if none.
func callerWhere(L *glua.LState) string {
	for lvl := 1; lvl < 64; lvl++ {
		w := L.Where(lvl)
		if w == "" {
			return ""
		}
		if !strings.HasPrefix(w, "[G]") {
			return strings.TrimSuffix(w, ":")
		}
	}
	return ""
}

// raisePowerLoss raises the power-loss error object for err at the
// caller's position.
func (s *State) raisePowerLoss(L *glua.LState, err error) {
	L.Error(s.newUserData(powerLossType, &PowerLoss{Where: callerWhere(L), Err: err}), 0)
}

// IsPowerLoss reports whether v (a raised Lua value) is a power-loss error
// object. It is faults.is_power_loss.
func IsPowerLoss(v glua.LValue) bool {
	ud, ok := v.(*glua.LUserData)
	if !ok {
		return false
	}
	_, ok = ud.Value.(*PowerLoss)
	return ok
}

// IsPowerLossError reports whether a run failed because of a power cut
// that the script did not catch.
func IsPowerLossError(err error) bool {
	return errors.Is(err, PowerLossErr)
}

// powerLossOf returns the power-loss object behind a raised Lua value.
func powerLossOf(v glua.LValue) (*PowerLoss, bool) {
	ud, ok := v.(*glua.LUserData)
	if !ok {
		return nil, false
	}
	p, ok := ud.Value.(*PowerLoss)
	return p, ok
}
