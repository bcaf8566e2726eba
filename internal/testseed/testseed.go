// Package testseed gives the project's randomized tests one way to choose,
// print and replay their seed: a test flag wins, then an environment
// variable, then the clock; the chosen seed is logged with the way to pass it
// back.
package testseed

import (
	"os"
	"strconv"
	"testing"
	"time"
)

// Seed returns the seed for a randomized test: flagVal when non-zero, else
// the number in environment variable env (decimal or 0x hex; env may be ""),
// else one taken from the clock. It logs "seed=N" with the flag and variable
// that replay it.
func Seed(t testing.TB, flagVal uint64, flagName, env string) uint64 {
	t.Helper()
	seed := flagVal
	if seed == 0 && env != "" {
		if v, err := strconv.ParseUint(os.Getenv(env), 0, 64); err == nil {
			seed = v
		}
	}
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	how := "-" + flagName + "=" + strconv.FormatUint(seed, 10)
	if env != "" {
		how += " or " + env + "=" + strconv.FormatUint(seed, 10)
	}
	t.Logf("seed=%d (replay with %s)", seed, how)
	return seed
}
