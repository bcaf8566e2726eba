package fcb

import (
	"encoding/binary"
	"fmt"
)

// On-flash format constants.
const (
	// MaxLen is FCB_MAX_LEN, the largest entry (newest Zephyr accepts it).
	MaxLen = 0x3FFF
	// HeaderSize is sizeof(struct fcb_disk_area).
	HeaderSize = 8
	// FixedEndMarker is the end marker of CRC-disabled FCBs.
	FixedEndMarker = 0xAB
	// crcChunk is FCB_TMP_BUF_SZ: entries are read in chunks of this size
	// when their CRC is computed, as in Zephyr (it decides the device ops).
	crcChunk = 32
)

// NoSector in Loc.Sector means "no sector": GetNext starts from the oldest
// sector, WalkSector walks everything.
const NoSector = -1

// mk32 repeats v in all four bytes (MK32 in fcb_priv.h).
func mk32(v byte) uint32 { return uint32(v) * 0x01010101 }

// DiskMagic is the magic stored in sector headers for user magic m on flash
// erasing to ev: m XOR NOT(ev repeated four times).
func DiskMagic(m uint32, ev byte) uint32 { return m ^ ^mk32(ev) }

// Header is struct fcb_disk_area, the 8-byte little-endian sector header.
type Header struct {
	Magic   uint32 // fd_magic as stored
	Version uint8  // fd_ver (never checked on read)
	Pad     uint8  // _pad: the erase value
	ID      uint16 // fd_id, the sector sequence id
}

// Encode writes the 8 header bytes to b.
func (h Header) Encode(b []byte) {
	binary.LittleEndian.PutUint32(b[0:], h.Magic)
	b[4] = h.Version
	b[5] = h.Pad
	binary.LittleEndian.PutUint16(b[6:], h.ID)
}

// ParseHeader decodes 8 header bytes.
func ParseHeader(b []byte) Header {
	return Header{
		Magic:   binary.LittleEndian.Uint32(b[0:]),
		Version: b[4],
		Pad:     b[5],
		ID:      binary.LittleEndian.Uint16(b[6:]),
	}
}

// idGT is FCB_ID_GT: a plain signed 16-bit comparison, not serial-number
// arithmetic, so id 0x8000 is older than 0x7fff.
func idGT(a, b uint16) bool { return int(int16(a))-int(int16(b)) > 0 }

// PutLen is fcb_put_len: it encodes n into buf (1 or 2 bytes, XORed with
// NOT ev) and returns the count. n > MaxLen (or negative) gives ErrInvalid.
func PutLen(buf []byte, n int, ev byte) (int, error) {
	nx := ^ev
	switch {
	case n < 0 || n > MaxLen:
		return 0, fmt.Errorf("%w: entry length %d (max %d)", ErrInvalid, n, MaxLen)
	case n < 0x80:
		buf[0] = byte(n) ^ nx
		return 1, nil
	default:
		buf[0] = (byte(n) | 0x80) ^ nx
		buf[1] = byte(n>>7) ^ nx
		return 2, nil
	}
}

// GetLen is fcb_get_len: it decodes the length field in buf[0:2] and returns
// the length and the count of length bytes. Both bytes equal to ev (with the
// 2-byte flag set) mean "no entry": ErrNoEntry (ENOTSUP). Like Zephyr it
// does not range-check the result, which can reach 0x7FFF.
func GetLen(buf []byte, ev byte) (n, cnt int, err error) {
	n, cnt = getLen(buf, ev)
	if cnt < 0 {
		return 0, 0, ErrNoEntry
	}
	return n, cnt, nil
}

func getLen(buf []byte, ev byte) (n, cnt int) {
	nx := ^ev
	x0 := buf[0] ^ nx
	if x0&0x80 != 0 {
		if buf[0] == ev && buf[1] == ev {
			return 0, rcENOTSUP
		}
		return int(x0&0x7f) | int(buf[1]^nx)<<7, 2
	}
	return int(x0), 1
}
