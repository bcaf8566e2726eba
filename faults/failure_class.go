package faults

import "strings"

// FailureClass returns the signature of a check's failure message: two
// failures are "the same failure" when their classes are equal. The class
// keeps the message's location — a leading "file:line:" as Lua errors
// carry, verbatim — and its shape: the rest with every hex literal (0x…)
// and every run of decimal digits replaced by "#", so "slot 3: value 17 at
// 0x1f00" and "slot 1: value 2 at 0x40" are one class, while a different
// message, or the same message raised at another line, is another.
//
// The sweep uses it to shrink: a shorter schedule replaces a failing
// branch only if it fails with the same class (Failure.Shrunk). Reports
// group failures by it (Failure.Class).
func FailureClass(msg string) string {
	var b strings.Builder
	b.Grow(len(msg))
	loc := locationPrefix(msg)
	b.WriteString(msg[:loc])
	s := msg[loc:]
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '0' && i+2 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') && isHex(s[i+2]):
			i += 2
			for i < len(s) && isHex(s[i]) {
				i++
			}
			b.WriteByte('#')
		case c >= '0' && c <= '9':
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			b.WriteByte('#')
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

// locationPrefix returns the length of a leading "file:line:" (a name
// without spaces, a colon, digits, a colon), 0 if there is none.
func locationPrefix(s string) int {
	i := strings.IndexByte(s, ':')
	if i <= 0 || strings.ContainsAny(s[:i], " \t\n") {
		return 0
	}
	j := i + 1
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i+1 || j >= len(s) || s[j] != ':' {
		return 0
	}
	return j + 1
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}
