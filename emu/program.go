package emu

import "math/bits"

// The program rule of flash cells, in one place: a program moves bits away
// from the erased value only; returning one takes an erase of its unit.

// Violates reports whether programming src over dst asks a programmed bit to
// return to the erased state: any bit with (old^ev) set and (new^ev) clear.
// It reads len(src) bytes of dst and does not allocate.
func Violates(dst, src []byte, ev byte) bool {
	evw := uint64(ev) * 0x0101010101010101
	dst = dst[:len(src)]
	var acc uint64
	for len(src) >= 32 {
		o, n := dst[:32:32], src[:32:32]
		acc |= (le.Uint64(o[0:])^evw)&^(le.Uint64(n[0:])^evw) |
			(le.Uint64(o[8:])^evw)&^(le.Uint64(n[8:])^evw) |
			(le.Uint64(o[16:])^evw)&^(le.Uint64(n[16:])^evw) |
			(le.Uint64(o[24:])^evw)&^(le.Uint64(n[24:])^evw)
		dst, src = dst[32:], src[32:]
	}
	for len(src) >= 8 {
		acc |= (le.Uint64(dst) ^ evw) &^ (le.Uint64(src) ^ evw)
		dst, src = dst[8:], src[8:]
	}
	for i := range src {
		acc |= uint64((dst[i] ^ ev) &^ (src[i] ^ ev))
	}
	return acc != 0
}

// ProgramBits applies the program physics to dst in place,
// stored = ((old^ev)|(data^ev))^ev — a program only moves bits away from the
// erased value ev — and returns the number of bytes that asked a bit to
// return to the erased state (those bytes are stored as physics allows). It
// is the one implementation of the rule: the device, the fault models and the
// partition control all use it. It does not allocate.
func ProgramBits(dst, src []byte, ev byte) (viol int) {
	evw := uint64(ev) * 0x0101010101010101
	dst = dst[:len(src)]
	i := 0
	for ; i+32 <= len(src); i += 32 {
		o, n := dst[i:i+32:i+32], src[i:i+32:i+32]
		o0, n0 := le.Uint64(o[0:])^evw, le.Uint64(n[0:])^evw
		o1, n1 := le.Uint64(o[8:])^evw, le.Uint64(n[8:])^evw
		o2, n2 := le.Uint64(o[16:])^evw, le.Uint64(n[16:])^evw
		o3, n3 := le.Uint64(o[24:])^evw, le.Uint64(n[24:])^evw
		if (o0&^n0 | o1&^n1 | o2&^n2 | o3&^n3) != 0 {
			viol += nonzeroBytes(o0&^n0) + nonzeroBytes(o1&^n1) + nonzeroBytes(o2&^n2) + nonzeroBytes(o3&^n3)
		}
		le.PutUint64(o[0:], (o0|n0)^evw)
		le.PutUint64(o[8:], (o1|n1)^evw)
		le.PutUint64(o[16:], (o2|n2)^evw)
		le.PutUint64(o[24:], (o3|n3)^evw)
	}
	for ; i < len(src); i++ {
		o, n := dst[i]^ev, src[i]^ev
		if o&^n != 0 {
			viol++
		}
		dst[i] = (o | n) ^ ev
	}
	return viol
}

// nonzeroBytes counts the non-zero bytes of v.
func nonzeroBytes(v uint64) int {
	v |= v >> 4
	v |= v >> 2
	v |= v >> 1
	return bits.OnesCount64(v & 0x0101010101010101)
}

// XorBytes sets p[i] ^= m[i] for every i of p (m at least as long): how bit
// masks (flips, torn transitions) are applied.
func XorBytes(p, m []byte) {
	m = m[:len(p)]
	i := 0
	for ; i+8 <= len(p); i += 8 {
		le.PutUint64(p[i:], le.Uint64(p[i:])^le.Uint64(m[i:]))
	}
	for ; i < len(p); i++ {
		p[i] ^= m[i]
	}
}

// AllZero reports whether every byte of b is 0 (an empty bit mask).
func AllZero(b []byte) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if le.Uint64(b[i:]) != 0 {
			return false
		}
	}
	for ; i < len(b); i++ {
		if b[i] != 0 {
			return false
		}
	}
	return true
}

// CountViolations counts the bytes of src that would ask a bit of dst to
// return to the erased state ev (see ProgramBits), changing nothing.
func CountViolations(dst, src []byte, ev byte) int {
	n := 0
	for i, b := range src {
		if (dst[i]^ev)&^(b^ev) != 0 {
			n++
		}
	}
	return n
}

// FirstViolation returns the index of the first byte of data that would ask
// a bit of old to return to the erased state ev, or -1 if programming data
// over old is allowed.
func FirstViolation(old, data []byte, ev byte) int {
	for i, b := range data {
		if (old[i]^ev)&^(b^ev) != 0 {
			return i
		}
	}
	return -1
}
