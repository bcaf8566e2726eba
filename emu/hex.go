package emu

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/flashemu/flashemu/internal/atomicfile"
	"github.com/flashemu/flashemu/internal/fsroot"
)

// Intel HEX images. Records: data (00), end of file (01), extended segment
// address (02), start segment address (03, ignored), extended linear
// address (04), start linear address (05, ignored). Addresses are device
// offsets plus a base (Zephyr's hex files carry the flash base, e.g.
// 0x08000000 on STM32).
//
// One rule set, used by every reader: a file must end with an end-of-file
// record (a truncated file is refused), records may not overlap (a file
// that writes a byte twice is refused, whatever order the records come in),
// lines are at most MaxHexLine bytes and the data spans at most
// MaxDeviceSize bytes.
//
// The base is kept: WriteHex always writes the extended linear address
// record of the base and the first 16-byte line (at the base itself) even
// when it is erased, so the lowest address of a file written here is its
// base (HexImage.Base).

// MaxHexLine is the longest Intel HEX line accepted (a record holds at most
// 255 data bytes, 523 characters).
const MaxHexLine = 1 << 12

// HexImage is the content of an Intel HEX file: data records placed at
// absolute addresses.
type HexImage struct {
	// Segments are the contiguous runs of data, sorted by address, not
	// overlapping.
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

// End is one past the highest address holding data (as int64: it may be
// 1<<32).
func (h *HexImage) End() int64 {
	if len(h.Segments) == 0 {
		return 0
	}
	last := h.Segments[len(h.Segments)-1]
	return int64(last.Addr) + int64(len(last.Data))
}

// Flatten returns the bytes from Base to End, gaps filled with fill.
func (h *HexImage) Flatten(fill byte) []byte {
	out := bytes.Repeat([]byte{fill}, int(h.End()-int64(h.Base())))
	for _, s := range h.Segments {
		copy(out[s.Addr-h.Base():], s.Data)
	}
	return out
}

// IsHexName reports whether a file name says Intel HEX (.hex, .ihex, .ihx,
// any case): the format of an image file comes from its name (or an
// explicit choice), never from its content.
func IsHexName(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".hex", ".ihex", ".ihx":
		return true
	}
	return false
}

// IsHex guesses whether data (the start of a file is enough) is Intel HEX:
// text whose first non-blank character is ':' followed by ten hex digits.
// Callers that know the file name should prefer it (a raw image may start
// like a hex record).
func IsHex(data []byte) bool {
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

// ImageData returns the data-area bytes of an image file's contents:
// raw bytes as they are, Intel HEX (recognised by IsHex) flattened from its
// lowest address with gaps filled with fill. isHex reports which it was.
func ImageData(data []byte, fill byte) (out []byte, isHex bool, err error) {
	if !IsHex(data) {
		return data, false, nil
	}
	h, err := ParseHex(bytes.NewReader(data))
	if err != nil {
		return nil, true, err
	}
	return h.Flatten(fill), true, nil
}

// ParseHex reads an Intel HEX file. A malformed record, a bad checksum, a
// line longer than MaxHexLine, overlapping records, data spanning more than
// MaxDeviceSize bytes or a missing end-of-file record give an error wrapping
// ErrCorruptImage with the line number. Records after the end-of-file
// record are ignored.
func ParseHex(r io.Reader) (*HexImage, error) { return ParseHexLimit(r, MaxDeviceSize) }

// ParseHexLimit is ParseHex refusing files with more than limit data bytes
// as soon as they pass it (ReadHex passes the device size).
func ParseHexLimit(r io.Reader, limit int64) (*HexImage, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), MaxHexLine)
	var upper uint32 // extended address (segment << 4, or linear << 16)
	line := 0
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: hex line %d: %s", ErrCorruptImage, line, fmt.Sprintf(format, a...))
	}
	type rec struct {
		addr int64
		data []byte
		line int
	}
	var recs []rec
	var total int64
	eof := false
	for !eof && sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		if s[0] != ':' {
			return nil, bad("record does not start with ':'")
		}
		b, err := hex.DecodeString(s[1:])
		if err != nil {
			return nil, bad("%v", err)
		}
		if len(b) < 5 || int(b[0])+5 != len(b) {
			return nil, bad("record length %d does not match its byte count", len(b))
		}
		var sum byte
		for _, c := range b {
			sum += c
		}
		if sum != 0 {
			return nil, bad("checksum mismatch")
		}
		n, addr, typ, data := int(b[0]), uint32(b[1])<<8|uint32(b[2]), b[3], b[4:4+int(b[0])]
		switch typ {
		case 0x00:
			if n == 0 {
				continue
			}
			a := int64(upper) + int64(addr)
			if a+int64(n) > 1<<32 {
				return nil, bad("%d bytes at 0x%x run past 4 GiB", n, a)
			}
			if total += int64(n); total > limit {
				return nil, bad("more than %d bytes of data", limit)
			}
			recs = append(recs, rec{a, data, line})
		case 0x01:
			eof = true
		case 0x02:
			if n != 2 {
				return nil, bad("extended segment address needs 2 bytes")
			}
			upper = (uint32(data[0])<<8 | uint32(data[1])) << 4
		case 0x04:
			if n != 2 {
				return nil, bad("extended linear address needs 2 bytes")
			}
			upper = (uint32(data[0])<<8 | uint32(data[1])) << 16
		case 0x03, 0x05:
			// start address: not flash content
		default:
			return nil, bad("unknown record type 0x%02x", typ)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%w: hex line %d: longer than %d bytes", ErrCorruptImage, line+1, MaxHexLine)
		}
		return nil, fmt.Errorf("%w: hex line %d: %w", ErrCorruptImage, line+1, err)
	}
	if !eof {
		return nil, fmt.Errorf("%w: hex file has no end-of-file record (truncated?)", ErrCorruptImage)
	}
	slices.SortStableFunc(recs, func(a, b rec) int {
		switch {
		case a.addr < b.addr:
			return -1
		case a.addr > b.addr:
			return 1
		}
		return 0
	})
	h := &HexImage{}
	for _, r := range recs {
		if k := len(h.Segments); k > 0 {
			last := &h.Segments[k-1]
			end := int64(last.Addr) + int64(len(last.Data))
			if r.addr < end {
				return nil, fmt.Errorf("%w: hex line %d: record at 0x%x overlaps an earlier record (up to 0x%x)", ErrCorruptImage, r.line, r.addr, end)
			}
			if r.addr == end {
				last.Data = append(last.Data, r.data...)
				continue
			}
		}
		h.Segments = append(h.Segments, HexSegment{Addr: uint32(r.addr), Data: append([]byte(nil), r.data...)})
	}
	return h, nil
}

// HexBase is the base to load h with when none is given: its lowest
// address, which must be aligned to an erase unit of d (files written by
// WriteHex always start at their base). Anything else is ambiguous and
// refused with ErrCorruptImage: pass the base explicitly.
func (d *Device) HexBase(h *HexImage) (uint32, error) {
	b := h.Base()
	if len(h.Segments) == 0 {
		return 0, nil
	}
	_, size := d.Unit(0)
	if int64(b)%size != 0 {
		return 0, fmt.Errorf("%w: hex data starts at 0x%x, not on an erase-unit boundary (%d bytes): the base is ambiguous, give it explicitly", ErrCorruptImage, b, size)
	}
	return b, nil
}

// LoadHexImage writes h into the device's data area as a raw load (like
// Poke), subtracting base from every address. Bytes the image does not
// mention keep their content. Data below base or past the device is an
// error wrapping ErrCorruptImage; nothing is written then.
func (d *Device) LoadHexImage(h *HexImage, base uint32) error {
	for _, s := range h.Segments {
		a := int64(s.Addr) - int64(base)
		if a < 0 || !d.g.inRange(a, int64(len(s.Data))) {
			return fmt.Errorf("%w: hex: %d bytes at 0x%x outside the %d-byte device (base 0x%x)", ErrCorruptImage, len(s.Data), s.Addr, d.g.size, base)
		}
	}
	for _, s := range h.Segments {
		if err := d.Poke(int64(s.Addr)-int64(base), s.Data); err != nil {
			return fmt.Errorf("%w: hex: %w", ErrCorruptImage, err)
		}
	}
	return nil
}

// ReadHex loads Intel HEX from r into the device's data area (ParseHex,
// bounded by the device size, then LoadHexImage with base).
func (d *Device) ReadHex(r io.Reader, base uint32) error {
	h, err := ParseHexLimit(r, d.g.size)
	if err != nil {
		return err
	}
	return d.LoadHexImage(h, base)
}

// ReadHexAutoBase is ReadHex with the base taken from the file (HexBase)
// and returned.
func (d *Device) ReadHexAutoBase(r io.Reader) (uint32, error) {
	h, err := ParseHexLimit(r, d.g.size)
	if err != nil {
		return 0, err
	}
	base, err := d.HexBase(h)
	if err != nil {
		return 0, err
	}
	return base, d.LoadHexImage(h, base)
}

// LoadHex creates a device from cfg and loads the Intel HEX file at path
// into it (see ReadHex).
func LoadHex(path string, cfg Config, base uint32) (*Device, error) {
	d, err := New(cfg)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptImage, err)
	}
	defer f.Close()
	if err := d.ReadHex(f, base); err != nil {
		return nil, err
	}
	return d, nil
}

// SaveHex writes the device's data area to path in fsys (nil: the plain
// file system) as Intel HEX with base added to every address (WriteHex),
// atomically: a crash leaves the old file or the new one. Missing
// directories are made.
func (d *Device) SaveHex(path string, base uint32, fsys fsroot.FS) error {
	fsys = fsroot.Or(fsys)
	if err := prepareSave(fsys, path); err != nil {
		return err
	}
	a, err := atomicfile.Create(fsys, path)
	if err != nil {
		return err
	}
	if err := d.WriteHex(a, base); err != nil {
		a.Abort()
		return err
	}
	return a.Commit()
}

// WriteHex writes the device's data area as Intel HEX (16-byte data records
// with extended linear address records; erased 16-byte lines are skipped
// except the first), with base (a multiple of 16) added to every address.
// The file always starts with the extended linear address record of the
// base and the line at the base, so its lowest address is the base and a
// loader recovers it (HexBase).
func (d *Device) WriteHex(w io.Writer, base uint32) error {
	if int64(base)+d.g.size > 1<<32 || base%16 != 0 {
		return fmt.Errorf("%w: hex base 0x%x must be 16-aligned and the device must fit below 4 GiB", ErrInvalid, base)
	}
	bw := bufio.NewWriter(w)
	rec := make([]byte, 0, 32)
	txt := make([]byte, 0, 80)
	record := func(typ byte, addr uint16, data []byte) {
		rec = append(append(rec[:0], byte(len(data)), byte(addr>>8), byte(addr), typ), data...)
		var sum byte
		for _, b := range rec {
			sum += b
		}
		rec = append(rec, -sum)
		txt = append(txt[:0], ':')
		txt = hex.AppendEncode(txt, rec)
		for i, c := range txt {
			if c >= 'a' && c <= 'f' {
				txt[i] = c - 'a' + 'A'
			}
		}
		txt = append(txt, '\n')
		_, _ = bw.Write(txt)
	}
	buf := make([]byte, 16)
	upper := int64(-1)
	for off := int64(0); off < d.g.size; off += 16 {
		n := min(16, d.g.size-off)
		_ = d.Peek(off, buf[:n])
		if off > 0 && isFilled(buf[:n], d.g.ev) {
			continue
		}
		a := int64(base) + off
		if a>>16 != upper {
			upper = a >> 16
			record(0x04, 0, []byte{byte(upper >> 8), byte(upper)})
		}
		record(0x00, uint16(a), buf[:n])
	}
	record(0x01, 0, nil)
	return bw.Flush()
}
