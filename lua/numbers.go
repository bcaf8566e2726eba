package lua

import (
	"github.com/flashemu/flashemu/api"
)

// ParseNumber parses an unsigned number the way the command line and
// device SPECs accept them: Plan 9 strtoul base-0 rules (decimal, 0x hex,
// leading-0 octal) with an optional binary size suffix K, M or G (either
// case): "4096", "0x1000", "010", "4K", "0x10K", "1M". It is api.ParseSize,
// shared with partition control.
func ParseNumber(s string) (uint64, error) { return api.ParseSize(s) }
