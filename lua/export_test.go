package lua

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunTestOutcomes checks the seam luatest runs tests through: the
// declared names, and each outcome kind (pass, failed expectation, raised
// error, skip, pending), each test in a fresh state as luatest runs them.
func TestRunTestOutcomes(t *testing.T) {
	prog, err := CompileString("o_test.lua", `
describe("g", function()
  it("passes", function() expect(1):eq(1) end)
  it("fails", function() expect(1):eq(2) end)
  it("errors", function() error("boom") end)
  it("skips", function() skip("later") end)
  it("pending")
end)
`)
	require.NoError(t, err)
	want := []struct {
		name        string
		failed, exp bool
		skipped     bool
		reason, msg string
	}{
		{name: "g/passes"},
		{name: "g/fails", failed: true, exp: true, msg: "o_test.lua:4:"},
		{name: "g/errors", failed: true, msg: "boom"},
		{name: "g/skips", skipped: true, reason: "later"},
		{name: "g/pending", skipped: true, reason: "pending"},
	}
	for i, w := range want {
		var out bytes.Buffer
		s, err := prog.NewState(Options{TestMode: true, Stdout: &out})
		require.NoError(t, err)
		_, err = prog.Run(context.Background(), s)
		require.NoError(t, err)
		require.Len(t, s.TestNames(), len(want))
		assert.Equal(t, w.name, s.TestNames()[i])
		o := s.RunTest(context.Background(), i)
		if w.failed {
			if assert.NotNil(t, o.Err, w.name) {
				assert.Contains(t, o.Err.Error(), w.msg, w.name)
			}
		} else {
			assert.Nil(t, o.Err, w.name)
		}
		assert.Equal(t, w.exp, o.Expectation, w.name)
		assert.Equal(t, w.skipped, o.Skipped, w.name)
		assert.Equal(t, w.reason, o.Reason, w.name)
		s.Close()
	}
}
