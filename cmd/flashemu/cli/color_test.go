package cli

import (
	"bytes"
	"testing"

	"github.com/flashemu/flashemu/luatest"
	"github.com/stretchr/testify/assert"
)

// TestColorStatus: flashemu test colours result words only where colours
// are on (a terminal without NO_COLOR).
func TestColorStatus(t *testing.T) {
	on, off := colors{on: true}, colors{}
	assert.Equal(t, "\x1b[1;31mFAIL\x1b[0m", on.status(luatest.Fail, "FAIL"))
	assert.Equal(t, "\x1b[32mPASS\x1b[0m", on.status(luatest.Pass, "PASS"))
	assert.Equal(t, "SKIP", off.status(luatest.Skip, "SKIP"))
	var b bytes.Buffer
	r := &luatest.TextReporter{W: &b, Style: on.status}
	r.TestDone(luatest.TestResult{File: "a_test.lua", Name: "x", Status: luatest.Fail, Msg: "a_test.lua:1: boom"})
	assert.Contains(t, b.String(), "--- \x1b[1;31mFAIL\x1b[0m: a_test.lua/x")
	assert.Equal(t, colors{}, colorsFor(&b, func(string) string { return "" }), "a buffer is not a terminal")
}
