package faults_test

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/fcb"
)

// An FCB scenario over the Go port of Zephyr's FCB: the workload pushes
// entries (payload "entry-NNNNN" + its CRC32) and acks each one when Push
// returns; the check mounts the FCB (fcb_init), walks every entry, verifies
// each payload's CRC32 and that every acked entry is there.

var fcbOpts = fcb.Options{Magic: 0x12345678, Version: 1}

func fcbDevice() (*emu.Device, error) {
	c, err := emu.Chip("nrf52840")
	if err != nil {
		return nil, err
	}
	c.Size = 32 << 10 // 8 sectors of 4 KiB
	c.Seed = 1
	return emu.New(c)
}

func fcbMount(d *emu.Device) (*fcb.FCB, error) {
	area, err := api.DeviceArea(api.FromEmu(d), "storage")
	if err != nil {
		return nil, err
	}
	return fcb.New(area, fcbOpts)
}

func fcbPayload(i int) []byte {
	p := fmt.Appendf(nil, "entry-%05d", i)
	return binary.LittleEndian.AppendUint32(p, crc32.ChecksumIEEE(p))
}

func fcbWorkload(n int) faults.WorkloadFunc {
	return func(d *emu.Device, ack func(any)) error {
		log, err := fcbMount(d)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if _, err := log.Push(fcbPayload(i)); err != nil {
				return err
			}
			ack(i)
		}
		return nil
	}
}

// fcbVerify mounts, walks and checks CRCs and acked entries; it returns the
// mounted FCB for recoveries that go on writing.
func fcbVerify(d *emu.Device, acked []any) (*fcb.FCB, error) {
	log, err := fcbMount(d)
	if err != nil {
		return nil, fmt.Errorf("fcb_init %s: %w", errno.Errno(-errno.Of(err)).Name(), err)
	}
	var seen []bool
	for e, err := range log.Entries() {
		if err != nil {
			return nil, fmt.Errorf("walk: %w", err)
		}
		if len(e.Data) < 4 {
			return nil, fmt.Errorf("entry at %d/%d: %d bytes", e.Sector, e.ElemOff, len(e.Data))
		}
		body := e.Data[:len(e.Data)-4]
		if crc32.ChecksumIEEE(body) != binary.LittleEndian.Uint32(e.Data[len(e.Data)-4:]) {
			return nil, fmt.Errorf("entry at %d/%d: CRC32 mismatch", e.Sector, e.ElemOff)
		}
		if i, ok := entryIndex(body); ok {
			for len(seen) <= i {
				seen = append(seen, false)
			}
			seen[i] = true
		}
	}
	for _, v := range acked {
		if i := v.(int); i >= len(seen) || !seen[i] {
			return nil, fmt.Errorf("acked entry %d missing (%d acked)", i, len(acked))
		}
	}
	return log, nil
}

func fcbCheck(d *emu.Device, acked []any) error {
	_, err := fcbVerify(d, acked)
	return err
}

// fcbBootCheck also writes, as firmware does at boot: it records a "boot"
// entry after verifying, so its own operations can be cut at depth 2.
func fcbBootCheck(d *emu.Device, acked []any) error {
	log, err := fcbVerify(d, acked)
	if err != nil {
		return err
	}
	boot := []byte("boot")
	_, err = log.Push(binary.LittleEndian.AppendUint32(boot, crc32.ChecksumIEEE(boot)))
	return err
}

func fcbSweep(name string, n int, check faults.CheckFunc) *faults.Sweep {
	return &faults.Sweep{Name: name, Device: fcbDevice, Workload: fcbWorkload(n), Check: check, Seed: 1}
}

// entryIndex parses "entry-NNNNN".
func entryIndex(b []byte) (int, bool) {
	const prefix = "entry-"
	if len(b) != len(prefix)+5 || string(b[:len(prefix)]) != prefix {
		return 0, false
	}
	i := 0
	for _, c := range b[len(prefix):] {
		if c < '0' || c > '9' {
			return 0, false
		}
		i = i*10 + int(c-'0')
	}
	return i, true
}
