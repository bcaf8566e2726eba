package lua

import (
	glua "github.com/yuin/gopher-lua"
)

// bit: 32-bit bitwise operations (Lua 5.1 has none). Operands are integers
// taken modulo 2^32 (so -1 is 0xffffffff); results are unsigned 32-bit,
// like Lua 5.2's bit32. Shifts of 32 or more give 0.

func init() {
	registerModule(&moduleDef{
		name: "bit",
		doc:  "32-bit unsigned bitwise operations: band, bor, bxor, bnot, lshift, rshift",
		funcs: []fnDef{
			{"band", "bit.band(a, b, ...) --> n", "bitwise and of all arguments", bitOp("band", func(x, y uint32) uint32 { return x & y }, 0xffffffff)},
			{"bor", "bit.bor(a, b, ...) --> n", "bitwise or of all arguments", bitOp("bor", func(x, y uint32) uint32 { return x | y }, 0)},
			{"bxor", "bit.bxor(a, b, ...) --> n", "bitwise exclusive or of all arguments", bitOp("bxor", func(x, y uint32) uint32 { return x ^ y }, 0)},
			{"bnot", "bit.bnot(a) --> n", "bitwise not (32-bit)", bitNot},
			{"lshift", "bit.lshift(a, n) --> n", "shift left by n bits (n >= 32 gives 0)", bitShift("lshift", true)},
			{"rshift", "bit.rshift(a, n) --> n", "logical shift right by n bits", bitShift("rshift", false)},
		},
	})
}

// u32 reads argument n as an integer modulo 2^32.
func (a args) u32(n int) uint32 {
	return uint32(int64(a.int(n)))
}

func bitOp(name string, op func(x, y uint32) uint32, identity uint32) func(*State, *glua.LState) int {
	return func(s *State, L *glua.LState) int {
		a := argsOf(L, name)
		n := L.GetTop()
		if n == 0 {
			a.typeError(1, "integer")
		}
		r := identity
		for i := 1; i <= n; i++ {
			r = op(r, a.u32(i))
		}
		L.Push(glua.LNumber(r))
		return 1
	}
}

func bitNot(s *State, L *glua.LState) int {
	a := argsOf(L, "bnot")
	L.Push(glua.LNumber(^a.u32(1)))
	return 1
}

func bitShift(name string, left bool) func(*State, *glua.LState) int {
	return func(s *State, L *glua.LState) int {
		a := argsOf(L, name)
		x := a.u32(1)
		n := a.int(2)
		if n < 0 {
			a.argError(2, "negative shift")
		}
		var r uint32
		if n < 32 {
			if left {
				r = x << uint(n)
			} else {
				r = x >> uint(n)
			}
		}
		L.Push(glua.LNumber(r))
		return 1
	}
}
