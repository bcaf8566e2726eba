//go:build linux && cgo && (amd64 || arm64)

package native

// #include <stdint.h>
import "C"

import "unsafe"

//export flashemuHost
func flashemuHost(id, op C.uintptr_t, a, b C.int64_t, buf unsafe.Pointer, n C.int64_t) C.int64_t {
	return C.int64_t(host(uintptr(id), uintptr(op), int64(a), int64(b), buf, int64(n)))
}
