package shard_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flashemu/flashemu/shard"
)

func env(kv ...string) func(string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestParse(t *testing.T) {
	s, err := shard.Parse("1/3", env())
	require.NoError(t, err)
	assert.Equal(t, shard.Shard{Index: 1, Total: 3}, s)
	assert.Equal(t, "1/3", s.String())
	s, err = shard.Parse("4", env("TEST_SHARD_INDEX", "2"))
	require.NoError(t, err)
	assert.Equal(t, shard.Shard{Index: 2, Total: 4}, s)
	s, err = shard.Parse("4", env("JOB_COMPLETION_INDEX", "3"))
	require.NoError(t, err)
	assert.Equal(t, shard.Shard{Index: 3, Total: 4}, s)
	for _, bad := range []string{"", "3/3", "-1/2", "a/2", "1/0", "1/x", "4"} {
		_, err := shard.Parse(bad, env())
		assert.ErrorIs(t, err, shard.ErrBad, "%q", bad)
	}
}

func TestFromEnv(t *testing.T) {
	status := filepath.Join(t.TempDir(), "status")
	s, ok, err := shard.FromEnv(env("TEST_TOTAL_SHARDS", "4", "TEST_SHARD_INDEX", "1", "TEST_SHARD_STATUS_FILE", status))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, shard.Shard{Index: 1, Total: 4}, s)
	_, err = os.Stat(status)
	assert.NoError(t, err, "Bazel's status file is touched")

	s, ok, err = shard.FromEnv(env("JOB_COMPLETION_INDEX", "2", "FLASHEMU_TOTAL_SHARDS", "5"))
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, shard.Shard{Index: 2, Total: 5}, s)

	_, ok, err = shard.FromEnv(env("JOB_COMPLETION_INDEX", "2"))
	assert.ErrorIs(t, err, shard.ErrBad, "an index without a total is a usage error, not the whole run")
	assert.False(t, ok)
	assert.Contains(t, err.Error(), "FLASHEMU_TOTAL_SHARDS")

	_, ok, err = shard.FromEnv(env())
	assert.NoError(t, err)
	assert.False(t, ok)
}

func TestOwnsPartitions(t *testing.T) {
	for n := 1; n <= 4; n++ {
		for j := 0; j < 20; j++ {
			owners, selectors := 0, 0
			for i := 0; i < n; i++ {
				s := shard.Shard{Index: i, Total: n}
				if s.Owns(j) {
					owners++
				}
				if s.Selects(string(rune('a' + j))) {
					selectors++
				}
			}
			assert.Equal(t, 1, owners, "item %d of %d shards", j, n)
			assert.Equal(t, 1, selectors, "item %d of %d shards", j, n)
		}
	}
	assert.True(t, shard.Shard{}.Owns(7))
	assert.True(t, shard.Shard{}.Selects("x"))
	assert.NoError(t, shard.Shard{}.Validate())
	assert.Error(t, shard.Shard{Index: 2, Total: 2}.Validate())
}

func TestReasonDropsThePackagePrefix(t *testing.T) {
	_, err := shard.Parse("2/2", func(string) string { return "" })
	require.ErrorIs(t, err, shard.ErrBad)
	assert.Equal(t, `bad shard "2/2": want I/N with 0 <= I < N`, shard.Reason(err))
	assert.Equal(t, "other", shard.Reason(errors.New("other")))
}
