package faults_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flashemu/flashemu/faults"
)

func TestBranchIDTyped(t *testing.T) {
	id, err := faults.ParseBranchID("fcb:append:41a/3u0v2/t1500:7")
	require.NoError(t, err)
	assert.Equal(t, "fcb:append", id.Sweep)
	assert.Equal(t, uint64(7), id.Seed)
	assert.Equal(t, 3, id.Depth())
	assert.Equal(t, []faults.CutToken{
		{Kind: faults.AfterOp, Op: 41},
		{Kind: faults.InsideOp, Op: 3, Variant: 2},
		{Kind: faults.AtTime, AtNs: 1500},
	}, id.Cuts)
	assert.Equal(t, "41a/3u0v2/t1500", id.Schedule())
	assert.Equal(t, "fcb:append:41a/3u0v2/t1500:7", id.String())
	assert.Equal(t, 41, id.FirstOp(nil))
	assert.Equal(t, 3, id.Cuts[1].FirstOp(nil))
	assert.Equal(t, -1, id.Cuts[2].FirstOp(nil))
	assert.Equal(t, 10, id.Cuts[2].FirstOp(func(ns int64) int { return int(ns / 150) }))
	assert.Equal(t, "after", id.Cuts[0].Kind.String())

	_, err = faults.ParseBranchID("x:12q:1")
	assert.ErrorIs(t, err, faults.ErrBadID)
	_, err = faults.ParseCutToken("u3")
	assert.ErrorIs(t, err, faults.ErrBadID)
}

func TestCutTokenPlace(t *testing.T) {
	tok := func(s string) faults.CutToken {
		c, err := faults.ParseCutToken(s)
		require.NoError(t, err)
		return c
	}
	assert.Equal(t, faults.CutBeforeThis, tok("2b").Place(2, 0, 10))
	assert.Equal(t, faults.CutAfterThis, tok("2a").Place(2, 0, 10))
	assert.Equal(t, faults.CutInsideThis, tok("2u1v3").Place(2, 0, 10))
	assert.Equal(t, faults.NotCut, tok("2b").Place(1, 0, 10))
	assert.Equal(t, faults.NotCut, tok("2b").Place(-1, 0, 10), "a read is never the cut operation")
	// t100: an op spanning 100 is torn; one starting at or after it never ran.
	assert.Equal(t, faults.CutInsideThis, tok("t100").Place(0, 90, 20))
	assert.Equal(t, faults.NotCut, tok("t100").Place(-1, 90, 20), "a read spanning the instant is not torn")
	assert.Equal(t, faults.PastCut, tok("t100").Place(-1, 100, 5))
	assert.Equal(t, faults.NotCut, tok("t100").Place(0, 10, 20))
}

func ExampleParseBranchID() {
	id, err := faults.ParseBranchID("fcb_append:41a/3u0:1")
	if err != nil {
		panic(err)
	}
	for _, c := range id.Cuts {
		fmt.Println(c.Kind, c.Op, c)
	}
	fmt.Println(id.Sweep, id.Seed, id)
	// Output:
	// after 41 41a
	// inside 3 3u0
	// fcb_append 1 fcb_append:41a/3u0:1
}
