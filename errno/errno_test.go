package errno

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestOf(t *testing.T) {
	sentinel := New("x: y", EFBIG)
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{errors.New("plain"), -5},
		{ENOSPC, -28},
		{sentinel, -27},
		{fmt.Errorf("wrapped: %w", sentinel), -27},
		{Errno(-13), -13},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, Of(tc.err), "%v", tc.err)
	}
}

func TestNames(t *testing.T) {
	n, ok := ByName("-ENOSPC")
	assert.True(t, ok)
	assert.Equal(t, ENOSPC, n)
	_, ok = ByName("ENOPE")
	assert.False(t, ok)
	assert.Equal(t, "EBADMSG (-77)", EBADMSG.Error())
	assert.Equal(t, "E999", Errno(999).Name())
	assert.Equal(t, "ENOMSG", NameOf(-35))
	assert.Equal(t, "x: y", New("x: y", EIO).Error())
}
