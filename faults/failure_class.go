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
	// classNum: a number, with the word it may be glued to (entry001,
	// CRC32, CRC-8, sha256, u16).
	classNum = regexp.MustCompile(`((?:[A-Za-z_]+-?)?)([-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)`)
	// className: the words whose digits are part of a name, not a value.
	className  = regexp.MustCompile(`^(?:[A-Z]{2,}-?|(?:sha|md|crc|utf|u|i|int|uint|float)-?)$`)
	classSpace = regexp.MustCompile(`\s+`)
)

// FailureClass returns the signature of a check's failure message: two
// failures are "the same failure" when their classes are equal. The class
// keeps the message's location — a leading "file:line:" as Lua errors carry
// (or a chunk name `[string "..."]:3:`), verbatim — and the shape of its
// first line: numbers replaced by "N", hex literals by "0xN" and long hex
// runs (hashes) by "H", white space collapsed. So "entry 12 lost at 0x1f00"
// and "entry 7 lost at 0x2000" are one class, and so are "entry001" and
// "entry002", while another message, or the same message raised at another
// line, is another. The digits of names stay: an upper-case acronym's
// (CRC32, CRC-8, SHA256) and those of sha, md, crc, utf, u, i, int, uint
// and float (sha256, u16).
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
	line = classNum.ReplaceAllStringFunc(line, func(m string) string {
		sub := classNum.FindStringSubmatch(m)
		if word := sub[1]; word != "" && className.MatchString(word) {
			return m // CRC32, CRC-8, sha256, u16: a name
		}
		return sub[1] + "N"
	})
	line = strings.NewReplacer("\x00", "0xN", "\x01", "H").Replace(line)
	line = strings.TrimSpace(classSpace.ReplaceAllString(line, " "))
	if loc == "" {
		return line
	}
	return loc + ": " + line
}
