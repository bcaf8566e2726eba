package lua

import (
	"math"
)

func OpenMath(L *LState) int {
	mod := L.RegisterModule(MathLibName, mathFuncs).(*LTable)
	mod.RawSetString("pi", LNumber(math.Pi))
	mod.RawSetString("huge", LNumber(math.MaxFloat64))
	L.Push(mod)
	return 1
}

var mathFuncs = map[string]LGFunction{
	"abs":        mathAbs,
	"acos":       mathAcos,
	"asin":       mathAsin,
	"atan":       mathAtan,
	"atan2":      mathAtan2,
	"ceil":       mathCeil,
	"cos":        mathCos,
	"cosh":       mathCosh,
	"deg":        mathDeg,
	"exp":        mathExp,
	"floor":      mathFloor,
	"fmod":       mathFmod,
	"frexp":      mathFrexp,
	"ldexp":      mathLdexp,
	"log":        mathLog,
	"log10":      mathLog10,
	"max":        mathMax,
	"min":        mathMin,
	"mod":        mathMod,
	"modf":       mathModf,
	"pow":        mathPow,
	"rad":        mathRad,
	"random":     mathRandom,
	"randomseed": mathRandomseed,
	"sin":        mathSin,
	"sinh":       mathSinh,
	"sqrt":       mathSqrt,
	"tan":        mathTan,
	"tanh":       mathTanh,
}

func mathAbs(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Abs(float64(L.CheckNumber(1))))))
	return 1
}

func mathAcos(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Acos(float64(L.CheckNumber(1))))))
	return 1
}

func mathAsin(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Asin(float64(L.CheckNumber(1))))))
	return 1
}

func mathAtan(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Atan(float64(L.CheckNumber(1))))))
	return 1
}

func mathAtan2(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Atan2(float64(L.CheckNumber(1)), float64(L.CheckNumber(2))))))
	return 1
}

func mathCeil(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Ceil(float64(L.CheckNumber(1))))))
	return 1
}

func mathCos(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Cos(float64(L.CheckNumber(1))))))
	return 1
}

func mathCosh(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Cosh(float64(L.CheckNumber(1))))))
	return 1
}

func mathDeg(L *LState) int {
	L.Push(L.NumberValue(LNumber(float64(L.CheckNumber(1)) * 180 / math.Pi)))
	return 1
}

func mathExp(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Exp(float64(L.CheckNumber(1))))))
	return 1
}

func mathFloor(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Floor(float64(L.CheckNumber(1))))))
	return 1
}

func mathFmod(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Mod(float64(L.CheckNumber(1)), float64(L.CheckNumber(2))))))
	return 1
}

func mathFrexp(L *LState) int {
	v1, v2 := math.Frexp(float64(L.CheckNumber(1)))
	L.Push(L.NumberValue(LNumber(v1)))
	L.Push(L.NumberValue(LNumber(v2)))
	return 2
}

func mathLdexp(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Ldexp(float64(L.CheckNumber(1)), L.CheckInt(2)))))
	return 1
}

func mathLog(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Log(float64(L.CheckNumber(1))))))
	return 1
}

func mathLog10(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Log10(float64(L.CheckNumber(1))))))
	return 1
}

func mathMax(L *LState) int {
	if L.GetTop() == 0 {
		L.RaiseError("wrong number of arguments")
	}
	max := L.CheckNumber(1)
	top := L.GetTop()
	for i := 2; i <= top; i++ {
		v := L.CheckNumber(i)
		if v > max {
			max = v
		}
	}
	L.Push(max)
	return 1
}

func mathMin(L *LState) int {
	if L.GetTop() == 0 {
		L.RaiseError("wrong number of arguments")
	}
	min := L.CheckNumber(1)
	top := L.GetTop()
	for i := 2; i <= top; i++ {
		v := L.CheckNumber(i)
		if v < min {
			min = v
		}
	}
	L.Push(min)
	return 1
}

func mathMod(L *LState) int {
	lhs := L.CheckNumber(1)
	rhs := L.CheckNumber(2)
	L.Push(luaModulo(lhs, rhs))
	return 1
}

func mathModf(L *LState) int {
	v1, v2 := math.Modf(float64(L.CheckNumber(1)))
	L.Push(L.NumberValue(LNumber(v1)))
	L.Push(L.NumberValue(LNumber(v2)))
	return 2
}

func mathPow(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Pow(float64(L.CheckNumber(1)), float64(L.CheckNumber(2))))))
	return 1
}

func mathRad(L *LState) int {
	L.Push(L.NumberValue(LNumber(float64(L.CheckNumber(1)) * math.Pi / 180)))
	return 1
}

// PATCH(random): math.random draws from the state's own generator
// (Global.rng, seeded 0 until math.randomseed or SetRandomSeed), not from the
// process-wide math/rand source that every state and goroutine shared: a
// script's draws no longer depend on what other states did, and Checkpoint
// and Rollback include the generator. An empty interval is a Lua error, as in
// PUC-Lua, instead of a Go panic.
func mathRandom(L *LState) int {
	r := L.G.rng.r
	switch L.GetTop() {
	case 0:
		L.Push(L.NumberValue(LNumber(r.Float64())))
	case 1:
		n := L.CheckInt64(1)
		if n < 1 {
			L.ArgError(1, "interval is empty")
		}
		L.Push(L.NumberValue(LNumber(r.Int64N(n) + 1)))
	default:
		lo, hi := L.CheckInt64(1), L.CheckInt64(2)
		if lo > hi {
			L.ArgError(2, "interval is empty")
		}
		L.Push(L.NumberValue(LNumber(lo + int64(r.Uint64N(uint64(hi-lo)+1)))))
	}
	return 1
}

func mathRandomseed(L *LState) int {
	L.SetRandomSeed(L.CheckInt64(1))
	return 0
}

func mathSin(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Sin(float64(L.CheckNumber(1))))))
	return 1
}

func mathSinh(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Sinh(float64(L.CheckNumber(1))))))
	return 1
}

func mathSqrt(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Sqrt(float64(L.CheckNumber(1))))))
	return 1
}

func mathTan(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Tan(float64(L.CheckNumber(1))))))
	return 1
}

func mathTanh(L *LState) int {
	L.Push(L.NumberValue(LNumber(math.Tanh(float64(L.CheckNumber(1))))))
	return 1
}

//
