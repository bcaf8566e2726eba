package lua

import "math/rand/v2"

// PATCH(random): one math.random generator per state.

// stateRand is a state's math.random generator: a PCG whose whole state is
// two words, so Checkpoint can save it by value.
type stateRand struct {
	pcg rand.PCG
	r   *rand.Rand
}

func newStateRand(seed int64) *stateRand {
	s := &stateRand{}
	s.pcg.Seed(uint64(seed), 0)
	s.r = rand.New(&s.pcg)
	return s
}

// SetRandomSeed seeds the state's math.random generator (shared by its
// coroutines), as math.randomseed(seed) does. A new state starts as if
// seeded with 0, so a script's draws are the same on every run.
func (ls *LState) SetRandomSeed(seed int64) {
	ls.G.rng.pcg.Seed(uint64(seed), 0)
}
