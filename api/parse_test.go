package api_test

import (
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/errno"
	"github.com/stretchr/testify/assert"
)

func TestParseUint(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"0", 0, true}, {"4096", 4096, true}, {"0x1000", 0x1000, true}, {"0X1f", 0x1f, true},
		{"010", 8, true}, {"0777", 0777, true}, {"18446744073709551615", 1<<64 - 1, true},
		{"", 0, false}, {"0x", 0, false}, {"08", 0, false}, {"12a", 0, false}, {"-1", 0, false},
		{"+1", 0, false}, {"1_000", 0, false}, {" 1", 0, false}, {"4K", 0, false},
		{"18446744073709551616", 0, false}, {"0x-1", 0, false},
	}
	for _, tt := range tests {
		got, err := api.ParseUint(tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			assert.Equal(t, neg(errno.EINVAL), rc(err), tt.in)
			continue
		}
		assert.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"4K", 4096, true}, {"4k", 4096, true}, {"0x10K", 16 << 10, true}, {"1M", 1 << 20, true},
		{"2G", 2 << 30, true}, {"010K", 8 << 10, true}, {" 512 ", 512, true}, {"4096", 4096, true},
		{"K", 0, false}, {"4KB", 0, false}, {"1.5M", 0, false}, {"-4K", 0, false},
		{"17179869184G", 0, false}, // overflows 64 bits
	}
	for _, tt := range tests {
		got, err := api.ParseSize(tt.in)
		if !tt.ok {
			assert.Error(t, err, tt.in)
			continue
		}
		assert.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}
