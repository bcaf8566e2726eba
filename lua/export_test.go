package lua

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"

	"github.com/flashemu/flashemu/shard"
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

func TestParseShard(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		in   string
		env  map[string]string
		want shard.Shard
		err  bool
	}{
		{in: "0/2", want: shard.Shard{Index: 0, Total: 2}},
		{in: "3/4", want: shard.Shard{Index: 3, Total: 4}},
		{in: "4/4", err: true},
		{in: "-1/4", err: true},
		{in: "1/0", err: true},
		{in: "x/2", err: true},
		{in: "3", env: map[string]string{"JOB_COMPLETION_INDEX": "2"}, want: shard.Shard{Index: 2, Total: 3}},
		{in: "3", env: map[string]string{"TEST_SHARD_INDEX": "1", "JOB_COMPLETION_INDEX": "2"}, want: shard.Shard{Index: 1, Total: 3}},
		{in: "3", err: true},
	}
	for _, tt := range tests {
		got, err := ParseShard(tt.in, env(tt.env))
		if tt.err {
			assert.ErrorIs(t, err, ErrBadShard, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
	status := filepath.Join(t.TempDir(), "status")
	sh, ok, err := ShardFromEnv(env(map[string]string{"TEST_TOTAL_SHARDS": "4", "TEST_SHARD_INDEX": "2", "TEST_SHARD_STATUS_FILE": status}))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, shard.Shard{Index: 2, Total: 4}, sh)
	assert.FileExists(t, status)
	sh, ok, err = ShardFromEnv(env(map[string]string{"JOB_COMPLETION_INDEX": "1", "FLASHEMU_TOTAL_SHARDS": "2"}))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, shard.Shard{Index: 1, Total: 2}, sh)
	_, ok, err = ShardFromEnv(env(nil))
	assert.NoError(t, err)
	assert.False(t, ok)
}
