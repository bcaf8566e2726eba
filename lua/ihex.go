package lua

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"sort"

	"github.com/flashemu/flashemu/emu"
)

// HexImage is the content of an Intel HEX file: data records placed at
// absolute addresses.
type HexImage struct {
	// Segments are the contiguous runs of data, sorted by address.
	Segments []HexSegment
}

// HexSegment is one contiguous run of data.
type HexSegment struct {
	Addr uint32
	Data []byte
}

// Base is the lowest address holding data (0 for an empty image).
func (h *HexImage) Base() uint32 {
	if len(h.Segments) == 0 {
		return 0
	}
	return h.Segments[0].Addr
}

// End is one past the highest address holding data.
func (h *HexImage) End() uint32 {
	if len(h.Segments) == 0 {
		return 0
	}
	last := h.Segments[len(h.Segments)-1]
	return last.Addr + uint32(len(last.Data))
}

// Flatten returns the bytes from Base to End, gaps filled with fill.
func (h *HexImage) Flatten(fill byte) []byte {
	out := bytes.Repeat([]byte{fill}, int(h.End()-h.Base()))
	for _, s := range h.Segments {
		copy(out[s.Addr-h.Base():], s.Data)
	}
	return out
}

// isIntelHex guesses whether data is an Intel HEX file: text whose first
// non-blank character is ':' followed by hex digits.
func isIntelHex(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n")
	if len(t) < 11 || t[0] != ':' {
		return false
	}
	for _, c := range t[1:11] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

// ParseIntelHex parses Intel HEX (record types 00 data, 01 end of file,
// 02 extended segment address, 04 extended linear address; 03 and 05,
// start addresses, are ignored). Checksums are verified.
func ParseIntelHex(data []byte) (*HexImage, error) {
	var base uint32
	chunks := map[uint32][]byte{}
	lineNo := 0
	eof := false
	for _, line := range bytes.Split(data, []byte("\n")) {
		lineNo++
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		if eof {
			break
		}
		if line[0] != ':' {
			return nil, fmt.Errorf("%w: intel hex line %d: missing ':'", emu.ErrCorruptImage, lineNo)
		}
		rec, err := hex.DecodeString(string(line[1:]))
		if err != nil || len(rec) < 5 || len(rec) != int(rec[0])+5 {
			return nil, fmt.Errorf("%w: intel hex line %d: malformed record", emu.ErrCorruptImage, lineNo)
		}
		var sum byte
		for _, b := range rec {
			sum += b
		}
		if sum != 0 {
			return nil, fmt.Errorf("%w: intel hex line %d: bad checksum", emu.ErrCorruptImage, lineNo)
		}
		n := int(rec[0])
		addr := uint32(rec[1])<<8 | uint32(rec[2])
		payload := rec[4 : 4+n]
		switch rec[3] {
		case 0x00:
			a := base + addr
			if uint64(a)+uint64(n) > uint64(emu.MaxDeviceSize) || uint64(a)+uint64(n) > 1<<32 {
				return nil, fmt.Errorf("%w: intel hex line %d: address out of range", emu.ErrCorruptImage, lineNo)
			}
			chunks[a] = append([]byte(nil), payload...)
		case 0x01:
			eof = true
		case 0x02:
			if n != 2 {
				return nil, fmt.Errorf("%w: intel hex line %d: bad segment record", emu.ErrCorruptImage, lineNo)
			}
			base = (uint32(payload[0])<<8 | uint32(payload[1])) << 4
		case 0x04:
			if n != 2 {
				return nil, fmt.Errorf("%w: intel hex line %d: bad linear address record", emu.ErrCorruptImage, lineNo)
			}
			base = (uint32(payload[0])<<8 | uint32(payload[1])) << 16
		case 0x03, 0x05:
		default:
			return nil, fmt.Errorf("%w: intel hex line %d: unknown record type %02x", emu.ErrCorruptImage, lineNo, rec[3])
		}
	}
	addrs := make([]uint32, 0, len(chunks))
	for a := range chunks {
		addrs = append(addrs, a)
	}
	sort.Slice(addrs, func(i, j int) bool { return addrs[i] < addrs[j] })
	img := &HexImage{}
	for _, a := range addrs {
		d := chunks[a]
		if k := len(img.Segments); k > 0 {
			last := &img.Segments[k-1]
			end := last.Addr + uint32(len(last.Data))
			if a < end {
				return nil, fmt.Errorf("%w: intel hex records overlap at 0x%x", emu.ErrCorruptImage, a)
			}
			if a == end {
				last.Data = append(last.Data, d...)
				continue
			}
		}
		img.Segments = append(img.Segments, HexSegment{Addr: a, Data: d})
	}
	if img.End()-img.Base() > 1<<30 {
		return nil, fmt.Errorf("%w: intel hex image spans more than 1 GiB", emu.ErrCorruptImage)
	}
	return img, nil
}

// ReadImage reads a raw or Intel HEX image file into bytes (HEX is
// flattened from its lowest address with gaps filled with fill).
func ReadImage(path string, fill byte) (data []byte, hexBase uint32, isHex bool, err error) {
	data, err = readFileLimited(path)
	if err != nil {
		return nil, 0, false, err
	}
	if !isIntelHex(data) {
		return data, 0, false, nil
	}
	img, err := ParseIntelHex(data)
	if err != nil {
		return nil, 0, true, fmt.Errorf("%s: %w", path, err)
	}
	return img.Flatten(fill), img.Base(), true, nil
}
