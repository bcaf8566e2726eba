package faults_test

import (
	"context"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/shard"
)

// counts are the additive fields of a Result or LevelStats.
type counts struct{ Branches, Unique, Deduped, Checked, Passed, Failed int }

func (c *counts) add(o counts) {
	c.Branches += o.Branches
	c.Unique += o.Unique
	c.Deduped += o.Deduped
	c.Checked += o.Checked
	c.Passed += o.Passed
	c.Failed += o.Failed
}

func resultCounts(r *faults.Result) counts {
	return counts{r.Branches, r.Unique, r.Deduped, r.Checked, r.Passed, r.Failed}
}

func levelCounts(l faults.LevelStats) counts {
	return counts{l.Branches, l.Unique, l.Deduped, l.Checked, l.Passed, l.Failed}
}

// The shards' summaries add up to the unsharded run's — totals, per-level
// counts, failures and branch lists — at depth 1 and 2, with and without
// dedup (issue 12 item 6: at depth 1 summed branches/unique were ×N, at
// depth 2 summed checked exceeded the unsharded run's).
func TestSweepShardSummariesAddUp(t *testing.T) {
	for _, tc := range []struct {
		name    string
		s       *faults.Sweep
		nodedup bool
	}{
		{"depth1", logSweep("sh1", 12, true), false},
		{"depth1-nodedup", logSweep("sh1", 12, true), true},
		{"depth2", func() *faults.Sweep {
			s := logSweep("sh2", 6, true)
			s.Check, s.Depth = recoverAndCheck, 2
			return s
		}(), false},
		{"depth2-unit", func() *faults.Sweep {
			s := logSweep("sh2u", 4, false)
			s.Check, s.Depth, s.Cuts = recoverAndCheck, 2, faults.Cuts{Mode: faults.CutUnit}
			return s
		}(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := faults.Options{Jobs: 2, NoShrink: true, NoDedup: tc.nodedup, ListBranches: true}
			whole, err := faults.Run(context.Background(), tc.s, o)
			require.NoError(t, err)
			require.NotZero(t, whole.Failed+whole.Passed)
			for _, n := range []int{2, 3} {
				var sum counts
				levels := make([]counts, len(whole.Levels))
				var fails, list []string
				for i := 0; i < n; i++ {
					o.Shard = shard.Shard{Index: i, Total: n}
					r, err := faults.Run(context.Background(), tc.s, o)
					require.NoError(t, err)
					sum.add(resultCounts(r))
					require.Len(t, r.Levels, len(whole.Levels))
					for k, l := range r.Levels {
						levels[k].add(levelCounts(l))
					}
					for _, f := range r.Failures {
						fails = append(fails, f.ID)
					}
					for _, b := range r.List {
						list = append(list, b.ID+" "+b.Verdict+" "+b.DupOf)
					}
					assert.GreaterOrEqual(t, r.Ran, r.Checked)
				}
				assert.Equal(t, resultCounts(whole), sum, "%d shards: totals", n)
				for k, l := range whole.Levels {
					assert.Equal(t, levelCounts(l), levels[k], "%d shards: level %d", n, k+1)
				}
				var wf, wl []string
				for _, f := range whole.Failures {
					wf = append(wf, f.ID)
				}
				for _, b := range whole.List {
					wl = append(wl, b.ID+" "+b.Verdict+" "+b.DupOf)
				}
				slices.Sort(fails)
				slices.Sort(list)
				slices.Sort(wf)
				slices.Sort(wl)
				assert.Equal(t, wf, fails, "%d shards: failures", n)
				assert.Equal(t, wl, list, "%d shards: branch lists", n)
			}
		})
	}
}
