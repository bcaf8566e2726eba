package faults

import (
	"regexp"
	"strings"
)

var (
	// classLoc is a check location: "path/file.lua:31:" or a chunk name
	// `[string "..."]:3:`.
	classLoc = regexp.MustCompile(`^((?:\[string "[^"]*"\]|[^\s:]+):\d+):\s*`)
	classHex = regexp.MustCompile(`\b0[xX][0-9a-fA-F]+\b`)
	// classHash: long hex runs (hashes, dumps) that need not contain a
	// pattern a number would match.
	classHash = regexp.MustCompile(`\b[0-9a-fA-F]{8,}\b`)
	// classNum: a number not glued to a word before it (CRC32, sha256,
	// CRC-8 and u16 are names, not values).
	classNum   = regexp.MustCompile(`(^|[^A-Za-z0-9_.+-])([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)`)
	classSpace = regexp.MustCompile(`\s+`)
)

// FailureClass returns the signature of a check's failure message: two
// failures are "the same failure" when their classes are equal. The class
// keeps the message's location — a leading "file:line:" as Lua errors carry
// (or a chunk name `[string "..."]:3:`), verbatim — and the shape of its
// first line: numbers replaced by "N", hex literals by "0xN" and long hex
// runs (hashes) by "H", white space collapsed. So "entry 12 lost at 0x1f00"
// and "entry 7 lost at 0x2000" are one class, while another message, or the
// same message raised at another line, is another. Digits glued to a word
// (CRC32, CRC-8, op12) are part of the word.
//
// The sweep uses it to shrink: a shorter schedule replaces a failing
// branch only if it fails with the same class (Failure.Shrunk). Reports
// group failures by it (Failure.Class).
func FailureClass(msg string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(msg), "\n")
	loc := ""
	if m := classLoc.FindStringSubmatchIndex(line); m != nil {
		loc, line = line[m[2]:m[3]], line[m[1]:]
	}
	// Placeholders first, so that "0xN" is not taken for a number.
	line = classHex.ReplaceAllString(line, "\x00")
	line = classHash.ReplaceAllString(line, "\x01")
	line = classNum.ReplaceAllString(line, "${1}N")
	line = strings.NewReplacer("\x00", "0xN", "\x01", "H").Replace(line)
	line = strings.TrimSpace(classSpace.ReplaceAllString(line, " "))
	if loc == "" {
		return line
	}
	return loc + ": " + line
}
