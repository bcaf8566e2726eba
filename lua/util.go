package lua

import "unsafe"

// bytesToString converts a buffer the caller will never touch again into a
// string without copying (one allocation per read instead of two).
func bytesToString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
