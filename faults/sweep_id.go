package faults

import (
	"fmt"
	"strconv"
	"strings"
)

// Branch IDs: "NAME:SCHEDULE:SEED", SCHEDULE being one token per depth
// level joined by "/". A token names a cut within the run of its level (the
// workload at depth 1, the recovery check at deeper levels), counting that
// run's mutating operations (program, erase, spare-area program) from 0:
//
//	12b      before operation 12 (none of it happened)
//	12a      after operation 12 completed, before the caller heard
//	12u3     inside operation 12, unit 3 torn (variant 0)
//	12u3v2   the same unit, variant 2 (bit-level and erase variants)
//	t150000  at 150000 ns of simulated time since the run started
//	end      after the workload returned: every operation done, every value
//	         acknowledged (the first token only: the workload's last cut)
//
// e.g. "fcb_append:41a/3u0:1" is: cut after the workload's operation 41,
// power on, cut the check's recovery inside its operation 3, power on, check.
// The name may contain ':'; the last two fields are the schedule and seed.

func (c cut) String() string {
	switch c.kind {
	case cutBefore:
		return strconv.Itoa(c.op) + "b"
	case cutAfter:
		return strconv.Itoa(c.op) + "a"
	case cutUnit:
		s := strconv.Itoa(c.op) + "u" + strconv.Itoa(c.unit)
		if c.variant != 0 {
			s += "v" + strconv.Itoa(c.variant)
		}
		return s
	case cutTime:
		return "t" + strconv.FormatInt(c.t, 10)
	case cutEnd:
		return "end"
	}
	return "?"
}

func formatID(name string, sched []cut, seed uint64) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte(':')
	for i, c := range sched {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(c.String())
	}
	b.WriteByte(':')
	b.WriteString(strconv.FormatUint(seed, 10))
	return b.String()
}

func badID(id, format string, a ...any) error {
	return fmt.Errorf("%w: %q: %s", ErrBadID, id, fmt.Sprintf(format, a...))
}

func parseID(id string) (string, []cut, uint64, error) {
	i := strings.LastIndexByte(id, ':')
	if i < 0 {
		return "", nil, 0, badID(id, "want NAME:SCHEDULE:SEED")
	}
	seed, err := strconv.ParseUint(id[i+1:], 10, 64)
	if err != nil {
		return "", nil, 0, badID(id, "bad seed")
	}
	j := strings.LastIndexByte(id[:i], ':')
	if j < 0 {
		return "", nil, 0, badID(id, "want NAME:SCHEDULE:SEED")
	}
	name, schedStr := id[:j], id[j+1:i]
	if schedStr == "" {
		return "", nil, 0, badID(id, "empty schedule")
	}
	var sched []cut
	for _, tok := range strings.Split(schedStr, "/") {
		c, err := parseCut(tok)
		if err != nil {
			return "", nil, 0, badID(id, "token %q: %v", tok, err)
		}
		sched = append(sched, c)
	}
	return name, sched, seed, nil
}

// leadingInt splits a decimal prefix off s.
func leadingInt(s string) (int, string, bool) {
	k := 0
	for k < len(s) && s[k] >= '0' && s[k] <= '9' {
		k++
	}
	if k == 0 || k > 9 {
		return 0, s, false
	}
	v, _ := strconv.Atoi(s[:k])
	return v, s[k:], true
}

func parseCut(tok string) (cut, error) {
	if tok == "end" {
		return cut{kind: cutEnd}, nil
	}
	if rest, ok := strings.CutPrefix(tok, "t"); ok {
		t, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || t < 0 {
			return cut{}, fmt.Errorf("bad time")
		}
		return cut{kind: cutTime, t: t}, nil
	}
	op, rest, ok := leadingInt(tok)
	if !ok {
		return cut{}, fmt.Errorf("want an operation number")
	}
	switch {
	case rest == "b":
		return cut{kind: cutBefore, op: op}, nil
	case rest == "a":
		return cut{kind: cutAfter, op: op}, nil
	case strings.HasPrefix(rest, "u"):
		unit, rest, ok := leadingInt(rest[1:])
		if !ok {
			return cut{}, fmt.Errorf("want a unit number")
		}
		c := cut{kind: cutUnit, op: op, unit: unit}
		if rest != "" {
			v, r2, ok := leadingInt(strings.TrimPrefix(rest, "v"))
			if !ok || rest[0] != 'v' || r2 != "" || v == 0 {
				return cut{}, fmt.Errorf("bad variant")
			}
			c.variant = v
		}
		return c, nil
	}
	return cut{}, fmt.Errorf("want b, a, u<unit>[v<variant>], t<ns> or end")
}
