// Package crc8 implements CRC-8/CCITT as used by Zephyr's crc8_ccitt
// (lib/crc/crc8_sw.c) and therefore by the FCB end marker: polynomial 0x07,
// processed MSB first, no reflection, no final XOR. The initial value is a
// parameter; FCB always starts from InitialValue (0xFF).
//
// The API is shaped like hash/crc32: Checksum for one-shot use, Update to
// continue a running CRC, and New for a hash.Hash.
package crc8

import "hash"

// Size is the size of a CRC-8 checksum in bytes.
const Size = 1

// Poly is the generator polynomial x^8 + x^2 + x + 1 (MSB-first form).
const Poly = 0x07

// InitialValue is CRC8_CCITT_INITIAL_VALUE, the start value FCB uses.
const InitialValue = 0xFF

// nibble is Zephyr's 16-entry table: the CRC of each 4-bit value shifted
// into the top nibble. It is kept as the reference from which the byte
// table is derived (and tested against).
var nibble = [16]byte{
	0x00, 0x07, 0x0e, 0x09, 0x1c, 0x1b, 0x12, 0x15,
	0x38, 0x3f, 0x36, 0x31, 0x24, 0x23, 0x2a, 0x2d,
}

// table is the byte-at-a-time table: table[b] = CRC register after
// shifting byte b through, starting from 0. Two nibble steps give the same
// result as eight bit steps.
var table = func() (t [256]byte) {
	for i := range t {
		v := byte(i)
		v = (v << 4) ^ nibble[v>>4]
		v = (v << 4) ^ nibble[v>>4]
		t[i] = v
	}
	return t
}()

// slicing8 holds the slicing-by-8 tables: slicing8[k][x] is the CRC
// register after byte x followed by k zero bytes (slicing8[0] = table).
// Because the register is one byte wide, eight input bytes fold into eight
// independent lookups.
var slicing8 = func() (t [8][256]byte) {
	t[0] = table
	for k := 1; k < 8; k++ {
		for x := range 256 {
			t[k][x] = table[t[k-1][x]]
		}
	}
	return t
}()

// Update returns the result of adding the bytes in data to crc.
func Update(crc byte, data []byte) byte {
	for len(data) >= 8 {
		_ = data[7]
		crc = slicing8[7][crc^data[0]] ^ slicing8[6][data[1]] ^ slicing8[5][data[2]] ^
			slicing8[4][data[3]] ^ slicing8[3][data[4]] ^ slicing8[2][data[5]] ^
			slicing8[1][data[6]] ^ slicing8[0][data[7]]
		data = data[8:]
	}
	for _, b := range data {
		crc = table[crc^b]
	}
	return crc
}

// Checksum returns the CRC-8/CCITT of data starting from init. Zephyr's
// crc8_ccitt(init, data, len) returns the same value.
func Checksum(data []byte, init byte) byte {
	return Update(init, data)
}

// digest is a running CRC that implements hash.Hash.
type digest struct {
	crc, init byte
}

// New returns a hash.Hash computing CRC-8/CCITT from init. Sum appends
// the single CRC byte; Reset returns to init; Sum8 reads the CRC directly.
func New(init byte) Hash8 {
	return &digest{crc: init, init: init}
}

func (d *digest) Size() int      { return Size }
func (d *digest) BlockSize() int { return 1 }
func (d *digest) Reset()         { d.crc = d.init }

func (d *digest) Write(p []byte) (int, error) {
	d.crc = Update(d.crc, p)
	return len(p), nil
}

func (d *digest) Sum(in []byte) []byte { return append(in, d.crc) }

// Sum8 returns the current CRC value.
func (d *digest) Sum8() byte { return d.crc }

// Hash8 is implemented by the hash.Hash that New returns: Sum8 gives the
// CRC as a byte without allocating.
type Hash8 interface {
	hash.Hash
	Sum8() byte
}
