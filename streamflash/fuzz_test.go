package streamflash_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"regexp"
	"strconv"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/streamflash"
)

// Fuzz input layout (little-endian):
//
//	byte 0      flags: bit 0 erase on demand, bits 1-2 write block (1, 4, 8),
//	            bit 3 non-uniform page layout, bit 4 stream inside a flash
//	            area (NewArea) that starts at page (bits 5-7) and runs to
//	            the end of the device; offsets are then area offsets
//	byte 1      salt of the stream bytes: byte i = i*31 + 7 + salt
//	bytes 2-3   buffer length in write blocks - 1 (modulo the smallest page)
//	bytes 4-5   start offset in write blocks (modulo the device)
//	then groups of 5 bytes: chunk size (u16), repeat count - 1 (u16, at most
//	1<<15), flags (bit 0: flush after the group's last chunk)
//
// A flush in the middle of the stream is only honoured when everything
// written so far is write-block aligned (Zephyr documents a padded flush as
// the last write of a stream).

func fuzzInput(erase bool, wbsIdx int, nonUniform bool, salt byte, bufLen, wbs, offset int, groups ...[3]int) []byte {
	flags := byte(wbsIdx << 1)
	if erase {
		flags |= 1
	}
	if nonUniform {
		flags |= 8
	}
	b := []byte{flags, salt}
	b = binary.LittleEndian.AppendUint16(b, uint16(bufLen/wbs-1))
	b = binary.LittleEndian.AppendUint16(b, uint16(offset/wbs))
	for _, g := range groups {
		b = binary.LittleEndian.AppendUint16(b, uint16(g[0]))
		b = binary.LittleEndian.AppendUint16(b, uint16(g[1]-1))
		b = append(b, byte(g[2]))
	}
	return b
}

var vecFileRE = regexp.MustCompile(`^sf_(erase|noerase)_buf(\d+)_chunk(\d+)\.json$`)

// FuzzStream streams arbitrary chunk sequences and checks the device
// against a reference model: after the final flush the device holds exactly
// the accepted bytes at the start offset, padded with the erase value to the
// write block; BytesWritten and BytesBuffered always add up to the accepted
// bytes; callbacks see the data just written; with erase on demand the
// device starts fully programmed (a strict device refuses writes onto
// unerased flash) and only pages the stream touches are erased.
func FuzzStream(f *testing.F) {
	// Seeds: the stored vector family members and the error cases' shapes.
	entries, _ := os.ReadDir(vecDir)
	for _, e := range entries {
		m := vecFileRE.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		bl, _ := strconv.Atoi(m[2])
		ch, _ := strconv.Atoi(m[3])
		f.Add(fuzzInput(m[1] == "erase", 1, false, 0, bl, 4, 0, [3]int{ch, (vecStreamLen + ch - 1) / ch, 1}))
	}
	f.Add(fuzzInput(true, 1, false, 0, 4096, 4, 100, [3]int{4096, 5, 1}))               // offset100_buf4096
	f.Add(fuzzInput(true, 1, false, 0, 256, 4, 100, [3]int{4096, 5, 1}))                // offset100_buf256
	f.Add(fuzzInput(true, 1, false, 0, 256, 4, 0, [3]int{7, 2857, 0}, [3]int{4, 1, 1})) // unaligned tail
	f.Add(fuzzInput(true, 0, true, 9, 1024, 1, 513, [3]int{333, 100, 0}, [3]int{0, 1, 1}))
	f.Add(fuzzInput(false, 2, true, 3, 512, 8, 8, [3]int{1, 100, 1}, [3]int{999, 20, 1}))
	inArea := fuzzInput(true, 0, true, 5, 1024, 1, 700, [3]int{300, 40, 1}) // area from page 3
	inArea[0] |= 16 | 3<<5
	f.Add(inArea)
	f.Fuzz(fuzzStream)
}

func fuzzStream(t *testing.T, in []byte) {
	if len(in) < 6 {
		return
	}
	erase := in[0]&1 != 0
	wbs := []int{1, 4, 8, 4}[in[0]>>1&3]
	nonUniform := in[0]&8 != 0
	salt := in[1]
	cfg := emu.Config{Kind: emu.NOR, Size: 64 << 10, EraseUnit: 4096, WriteBlock: wbs, EraseValue: 0xff}
	minPage := 4096
	if nonUniform {
		cfg.Size, cfg.EraseUnit = 0, 0
		cfg.Units = []emu.Run{{Count: 4, Size: 1024}, {Count: 2, Size: 2048}, {Count: 3, Size: 4096}, {Count: 8, Size: 4096}}
		minPage = 1024
	}
	d, err := emu.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var base int64 // device offset of the stream's device (the area)
	if in[0]&16 != 0 {
		base, _ = d.Unit(int(in[0]>>5) % d.UnitCount())
	}
	size := d.Size() - base // the stream's device size
	if erase {
		fillDevice(t, d, 0x00)
	}
	initial := make([]byte, d.Size())
	if err := d.Read(0, initial); err != nil {
		t.Fatal(err)
	}
	bufLen := wbs * (1 + int(binary.LittleEndian.Uint16(in[2:]))%(minPage/wbs))
	offset := int64(wbs) * (int64(binary.LittleEndian.Uint16(in[4:])) % (size / int64(wbs)))

	rec := &recorder{Device: wrap(d)}
	var model []byte // accepted stream bytes
	cbErr := error(nil)
	cb := func(buf []byte, off int64) error {
		i := off - offset
		if i < 0 || i+int64(len(buf)) > int64(len(model)) || !bytes.Equal(buf, model[i:i+int64(len(buf))]) {
			cbErr = errors.New("callback data differs from the stream")
		}
		return nil
	}
	var s *streamflash.Stream
	if in[0]&16 != 0 {
		var area *api.Area
		area, err = api.NewArea(rec, "slot", base, size)
		if err != nil {
			t.Fatal(err)
		}
		s, err = streamflash.NewArea(area, make([]byte, bufLen), offset, 0, cb, streamflash.Options{Erase: erase})
	} else {
		s, err = streamflash.New(rec, make([]byte, bufLen), offset, 0, cb, streamflash.Options{Erase: erase})
	}
	if err != nil {
		t.Fatalf("init buf %d offset %d: %v", bufLen, offset, err)
	}
	avail := size - offset
	chunk := make([]byte, 0, 1<<16)
	for g := in[6:]; len(g) >= 5; g = g[5:] {
		n := int(binary.LittleEndian.Uint16(g))
		rep := 1 + int(binary.LittleEndian.Uint16(g[2:]))%(1<<15)
		for r := range rep {
			flush := g[4]&1 != 0 && r == rep-1 && len(model)%wbs == 0 && (len(model)+n)%wbs == 0
			chunk = chunk[:0]
			for i := range n {
				chunk = append(chunk, byte((len(model)+i)*31+7+int(salt)))
			}
			if int64(len(model)+n) > avail {
				before, buffered := s.BytesWritten(), s.BytesBuffered()
				err := s.Write(chunk, flush)
				if !errors.Is(err, streamflash.ErrNoMem) || s.BytesWritten() != before || s.BytesBuffered() != buffered {
					t.Fatalf("write past the size: %v", err)
				}
				break // the rest of the group would not fit either
			}
			model = append(model, chunk...) // the callback may see it during Write
			if err := s.Write(chunk, flush); err != nil {
				t.Fatalf("write %d bytes at %d (buf %d, wbs %d, offset %d): %v", n, len(model)-n, bufLen, wbs, offset, err)
			}
			if got := s.BytesWritten() + int64(s.BytesBuffered()); got != int64(len(model)) {
				t.Fatalf("written %d + buffered %d != streamed %d", s.BytesWritten(), s.BytesBuffered(), len(model))
			}
			if flush && s.BytesBuffered() != 0 {
				t.Fatalf("flush left %d bytes buffered", s.BytesBuffered())
			}
		}
		if len(model) > 1<<17 {
			break
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatalf("final flush: %v", err)
	}
	if cbErr != nil {
		t.Fatal(cbErr)
	}
	if s.BytesWritten() != int64(len(model)) || s.BytesBuffered() != 0 {
		t.Fatalf("after flush: written %d buffered %d, streamed %d", s.BytesWritten(), s.BytesBuffered(), len(model))
	}

	// The reference image, in device offsets.
	want := append([]byte(nil), initial...)
	offset += base
	end := offset + int64(len(model))
	padEnd := offset + int64((len(model)+wbs-1)/wbs*wbs)
	if erase && len(model) > 0 {
		for p := offset; p < padEnd; {
			_, start, sz, _ := d.UnitAt(p)
			copy(want[start:start+sz], bytes.Repeat([]byte{0xff}, int(sz)))
			p = start + sz
		}
	}
	copy(want[offset:], model)
	for i := end; i < padEnd; i++ {
		want[i] = 0xff
	}
	got := dump(t, rec)
	if !bytes.Equal(want, got) {
		i := 0
		for want[i] == got[i] {
			i++
		}
		t.Fatalf("device differs from the model at %d (stream %d bytes at %d, buf %d, wbs %d, erase %v)", i, len(model), offset, bufLen, wbs, erase)
	}
	// Each page erased at most once.
	seen := map[int64]bool{}
	for _, o := range rec.ops {
		if o.Op == "E" {
			if seen[o.Off] {
				t.Fatalf("page at %d erased twice", o.Off)
			}
			seen[o.Off] = true
		}
	}
}
