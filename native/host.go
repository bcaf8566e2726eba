package native

import (
	"errors"
	"fmt"
	"unsafe"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
)

// Host operations of the C runtime (keep in step with runtime/flashemu_rt.c).
const (
	opRead       = 1
	opProgram    = 2
	opErase      = 3
	opGeometry   = 4
	opUnit       = 5
	opAreaID     = 6
	opArea       = 7
	opNow        = 8
	opAck        = 9
	opAckedCount = 10
	opAcked      = 11
	opFail       = 12
	opLog        = 13
	opAreaLabel  = 14
)

const errnoEIO = -int64(errno.EIO)

// host serves one callback from the C runtime: library id, operation,
// two integer arguments and a C buffer. It returns 0 or a result, or a
// negative Zephyr errno. It never panics into C: a Go panic becomes -EIO
// and fails the call.
func host(id uintptr, op uintptr, a, b int64, buf unsafe.Pointer, n int64) (ret int64) {
	l := lookup(id)
	if l == nil || l.cur == nil {
		return -int64(errno.ENODEV)
	}
	st := l.cur
	defer func() {
		if v := recover(); v != nil {
			if st.err == nil {
				st.err = fmt.Errorf("host operation %d panicked: %v", op, v)
			}
			ret = errnoEIO
		}
	}()
	d := st.env.Dev
	switch op {
	case opRead, opProgram:
		if n < 0 || (n > 0 && buf == nil) {
			return -int64(errno.EINVAL)
		}
		if st.cut {
			return errnoEIO
		}
		p := unsafe.Slice((*byte)(buf), n)
		var err error
		if op == opRead {
			err = d.Read(a, p)
		} else {
			err = d.Program(a, p)
		}
		return st.result(err)
	case opErase:
		if st.cut {
			return errnoEIO
		}
		return st.result(d.Erase(a, b))
	case opGeometry:
		g := int64s(buf, n, 4)
		if g == nil {
			return -int64(errno.EINVAL)
		}
		g[0], g[1], g[2], g[3] = d.Size(), int64(d.WriteBlock()), int64(d.EraseValue()), int64(d.UnitCount())
		return 0
	case opUnit:
		u := int64s(buf, n, 2)
		if u == nil || a < 0 || a >= int64(d.UnitCount()) {
			return -int64(errno.EINVAL)
		}
		u[0], u[1] = d.Unit(int(a))
		return 0
	case opAreaID:
		label := string(unsafe.Slice((*byte)(buf), n))
		for _, ar := range l.areas() {
			if ar.Label == label {
				return int64(ar.ID)
			}
		}
		return -int64(errno.ENOENT)
	case opArea, opAreaLabel:
		for _, ar := range l.areas() {
			if int64(ar.ID) != a {
				continue
			}
			if op == opAreaLabel {
				return int64(copy(unsafe.Slice((*byte)(buf), n), ar.Label))
			}
			s := int64s(buf, n, 2)
			if s == nil {
				return -int64(errno.EINVAL)
			}
			size := ar.Size
			if size <= 0 {
				size = d.Size() - ar.Offset
			}
			s[0], s[1] = ar.Offset, size
			return 0
		}
		return -int64(errno.ENOENT)
	case opNow:
		return d.Now()
	case opAck:
		if st.env.Ack != nil {
			if err := st.env.Ack(a); err != nil && st.err == nil {
				st.err = err
			}
		}
		return 0
	case opAckedCount:
		return int64(len(st.env.Acked))
	case opAcked:
		v := int64s(buf, n, 1)
		if v == nil || a < 0 || a >= int64(len(st.env.Acked)) {
			return -int64(errno.EINVAL)
		}
		x, ok := ackedInt(st.env.Acked[a])
		if !ok {
			if st.err == nil {
				st.err = fmt.Errorf("acked value %d is %T %v, not an integer", a+1, st.env.Acked[a], st.env.Acked[a])
			}
			return -int64(errno.EINVAL)
		}
		v[0] = x
		return 0
	case opFail:
		msg := string(unsafe.Slice((*byte)(buf), n))
		if !st.failed {
			st.msg = msg
		}
		st.failed = true
		return 0
	case opLog:
		if l.opts.Log != nil {
			fmt.Fprintf(l.opts.Log, "%s\n", unsafe.Slice((*byte)(buf), n))
		}
		return 0
	}
	return -int64(errno.ENOSYS)
}

// result maps a device error to a Zephyr errno and latches power loss: once
// an operation loses power, every later one fails with -EIO until the call
// ends.
func (st *callState) result(err error) int64 {
	if err == nil {
		return 0
	}
	if errors.Is(err, emu.ErrPowerLoss) {
		st.cut = true
	}
	return int64(errno.Of(err))
}

func int64s(buf unsafe.Pointer, n int64, want int) []int64 {
	if buf == nil || n < int64(want)*8 {
		return nil
	}
	return unsafe.Slice((*int64)(buf), want)
}

func (l *Lib) areas() []Area {
	if len(l.opts.Areas) > 0 {
		return l.opts.Areas
	}
	return defaultAreas
}

var defaultAreas = []Area{{ID: 0, Label: "storage_partition"}}
