// Package shard splits work deterministically between the processes of a
// CI job: a Shard is "part Index of Total" (0-based), read from a flag
// ("I/N") or from the environment of a test runner (Bazel, Kubernetes
// indexed Jobs). Work items are owned by index (Owns: item j belongs to
// shard j mod Total) or by name (Selects: by the FNV-1a hash of the name).
// The package imports nothing of the project.
package shard

import (
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"strconv"
	"strings"
)

// Shard is part Index (0-based) of Total. The zero value (and any Total
// <= 1) is the whole: it owns and selects everything.
type Shard struct {
	Index int `json:"index"`
	Total int `json:"total"`
}

// ErrBad is returned for a malformed shard or an incomplete environment.
var ErrBad = errors.New("shard: bad shard")

// Reason is err's text without the package prefix ("bad shard "2/2": want
// I/N with 0 <= I < N"), for messages that already say where the shard
// came from (a flag, an option field); other errors read as they are.
func Reason(err error) string {
	return strings.TrimPrefix(err.Error(), "shard: ")
}

// Sharded reports whether s is a proper part (Total > 1).
func (s Shard) Sharded() bool { return s.Total > 1 }

// Owns reports whether work item j (0-based, in a deterministic order)
// belongs to the shard: j mod Total == Index.
func (s Shard) Owns(j int) bool { return s.Total <= 1 || j%s.Total == s.Index }

// Selects reports whether the item named name belongs to the shard: the
// FNV-1a (32-bit) hash of the name modulo Total is Index. Unlike Owns it
// does not depend on the order or the number of items.
func (s Shard) Selects(name string) bool {
	if s.Total <= 1 {
		return true
	}
	h := fnv.New32a()
	h.Write([]byte(name))
	return int(h.Sum32()%uint32(s.Total)) == s.Index
}

// String renders "I/N", or "" for the whole.
func (s Shard) String() string {
	if s.Total <= 1 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Total)
}

// Validate reports a shard with Total < 0 or an Index outside [0, Total).
func (s Shard) Validate() error {
	if s.Total < 0 || s.Total > 0 && (s.Index < 0 || s.Index >= s.Total) {
		return fmt.Errorf("%w %d/%d: want 0 <= I < N", ErrBad, s.Index, s.Total)
	}
	return nil
}

// Parse parses "I/N" (0 <= I < N). A bare "N" takes the index from the
// environment (getenv; nil means os.Getenv): TEST_SHARD_INDEX (Bazel) or
// JOB_COMPLETION_INDEX (Kubernetes indexed Job).
func Parse(s string, getenv func(string) string) (Shard, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	idx, tot, found := strings.Cut(s, "/")
	if !found {
		tot = idx
		idx = getenv("TEST_SHARD_INDEX")
		if idx == "" {
			idx = getenv("JOB_COMPLETION_INDEX")
		}
		if idx == "" {
			return Shard{}, fmt.Errorf("%w %q: want I/N, or N with TEST_SHARD_INDEX or JOB_COMPLETION_INDEX set", ErrBad, s)
		}
	}
	i, err1 := strconv.Atoi(strings.TrimSpace(idx))
	n, err2 := strconv.Atoi(strings.TrimSpace(tot))
	if err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Shard{}, fmt.Errorf("%w %q: want I/N with 0 <= I < N", ErrBad, s)
	}
	return Shard{Index: i, Total: n}, nil
}

// FromEnv reads the shard from the environment (getenv; nil means
// os.Getenv):
//
//   - Bazel: TEST_TOTAL_SHARDS and TEST_SHARD_INDEX. It also creates the
//     file named by TEST_SHARD_STATUS_FILE, which tells Bazel the test
//     supports sharding.
//   - Kubernetes indexed Jobs: JOB_COMPLETION_INDEX with the total in
//     FLASHEMU_TOTAL_SHARDS (Kubernetes does not export the completion
//     count). JOB_COMPLETION_INDEX without FLASHEMU_TOTAL_SHARDS is an
//     error: running the whole work in every pod is never what was meant.
//
// ok is false when neither is set.
func FromEnv(getenv func(string) string) (sh Shard, ok bool, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if tot := getenv("TEST_TOTAL_SHARDS"); tot != "" {
		if f := getenv("TEST_SHARD_STATUS_FILE"); f != "" {
			_ = os.WriteFile(f, nil, 0o644)
		}
		sh, err = Parse(getenv("TEST_SHARD_INDEX")+"/"+tot, getenv)
		return sh, err == nil, err
	}
	if idx := getenv("JOB_COMPLETION_INDEX"); idx != "" {
		tot := getenv("FLASHEMU_TOTAL_SHARDS")
		if tot == "" {
			return Shard{}, false, fmt.Errorf("%w: JOB_COMPLETION_INDEX=%s is set but FLASHEMU_TOTAL_SHARDS is not: set it to the Job's completions", ErrBad, idx)
		}
		sh, err = Parse(idx+"/"+tot, getenv)
		return sh, err == nil, err
	}
	return Shard{}, false, nil
}
