package emu

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
)

// Intel HEX images. Records: data (00), end of file (01), extended segment
// address (02), start segment address (03, ignored), extended linear
// address (04), start linear address (05, ignored). Addresses are device
// offsets plus an optional base (Zephyr's hex files carry the flash base,
// e.g. 0x08000000 on STM32).

// ReadHex loads Intel HEX from r into the device's data area as a raw load
// (like Poke), subtracting base from every address. Bytes the file does not
// mention keep their content. A malformed record, a bad checksum, data
// outside the device or a missing end record give an error wrapping
// ErrCorruptImage with the line number.
func (d *Device) ReadHex(r io.Reader, base uint32) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), 1<<16)
	var upper uint32 // extended address (segment << 4, or linear << 16)
	line := 0
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: hex line %d: %s", ErrCorruptImage, line, fmt.Sprintf(format, a...))
	}
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" {
			continue
		}
		if s[0] != ':' {
			return bad("record does not start with ':'")
		}
		rec, err := hex.DecodeString(s[1:])
		if err != nil {
			return bad("%v", err)
		}
		if len(rec) < 5 || int(rec[0])+5 != len(rec) {
			return bad("record length %d does not match its byte count", len(rec))
		}
		var sum byte
		for _, b := range rec {
			sum += b
		}
		if sum != 0 {
			return bad("checksum mismatch")
		}
		n, addr, typ, data := int(rec[0]), uint32(rec[1])<<8|uint32(rec[2]), rec[3], rec[4:4+int(rec[0])]
		switch typ {
		case 0x00:
			a := int64(upper) + int64(addr) - int64(base)
			if a < 0 || !d.g.inRange(a, int64(n)) {
				return bad("%d bytes at 0x%x outside the %d-byte device (base 0x%x)", n, int64(upper)+int64(addr), d.g.size, base)
			}
			if err := d.Poke(a, data); err != nil {
				return bad("%v", err)
			}
		case 0x01:
			return nil
		case 0x02:
			if n != 2 {
				return bad("extended segment address needs 2 bytes")
			}
			upper = (uint32(data[0])<<8 | uint32(data[1])) << 4
		case 0x04:
			if n != 2 {
				return bad("extended linear address needs 2 bytes")
			}
			upper = (uint32(data[0])<<8 | uint32(data[1])) << 16
		case 0x03, 0x05:
			// start address: not flash content
		default:
			return bad("unknown record type 0x%02x", typ)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%w: hex line %d: %w", ErrCorruptImage, line+1, err)
	}
	return fmt.Errorf("%w: hex file has no end-of-file record", ErrCorruptImage)
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

// WriteHex writes the device's data area as Intel HEX (16-byte data records
// with extended linear address records; erased 16-byte lines are skipped),
// with base (a multiple of 16) added to every address.
func (d *Device) WriteHex(w io.Writer, base uint32) error {
	if int64(base)+d.g.size > 1<<32 || base%16 != 0 {
		return fmt.Errorf("%w: hex base 0x%x must be 16-aligned and the device must fit below 4 GiB", ErrInvalid, base)
	}
	bw := bufio.NewWriter(w)
	record := func(typ byte, addr uint16, data []byte) {
		rec := append([]byte{byte(len(data)), byte(addr >> 8), byte(addr), typ}, data...)
		var sum byte
		for _, b := range rec {
			sum += b
		}
		rec = append(rec, -sum)
		fmt.Fprintf(bw, ":%s\n", strings.ToUpper(hex.EncodeToString(rec)))
	}
	buf := make([]byte, 16)
	upper := int64(-1)
	for off := int64(0); off < d.g.size; off += 16 {
		n := min(16, d.g.size-off)
		_ = d.Peek(off, buf[:n])
		if isFilled(buf[:n], d.g.ev) {
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
