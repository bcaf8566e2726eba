package faults_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
)

// tlog is a tiny append-only log on an emu device, used to prove the sweep
// finds real bugs. Each record is a 32-byte slot: header (seq, len, magic)
// and a 20-byte payload programmed first, then a 4-byte commit (CRC32 of
// header+payload). A sector is erased when the log first moves into it.
//
// The correct log acknowledges a value after its commit is on flash; the
// broken one acknowledges it before writing the commit.
type tlog struct {
	d      *emu.Device
	sector int64
	next   int64 // next slot offset
	broken bool
	buf    []byte
}

const (
	slotSize  = 32
	bodySize  = 28
	tlogMagic = 0xa55a
)

func newTlog(d *emu.Device, broken bool) *tlog {
	_, _, size, _ := d.UnitAt(0)
	return &tlog{d: d, sector: size, broken: broken, buf: make([]byte, slotSize)}
}

func body(seq uint32, payload []byte) []byte {
	b := make([]byte, bodySize)
	binary.LittleEndian.PutUint32(b[0:], seq)
	binary.LittleEndian.PutUint16(b[4:], uint16(len(payload)))
	binary.LittleEndian.PutUint16(b[6:], tlogMagic)
	copy(b[8:], payload)
	return b
}

// append writes one record; ack is called when the log says it is durable.
func (l *tlog) append(seq uint32, payload []byte, ack func(any)) error {
	if l.next+slotSize > l.d.Size() {
		return errors.New("tlog: full")
	}
	if l.next%l.sector == 0 {
		if err := l.d.Erase(l.next, l.sector); err != nil {
			return err
		}
	}
	b := body(seq, payload)
	if err := l.d.Program(l.next, b); err != nil {
		return err
	}
	if l.broken {
		ack(seq) // BUG: acknowledged before the commit is on flash
	}
	var c [4]byte
	binary.LittleEndian.PutUint32(c[:], crc32.ChecksumIEEE(b))
	if err := l.d.Program(l.next+bodySize, c[:]); err != nil {
		return err
	}
	l.next += slotSize
	if !l.broken {
		ack(seq)
	}
	return nil
}

// scan returns the sequence numbers of the valid records and the offset of
// the first completely erased slot (where the next append goes).
func scan(d *emu.Device) (valid map[uint32]bool, free int64, err error) {
	valid = map[uint32]bool{}
	slot := make([]byte, slotSize)
	erased := bytes.Repeat([]byte{d.EraseValue()}, slotSize)
	free = -1
	for off := int64(0); off+slotSize <= d.Size(); off += slotSize {
		if err := d.Read(off, slot); err != nil {
			return nil, 0, err
		}
		if bytes.Equal(slot, erased) {
			if free < 0 {
				free = off
			}
			continue
		}
		if binary.LittleEndian.Uint16(slot[6:]) != tlogMagic {
			continue
		}
		if crc32.ChecksumIEEE(slot[:bodySize]) == binary.LittleEndian.Uint32(slot[bodySize:]) {
			valid[binary.LittleEndian.Uint32(slot)] = true
		}
	}
	return valid, free, nil
}

// checkAcked fails unless every acknowledged record is valid on flash.
func checkAcked(d *emu.Device, acked []any) error {
	valid, _, err := scan(d)
	if err != nil {
		return err
	}
	for _, v := range acked {
		if !valid[v.(uint32)] {
			return fmt.Errorf("tlog: acknowledged record %d lost (%d acked)", v, len(acked))
		}
	}
	return nil
}

// logDevice is the sweep device: 64 KiB SPI-like NOR, 4 KiB sectors.
func logDevice() (*emu.Device, error) {
	return emu.New(emu.Config{Kind: emu.NOR, Size: 64 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff, Seed: 1,
		Timing: spiTiming()})
}

// logSweep appends n records (payload derived from the seq).
func logSweep(name string, n int, broken bool) *faults.Sweep {
	return &faults.Sweep{
		Name:   name,
		Device: logDevice,
		Workload: func(d *emu.Device, ack func(any)) error {
			l := newTlog(d, broken)
			for i := 0; i < n; i++ {
				if err := l.append(uint32(i), []byte(fmt.Sprintf("value-%06d", i)), ack); err != nil {
					return err
				}
			}
			return nil
		},
		Check: checkAcked,
		Seed:  1,
	}
}

// recoverAndCheck is a check with a recovery that writes: it verifies the
// acknowledged records, then appends a "mounted" record at the first
// completely erased slot (programming the body, then the commit).
func recoverAndCheck(d *emu.Device, acked []any) error {
	if err := checkAcked(d, acked); err != nil {
		return err
	}
	_, free, err := scan(d)
	if err != nil || free < 0 {
		return err
	}
	if free%4096 == 0 {
		// A fresh sector may hold a torn erase: erase it before use.
		if err := d.Erase(free, 4096); err != nil {
			return err
		}
	}
	b := body(1<<31, []byte("mounted"))
	if err := d.Program(free, b); err != nil {
		return err
	}
	var c [4]byte
	binary.LittleEndian.PutUint32(c[:], crc32.ChecksumIEEE(b))
	return d.Program(free+bodySize, c[:])
}

// compactingRecovery has a depth-2 bug: when it finds a torn slot it
// "compacts" the first sector by erasing it and rewriting the valid records
// — a cut after the erase loses acknowledged records.
func compactingRecovery(d *emu.Device, acked []any) error {
	if err := checkAcked(d, acked); err != nil {
		return err
	}
	slot := make([]byte, slotSize)
	erased := bytes.Repeat([]byte{0xff}, slotSize)
	var keep [][]byte
	torn := false
	for off := int64(0); off < 4096; off += slotSize {
		if err := d.Read(off, slot); err != nil {
			return err
		}
		if bytes.Equal(slot, erased) {
			continue
		}
		if crc32.ChecksumIEEE(slot[:bodySize]) == binary.LittleEndian.Uint32(slot[bodySize:]) {
			keep = append(keep, bytes.Clone(slot))
		} else {
			torn = true
		}
	}
	if !torn {
		return nil
	}
	if err := d.Erase(0, 4096); err != nil {
		return err
	}
	for i, s := range keep {
		if err := d.Program(int64(i)*slotSize, s); err != nil {
			return err
		}
	}
	return nil
}
