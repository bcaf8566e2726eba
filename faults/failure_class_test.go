package faults_test

import (
	"context"
	"fmt"

	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/stretchr/testify/require"

	"github.com/stretchr/testify/assert"

	"github.com/flashemu/flashemu/faults"
)

func TestFailureClass(t *testing.T) {
	same := [][2]string{
		{"slot 3: value 17 at 0x1f00", "slot 1: value 2 at 0xAB"},
		{"kv.lua:12: CRC mismatch at 4096", "kv.lua:12: CRC mismatch at 0"},
		{"entry at 3/40: CRC32 mismatch", "entry at 0/8: CRC32 mismatch"},
		{"", ""},
	}
	for _, p := range same {
		assert.Equal(t, faults.FailureClass(p[0]), faults.FailureClass(p[1]), "%q vs %q", p[0], p[1])
	}
	differ := [][2]string{
		{"kv.lua:12: CRC mismatch", "kv.lua:13: CRC mismatch"}, // another line
		{"kv.lua:12: CRC mismatch", "fs.lua:12: CRC mismatch"},
		{"CRC mismatch at 3", "length mismatch at 3"},
		{"fcb_init ENOMSG: bad magic", "fcb_init EIO: bad magic"},
	}
	for _, p := range differ {
		assert.NotEqual(t, faults.FailureClass(p[0]), faults.FailureClass(p[1]), "%q vs %q", p[0], p[1])
	}
	for _, tc := range []struct{ msg, want string }{
		{"kv.lua:12: bad 7 at 0x10, 3 left", "kv.lua:12: bad N at 0xN, N left"},
		{"no location: 12 items", "no location: N items"},
		{"scripts/log.lua:31: entry 12 lost", "scripts/log.lua:31: entry N lost"},
		{"log.lua:47: sector 3 header torn: magic 0xffffffff", "log.lua:47: sector N header torn: magic 0xN"},
		{"log.lua:9: sha256 9f86d081884c7d65 != e3b0c44298fc1c14", "log.lua:9: sha256 H != H"},
		{"torn record accepted by FCB's CRC-8: entry at offset 5360 fails its CRC32 (last acknowledged 239)",
			"torn record accepted by FCB's CRC-8: entry at offset N fails its CRC32 (last acknowledged N)"},
		{"read of 32 bytes at 4080 past the end of 4096-byte sector 1 [errno -5]", "read of N bytes at N past the end of N-byte sector N [errno N]"},
		{"a 1,2 3:4", "a N,N N:N"},
		{"log.lua:9: value -1.5e3 at op12", "log.lua:9: value N at opN"},
		{`acknowledged "entry001" is not in the log`, `acknowledged "entryN" is not in the log`},
		{"u16 length 0x12 of sha256 3 (CRC-8 bad, CRC32 5)", "u16 length 0xN of sha256 N (CRC-8 bad, CRC32 N)"},
		{`[string "check"]:3: bad  value   4` + "\nstack traceback:\n\t[C]: in ?", `[string "check"]:3: bad value N`},
		{"faults: check panicked: runtime error: index out of range [5] with length 3", "faults: check panicked: runtime error: index out of range [N] with length N"},
		{"", ""},
	} {
		assert.Equal(t, tc.want, faults.FailureClass(tc.msg), "%q", tc.msg)
	}
}

// A shrunk schedule must reproduce the same failure (issue 12 item 4):
// here dropping the first cut of "shrink:0b/2a:0" still fails, but with
// another message (the shorter path acked a value), so no shrink is
// claimed; with the same message the shrink is kept.
func TestSweepShrinkKeepsTheFailureClass(t *testing.T) {
	for _, sameMsg := range []bool{false, true} {
		write := func(d *emu.Device, ack func(any)) error {
			for i := 0; i < 6; i++ {
				var b [4]byte
				if err := d.Peek(int64(i)*4, b[:]); err != nil {
					return err
				}
				if b[0] == 0xff {
					if err := d.Program(int64(i)*4, []byte{byte(i), 0, 0, 0}); err != nil {
						return err
					}
				}
				if i == 1 && ack != nil {
					ack("w")
				}
			}
			return nil
		}
		s := &faults.Sweep{
			Name: "shrink", Device: logDevice, Workload: write, Depth: 2,
			Check: func(d *emu.Device, acked []any) error {
				b := make([]byte, 16)
				if err := d.Read(0, b); err != nil {
					return err
				}
				if b[8] != 0xff && b[12] == 0xff {
					if len(acked) == 0 || sameMsg {
						return fmt.Errorf("half-written state (nothing acked)")
					}
					return fmt.Errorf("half-written state (after an ack)")
				}
				return write(d, nil)
			},
		}
		r, err := faults.Run(context.Background(), s, faults.Options{Jobs: 2, NoDedup: true})
		require.NoError(t, err)
		var found bool
		for _, f := range r.Failures {
			if f.ID == "shrink:0b/2a:0" {
				found = true
				assert.Equal(t, faults.FailureClass(f.Error), f.Class)
				if sameMsg {
					assert.Equal(t, "shrink:2a:0", f.Shrunk)
				} else {
					assert.Empty(t, f.Shrunk, "2a fails with another message")
				}
			}
		}
		assert.True(t, found)
	}
}
