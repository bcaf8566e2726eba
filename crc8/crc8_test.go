package crc8

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/flashemu/flashemu/internal/testseed"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var seedFlag = flag.Uint64("seed", 0, "seed for property tests (0: time-based; env CRC8_SEED also works)")

func testSeed(t *testing.T) uint64 {
	return testseed.Seed(t, *seedFlag, "seed", "CRC8_SEED")
}

// bitwise is the textbook MSB-first CRC-8 with polynomial 0x07.
func bitwise(init byte, data []byte) byte {
	crc := init
	for _, b := range data {
		crc ^= b
		for range 8 {
			if crc&0x80 != 0 {
				crc = crc<<1 ^ Poly
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// nibbleWise is Zephyr's crc8_sw.c algorithm: two table lookups per byte.
func nibbleWise(init byte, data []byte) byte {
	crc := init
	for _, b := range data {
		crc ^= b
		crc = crc<<4 ^ nibble[crc>>4]
		crc = crc<<4 ^ nibble[crc>>4]
	}
	return crc
}

func TestGoldenVectors(t *testing.T) {
	// zephyr-reference §1.2 and §2.2.2 worked bytes.
	tests := []struct {
		name string
		data []byte
		init byte
		want byte
	}{
		{"check string", []byte("123456789"), 0xFF, 0xFB},
		{"empty", nil, 0xFF, 0xFF},
		{"single zero", []byte{0x00}, 0xFF, 0xF3},
		{"fcb len3 entry ev ff", []byte{0x03, 0x01, 0x02, 0x03}, 0xFF, 0xA3},
		{"fcb len3 entry ev 00", []byte{0xFC, 0x01, 0x02, 0x03}, 0xFF, 0x72},
		{"fcb torn entry crc (test_fcb_reset)", append([]byte{0x20}, repeat(0xFF, 32)...), 0xFF, 0x45},
		{"probe entry a0..a4", []byte{0x05, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4}, 0xFF, 0xF4},
		{"init zero empty", nil, 0x00, 0x00},
		{"init zero check string", []byte("123456789"), 0x00, 0xF4}, // CRC-8/SMBUS check value
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Checksum(tt.data, tt.init))
			assert.Equal(t, tt.want, bitwise(tt.init, tt.data))
			h := New(tt.init)
			_, err := h.Write(tt.data)
			require.NoError(t, err)
			assert.Equal(t, tt.want, h.Sum8())
			assert.Equal(t, []byte{0xAA, tt.want}, h.Sum([]byte{0xAA}))
		})
	}
}

func repeat(b byte, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = b
	}
	return p
}

func TestTableMatchesNibbleTable(t *testing.T) {
	for i := range 16 {
		assert.Equal(t, nibble[i], bitwise(0, []byte{byte(i)}), "nibble[%d]", i)
	}
	for i := range 256 {
		assert.Equal(t, bitwise(0, []byte{byte(i)}), table[i], "table[%d]", i)
	}
}

func TestPropertyEquivalentForms(t *testing.T) {
	r := rand.New(rand.NewPCG(testSeed(t), 0))
	for range 2000 {
		data := make([]byte, r.IntN(100))
		for i := range data {
			data[i] = byte(r.UintN(256))
		}
		init := byte(r.UintN(256))
		want := bitwise(init, data)
		require.Equal(t, want, Checksum(data, init))
		require.Equal(t, want, nibbleWise(init, data))
		// Splitting the input anywhere gives the same result.
		cut := 0
		if len(data) > 0 {
			cut = r.IntN(len(data) + 1)
		}
		require.Equal(t, want, Update(Update(init, data[:cut]), data[cut:]))
	}
}

func TestHashInterface(t *testing.T) {
	h := New(InitialValue)
	assert.Equal(t, Size, h.Size())
	assert.Equal(t, 1, h.BlockSize())
	_, _ = h.Write([]byte("1234"))
	_, _ = h.Write([]byte("56789"))
	assert.Equal(t, byte(0xFB), h.Sum8())
	h.Reset()
	assert.Equal(t, byte(InitialValue), h.Sum8())
}

func ExampleChecksum() {
	// An FCB entry of length 3 on 0xFF flash: length byte 03, data 01 02 03.
	fmt.Printf("%#02x\n", Checksum([]byte{0x03, 0x01, 0x02, 0x03}, InitialValue))
	// Output: 0xa3
}

func ExampleUpdate() {
	crc := Update(InitialValue, []byte("1234"))
	crc = Update(crc, []byte("56789"))
	fmt.Printf("%#02x\n", crc)
	// Output: 0xfb
}

func BenchmarkChecksum(b *testing.B) {
	for _, n := range []int{32, 4096} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			data := repeat(0x5A, n)
			b.SetBytes(int64(n))
			b.ReportAllocs()
			var sink byte
			for b.Loop() {
				sink ^= Checksum(data, InitialValue)
			}
			_ = sink
		})
	}
}
