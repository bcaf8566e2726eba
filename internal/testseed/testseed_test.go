package testseed

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSeedPrecedence(t *testing.T) {
	t.Setenv("TESTSEED_X", "0x10")
	assert.Equal(t, uint64(7), Seed(t, 7, "seed", "TESTSEED_X"), "the flag wins")
	assert.Equal(t, uint64(16), Seed(t, 0, "seed", "TESTSEED_X"), "then the environment")
	t.Setenv("TESTSEED_X", "junk")
	assert.NotZero(t, Seed(t, 0, "seed", "TESTSEED_X"), "then the clock")
	assert.NotZero(t, Seed(t, 0, "seed", ""))
}
