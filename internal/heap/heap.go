// Package heap measures the Go heap for flashemu's memory limits (a
// sweep's recordings, a Lua script's --mem-limit): one reading, one rule
// for "over the limit", so the limits agree.
package heap

import (
	"runtime"
	"runtime/metrics"
)

// Bytes is the bytes occupied by heap objects, live or not yet swept.
func Bytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	return s[0].Value.Uint64()
}

// Over reports whether the heap plus extra more bytes is past limit,
// discounting garbage: only when the first reading is over does it collect
// and read again. It returns the heap reading it decided on.
func Over(limit, extra uint64) (uint64, bool) {
	h := Bytes()
	if h+extra <= limit {
		return h, false
	}
	runtime.GC() // what is garbage does not count
	h = Bytes()
	return h, h+extra > limit
}
