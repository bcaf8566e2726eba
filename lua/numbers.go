package lua

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// ErrBadNumber is returned by ParseNumber for malformed input.
var ErrBadNumber = errors.New("bad number")

// ParseNumber parses an unsigned number the way the command line and
// device SPECs accept them: Plan 9 strtoul base-0 rules (decimal, 0x hex,
// leading-0 octal) with an optional binary size suffix K, M or G (either
// case): "4096", "0x1000", "010", "4K", "0x10K", "1M".
//
// TODO(api): switch to api.ParseUint once helper A's parser lands, so the
// CLI and the Zephyr-side code share one implementation.
func ParseNumber(s string) (uint64, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, fmt.Errorf("%w: empty", ErrBadNumber)
	}
	shift := 0
	switch t[len(t)-1] {
	case 'k', 'K':
		shift = 10
	case 'm', 'M':
		shift = 20
	case 'g', 'G':
		shift = 30
	}
	if shift > 0 {
		t = t[:len(t)-1]
	}
	base := 10
	digits := t
	switch {
	case strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X"):
		base, digits = 16, t[2:]
	case len(t) > 1 && t[0] == '0':
		base, digits = 8, t[1:]
	}
	if digits == "" || strings.ContainsAny(digits, "+-_") {
		return 0, fmt.Errorf("%w: %q", ErrBadNumber, s)
	}
	v, err := strconv.ParseUint(digits, base, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q", ErrBadNumber, s)
	}
	if shift > 0 && bits.LeadingZeros64(v) < shift {
		return 0, fmt.Errorf("%w: %q overflows", ErrBadNumber, s)
	}
	return v << shift, nil
}
