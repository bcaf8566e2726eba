package report

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGroupFailures(t *testing.T) {
	fs := []Failure{
		{ID: "s:10a:1", Op: 10, Error: "a.lua:1: lost 3"},
		{ID: "s:2a:1", Op: 2, Error: "a.lua:2: torn at 0x10"},
		{ID: "s:9u1:1", Op: 9, Error: "a.lua:1: lost 4", Shrunk: "s:9b:1"},
		{ID: "s:9a:1", Op: 9, Error: "a.lua:1: lost 5"},
		{ID: "s:3a:1", Op: 3, Error: "a.lua:2: torn at 0x20"},
		{ID: "s:1a:1", Op: 1, Error: "a.lua:3: crc"},
	}
	gs := groupFailures(fs)
	require.Len(t, gs, 3)
	assert.Equal(t, "a.lua:1: lost N", gs[0].Class, "biggest group first")
	assert.Equal(t, []string{"s:9a:1", "s:9u1:1", "s:10a:1"}, ids(gs[0].Failures), "cut order, numbers compared as numbers")
	assert.Equal(t, "s:9a:1", gs[0].first().ID)
	assert.Equal(t, "s:10a:1", gs[0].last().ID)
	assert.Equal(t, "s:9b:1", gs[0].shrunk(), "a shrunk form of any member")
	assert.Equal(t, "s:9b:1", gs[0].replayID())
	assert.Equal(t, "9–10", gs[0].opRange())
	assert.Equal(t, "a.lua:2: torn at 0xN", gs[1].Class, "ties: earliest cut first")
	assert.Equal(t, "a.lua:3: crc", gs[2].Class)
	assert.Equal(t, "s:1a:1", gs[2].replayID())
	assert.Equal(t, "1", gs[2].opRange())
	assert.Empty(t, groupFailures(nil))
}

func ids(fs []Failure) []string {
	var s []string
	for _, f := range fs {
		s = append(s, f.ID)
	}
	return s
}

func TestNaturalLess(t *testing.T) {
	assert.True(t, naturalLess("s:9a:1", "s:10a:1"))
	assert.False(t, naturalLess("s:10a:1", "s:9a:1"))
	assert.True(t, naturalLess("s:9a:1", "s:9u1:1"))
	assert.True(t, naturalLess("a", "ab"))
	assert.False(t, naturalLess("a", "a"))
}

func TestReplayCommand(t *testing.T) {
	assert.Equal(t, "flashemu sweep scripts/a.lua --only fcb:3a/1u0:7 --dump sweep-dump", replayCommand("scripts/a.lua", "fcb:3a/1u0:7"))
	assert.Equal(t, `flashemu sweep 'my dir/a.lua' --only 'it'\''s:3a:7' --dump sweep-dump`, replayCommand("my dir/a.lua", "it's:3a:7"))
	assert.Equal(t, "flashemu sweep SCRIPT.lua --only x:1a:0 --dump sweep-dump", replayCommand("", "x:1a:0"))
}

// TestSweepHTMLSizeBounded: a 100,000-operation sweep with ~1,200 failures
// gives a page of a few MB, not tens; the per-group branch list is capped.
func TestSweepHTMLSizeBounded(t *testing.T) {
	s := syntheticSweep("big", 100_000, 3)
	require.Greater(t, len(s.Failures), maxListed)
	var b bytes.Buffer
	require.NoError(t, WriteHTML(&b, []Sweep{s}))
	assert.Less(t, b.Len(), 3<<20)
	assert.Contains(t, b.String(), "more (flashemu sweep --json lists them all)")
	t.Logf("100k operations, %d failures: %d bytes", len(s.Failures), b.Len())
}

// TestSweepHTMLWithoutTimeline: the CLI today knows only the per-operation
// outcomes; the page says that kinds and addresses were not recorded and
// has no per-op columns.
func TestSweepHTMLWithoutTimeline(t *testing.T) {
	s := Sweep{Name: "x", Ops: 3, PerOp: []OpOutcome{{2, 0}, {2, 1}, {2, 0}},
		Failures: []Failure{{ID: "x:1a:0", Op: 1, Error: "x.lua:1: boom"}}}
	d := timelineData(&s, groupFailures(s.Failures))
	assert.Equal(t, 3, d.N)
	assert.Empty(t, d.K)
	assert.Equal(t, []int{2, 2, 2}, d.B)
	assert.Equal(t, []int{0, 1, 0}, d.F)
	require.Len(t, d.Groups, 1)
	assert.Equal(t, []int{1}, d.Groups[0].Ops)
}

func TestTimelineDataDeltas(t *testing.T) {
	s := Sweep{Name: "x", Timeline: []OpInfo{
		{Kind: "erase", Addr: 4096, Len: 4096, TimeNs: 0, DurNs: 100, Acked: 0},
		{Kind: "program", Addr: 4096, Len: 16, TimeNs: 100, DurNs: 10, Acked: 1},
		{Kind: "program", Addr: 4112, Len: 16, TimeNs: 110, DurNs: 10, Acked: 1},
	}}
	d := timelineData(&s, nil)
	assert.Equal(t, 3, d.N, "Ops defaults to the timeline's length")
	assert.Equal(t, []string{"erase", "program"}, d.Kinds)
	assert.Equal(t, "011", d.K)
	assert.Equal(t, []int64{4096, 0, 16}, d.A)
	assert.Equal(t, []int64{0, 100, 10}, d.T)
	assert.Equal(t, []int{0, 1, 0}, d.Ack)
	assert.Equal(t, int64(10), d.D)
}
