package faults

import (
	"math"
	"math/bits"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMaskProbability(t *testing.T) {
	for _, p := range []float64{0, 1e-9, 0.01, 0.25, 0.5, 0.6180339, 0.9, 1} {
		r := newRNG(42)
		const words = 4000
		ones := 0
		for i := 0; i < words; i++ {
			ones += bits.OnesCount64(r.mask(p))
		}
		got := float64(ones) / (words * 64)
		want := p
		if p > 0 && p < 1.0/(1<<maskBits) {
			want = 1.0 / (1 << maskBits) // never rounded down to impossible
		}
		sigma := math.Sqrt(want*(1-want)/(words*64)) + 1e-9
		assert.InDelta(t, want, got, 6*sigma+1.0/(1<<maskBits), "p=%v", p)
	}
}

func TestSelectBitsSubsets(t *testing.T) {
	pend := []byte{0xf0, 0x00, 0x0f, 0xff, 0x01, 0, 0, 0, 0x80, 0x3c, 0x55}
	total := 0
	for _, b := range pend {
		total += bits.OnesCount8(b)
	}
	sel := make([]byte, len(pend))
	for seed := uint64(0); seed < 50; seed++ {
		r := newRNG(seed)
		for _, sub := range []subset{subsetRandom, subsetOne, subsetAllButOne} {
			selectBits(pend, sel, 0.5, sub, &r)
			n := 0
			for i := range sel {
				require.Zero(t, sel[i]&^pend[i], "selected a bit that was not pending")
				n += bits.OnesCount8(sel[i])
			}
			switch sub {
			case subsetOne:
				assert.Equal(t, 1, n)
			case subsetAllButOne:
				assert.Equal(t, total-1, n)
			}
		}
	}
	r := newRNG(1)
	selectBits(pend, sel, 0, subsetRandom, &r)
	assert.True(t, emu.AllZero(sel))
	selectBits(pend, sel, 1, subsetRandom, &r)
	assert.Equal(t, pend, sel)
}

func TestDeriveIndependent(t *testing.T) {
	seen := map[uint64]bool{}
	for s := uint64(0); s < 4; s++ {
		for a := uint64(0); a < 256; a++ {
			v := derive(s, a)
			require.False(t, seen[v])
			seen[v] = true
		}
	}
}

func TestPoissonMean(t *testing.T) {
	for _, l := range []float64{0.1, 3, 50, 500} {
		r := newRNG(7)
		sum := 0
		const n = 4000
		for i := 0; i < n; i++ {
			sum += r.poisson(l)
		}
		assert.InDelta(t, l, float64(sum)/n, 6*math.Sqrt(l/n)+0.01*l, "lambda=%v", l)
	}
}
