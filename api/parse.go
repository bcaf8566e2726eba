package api

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// ParseUint parses a whole string as an unsigned number with strtoul base-0
// rules, as Plan 9 flash(3) control commands do: "0x"/"0X" hex, a leading
// "0" octal, otherwise decimal. Unlike strtoul the whole string must be
// consumed (Plan 9's flashaddr rejects trailing characters too) and
// overflow is an error. Errors wrap ErrInvalid (EINVAL).
func ParseUint(s string) (uint64, error) {
	base, digits := 10, s
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	if digits == "" || digits[0] == '+' || digits[0] == '-' || strings.ContainsRune(digits, '_') {
		return 0, fmt.Errorf("%w: bad number %q", ErrInvalid, s)
	}
	v, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: bad number %q", ErrInvalid, s)
	}
	return v, nil
}

// ParseSize is ParseUint with an optional binary size suffix for the
// command line: K (2^10), M (2^20) or G (2^30), either case, so "4K",
// "0x10K" and "1M" work. Surrounding spaces are ignored. A result that does
// not fit in 64 bits is an error.
func ParseSize(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	shift := 0
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			shift = 10
		case 'm', 'M':
			shift = 20
		case 'g', 'G':
			shift = 30
		}
	}
	if shift > 0 {
		t = t[:len(t)-1]
	}
	v, err := ParseUint(t)
	if err != nil {
		return 0, fmt.Errorf("%w: bad size %q", ErrInvalid, s)
	}
	if shift > 0 && bits.LeadingZeros64(v) < shift {
		return 0, fmt.Errorf("%w: size %q overflows", ErrInvalid, s)
	}
	return v << shift, nil
}

// parseOffset parses a control-command number that must fit in an int64.
func parseOffset(s string) (int64, error) {
	v, err := ParseUint(s)
	if err != nil {
		return 0, err
	}
	if v > 1<<62 {
		return 0, fmt.Errorf("%w: number %q too large", ErrInvalid, s)
	}
	return int64(v), nil
}

// FormatSize is ParseSize's inverse for display: 4096 → "4K", 1<<20 → "1M",
// 3<<30 → "3G"; a value that is not a whole number of KiB prints in bytes.
func FormatSize(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "G"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "M"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "K"
	}
	return strconv.FormatInt(n, 10)
}
