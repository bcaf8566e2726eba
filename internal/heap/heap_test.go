package heap

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOver(t *testing.T) {
	h := Bytes()
	assert.Greater(t, h, uint64(0))
	_, over := Over(h+1<<30, 0)
	assert.False(t, over, "a gigabyte of room")
	_, over = Over(1<<20, 1<<30)
	assert.True(t, over, "a gigabyte more than a megabyte limit")
	// Garbage does not count: a big dead allocation is collected first.
	garbage := make([]byte, 64<<20)
	garbage[0] = 1
	garbage = nil
	_ = garbage
	live, _ := Over(0, 0) // forces a collection
	_, over = Over(live+32<<20, 0)
	assert.False(t, over)
}
