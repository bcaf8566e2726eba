package api

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFormatSizeRoundTrips(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{{0, "0"}, {100, "100"}, {1024, "1K"}, {4096, "4K"}, {1536, "1536"}, {1 << 20, "1M"}, {3 << 30, "3G"}, {(1 << 30) + 1024, "1048577K"}} {
		got := FormatSize(tc.n)
		assert.Equal(t, tc.want, got, "FormatSize(%d)", tc.n)
		back, err := ParseSize(got)
		require.NoError(t, err)
		assert.Equal(t, uint64(tc.n), back, "ParseSize(FormatSize(%d))", tc.n)
	}
}
