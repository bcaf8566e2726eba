package emu

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The program rule on both erase values: bits only move away from ev.
func TestProgramRule(t *testing.T) {
	for _, ev := range []byte{0xff, 0x00} {
		old := []byte{ev, ev ^ 0x0f, ev ^ 0xf0}
		data := []byte{ev ^ 0x01, ev, ev ^ 0x0f}
		assert.Equal(t, 2, CountViolations(old, data, ev), "ev %#x", ev)
		assert.True(t, Violates(old, data, ev))
		assert.Equal(t, 1, FirstViolation(old, data, ev), "byte 0 only adds bits: allowed; byte 1 would erase four")
		dst := append([]byte(nil), old...)
		assert.Equal(t, 2, ProgramBits(dst, data, ev))
		assert.Equal(t, []byte{ev ^ 0x01, ev ^ 0x0f, ev ^ 0xff}, dst, "stored = ((old^ev)|(data^ev))^ev")
		assert.False(t, Violates(dst, dst, ev), "reprogramming the same bits is allowed")
		assert.Equal(t, -1, FirstViolation(dst, dst, ev))
	}
	m := []byte{1, 2, 0}
	p := []byte{1, 0, 7}
	XorBytes(p, m)
	assert.Equal(t, []byte{0, 2, 7}, p)
	assert.True(t, AllZero(make([]byte, 17)))
	assert.False(t, AllZero(append(make([]byte, 16), 1)))
}
