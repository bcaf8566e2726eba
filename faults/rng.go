package faults

import (
	"math"
	"math/bits"
)

// rng is splitmix64: tiny, fast, and stable across Go versions, so a seed
// printed today reproduces the same bits tomorrow.
type rng struct{ s uint64 }

const golden = 0x9e3779b97f4a7c15

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// derive makes an independent seed from a seed and a label, so every fault,
// unit and branch draws from its own stream and adding one fault does not
// change the bits another fault produces.
func derive(seed, a uint64) uint64 { return mix64(seed ^ mix64(a+golden)) }

func newRNG(seed uint64) rng { return rng{s: mix64(seed + golden)} }

func (r *rng) next() uint64 {
	r.s += golden
	return mix64(r.s)
}

// float returns a uniform value in [0, 1).
func (r *rng) float() float64 { return float64(r.next()>>11) / (1 << 53) }

// intn returns a value in [0, n) (n > 0); the modulo bias is below 2^-40
// for every n this package uses.
func (r *rng) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return int(r.next() % uint64(n))
}

// maskBits is the precision of mask: probabilities are rounded to 2^-16.
const maskBits = 16

// mask returns 64 bits each set independently with probability p (rounded
// to 1/65536). It composes at most 16 random words by the binary expansion
// of p, so a 4 KiB page costs a few thousand generator steps, not 32768.
func (r *rng) mask(p float64) uint64 {
	if p <= 0 {
		return 0
	}
	if p >= 1 {
		return ^uint64(0)
	}
	q := uint32(p*(1<<maskBits) + 0.5)
	if q == 0 {
		q = 1 // never round a possible event down to impossible
	}
	if q >= 1<<maskBits {
		return ^uint64(0)
	}
	tz := bits.TrailingZeros32(q)
	q >>= uint(tz)
	var m uint64
	for i := tz; i < maskBits; i++ {
		w := r.next()
		if q&1 != 0 {
			m |= w
		} else {
			m &= w
		}
		q >>= 1
	}
	return m
}

// poisson draws a Poisson(lambda) count (Knuth for small lambda, a normal
// approximation above 64).
func (r *rng) poisson(lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 64 {
		// Irwin–Hall approximation of a standard normal: cheap and seeded.
		var s float64
		for i := 0; i < 12; i++ {
			s += r.float()
		}
		v := lambda + (s-6)*math.Sqrt(lambda) + 0.5
		if v < 0 {
			return 0
		}
		return int(v)
	}
	l := math.Exp(-lambda)
	k, p := 0, 1.0
	for {
		p *= r.float()
		if p <= l {
			return k
		}
		k++
	}
}
