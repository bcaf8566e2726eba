package faults_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
)

// verdicts runs s with o over every shard of n (n <= 1: unsharded) and
// returns every listed branch's verdict, duplicates resolved to their
// canonical branch's ("pass" or "fail").
func verdicts(t *testing.T, s *faults.Sweep, o faults.Options, n int) map[string]string {
	t.Helper()
	o.ListBranches = true
	var list []faults.BranchInfo
	for i := 0; i < max(n, 1); i++ {
		if n > 1 {
			o.Shard = faults.Shard{Index: i, Total: n}
		}
		r, err := faults.Run(context.Background(), s, o)
		require.NoError(t, err)
		list = append(list, r.List...)
	}
	known := map[string]string{}
	for _, b := range list {
		if b.Verdict != "dup" {
			known[b.ID] = b.Verdict
		}
	}
	out := map[string]string{}
	for _, b := range list {
		v := b.Verdict
		if v == "dup" {
			var ok bool
			v, ok = known[b.DupOf]
			require.True(t, ok, "%s: dup of %s, which no shard checked", b.ID, b.DupOf)
		}
		if prev, ok := out[b.ID]; ok {
			require.Equal(t, prev, v, "%s listed twice with different verdicts", b.ID)
		}
		out[b.ID] = v
	}
	return out
}

func failing(v map[string]string) []string {
	var f []string
	for id, x := range v {
		if x == "fail" {
			f = append(f, id)
		}
	}
	slices.Sort(f)
	return f
}

// requireExact asserts the package invariant on s: every branch's verdict
// in the sweep equals its lone replay (Verify, with and without
// deduplication), and the verdicts are the same with 1 or 2 jobs, with and
// without deduplication (which explores the duplicates' subtrees too: it
// lists more branches at depth 2), and over 3 shards.
func requireExact(t *testing.T, s *faults.Sweep) map[string]string {
	t.Helper()
	for _, nodedup := range []bool{false, true} {
		vr, err := faults.Verify(context.Background(), s, faults.Options{Jobs: 2, NoShrink: true, NoDedup: nodedup}, faults.VerifyOptions{})
		require.NoError(t, err)
		require.NotZero(t, vr.Replayed)
		assert.Empty(t, vr.Disagreements, "nodedup=%v: branches whose sweep verdict differs from their replay", nodedup)
	}
	base := verdicts(t, s, faults.Options{Jobs: 1, NoShrink: true}, 0)
	for _, o := range []struct {
		name  string
		o     faults.Options
		shard int
	}{
		{"jobs=2", faults.Options{Jobs: 2, NoShrink: true}, 0},
		{"nodedup", faults.Options{Jobs: 2, NoShrink: true, NoDedup: true}, 0},
		{"shards=3", faults.Options{Jobs: 2, NoShrink: true}, 3},
	} {
		got := verdicts(t, s, o.o, o.shard)
		if o.o.NoDedup {
			for id, v := range base {
				assert.Equal(t, v, got[id], "%s: %s", o.name, id)
			}
			continue
		}
		assert.Equal(t, slices.Sorted(maps.Keys(base)), slices.Sorted(maps.Keys(got)), "%s: same branches", o.name)
		assert.Equal(t, failing(base), failing(got), "%s: same failures", o.name)
	}
	return base
}

// stm32l4 (one program per double word): the workload programs 8 × 0xFF at
// 0 (bytes unchanged, one program used) and then data elsewhere; the check
// programs a marker where it reads erased bytes. Branches with the same
// bytes but different program counts must not be merged (issue 12 item 1:
// with dedup the sweep reported 1 failure, without 3, and the lone replay
// of "cnt:0a" failed where the sweep called it a duplicate of a pass).
func TestSweepDedupKeepsProgramCountsApart(t *testing.T) {
	s := &faults.Sweep{
		Name: "cnt",
		Device: func() (*emu.Device, error) {
			c, err := emu.Chip("stm32l4")
			if err != nil {
				return nil, err
			}
			c.Size = 8 << 10
			return emu.New(c)
		},
		Workload: func(d *emu.Device, ack func(any)) error {
			if err := d.Program(0, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}); err != nil {
				return err
			}
			return d.Program(2048, []byte("data0001"))
		},
		Check: func(d *emu.Device, _ []any) error {
			b := make([]byte, 8)
			if err := d.Read(0, b); err != nil {
				return err
			}
			if string(b) == "\xff\xff\xff\xff\xff\xff\xff\xff" {
				return d.Program(0, []byte("marker!!"))
			}
			return nil
		},
		Seed: 1,
	}
	v := requireExact(t, s)
	assert.Equal(t, []string{"cnt:0a:1", "cnt:1a:1", "cnt:1b:1", "cnt:end:1"}, failing(v))
	rep, err := faults.Replay(s, "cnt:0a:1", faults.ReplayOptions{})
	require.NoError(t, err)
	assert.ErrorIs(t, rep.Err, emu.ErrProgramLimit)
}

// NAND: the same bytes with a different NOP count or page-program order
// are different states (a page programmed with 0xFF spends a NOP program
// and moves the in-order pointer).
func TestSweepDedupKeepsNANDPageStateApart(t *testing.T) {
	s := &faults.Sweep{
		Name:   "nop",
		Device: func() (*emu.Device, error) { return newNANDDev(1, 0) },
		Workload: func(d *emu.Device, ack func(any)) error {
			if err := d.ProgramPage(1, fill512(0xff), nil); err != nil {
				return err
			}
			return d.ProgramPage(9, fill512('x'), nil)
		},
		Check: func(d *emu.Device, _ []any) error {
			return d.ProgramPage(0, fill512('b'), nil) // page 0 after page 1: out of order once 1 is programmed
		},
		Seed: 1,
	}
	v := requireExact(t, s)
	assert.Equal(t, []string{"nop:0a:1", "nop:1a:1", "nop:1b:1", "nop:end:1"}, failing(v))
}

func fill512(v byte) []byte {
	b := make([]byte, 512)
	for i := range b {
		b[i] = v
	}
	return b
}

func newNANDDev(nop, eccBits int) (*emu.Device, error) {
	return emu.New(emu.Config{Kind: emu.NAND, PageSize: 512, OOBSize: 16, PagesPerBlock: 8, Blocks: 8,
		EraseValue: 0xff, NOP: nop, ECCBits: eccBits, ECCStep: 512, Seed: 5,
		Timing: emu.Timing{ClockHz: 50_000_000, BusBits: 8, ReadNs: 25_000, ProgramNs: 200_000,
			EraseNs: []emu.EraseTime{{Size: 4096, Ns: 700_000}}}})
}

// A ping-pong key/value store with CRC32 on a SPI NOR (w25q128jv-like),
// metastable models, bit cuts, depth 2: a check whose verdict depends on
// the values unstable bits read as. Equal states must read equally
// (issue 12 item 2: 9 of 4,992 verdicts disagreed with their replay).
func TestSweepMetastableVerdictsAreExact(t *testing.T) {
	s := pingPongSweep(3)
	s.Cuts = faults.Cuts{Mode: faults.CutBit}
	s.Depth = 2
	s.ProgramModel, s.EraseModel = faults.Metastable, faults.Metastable
	v := requireExact(t, s)
	t.Logf("%d branches, %d failing", len(v), len(failing(v)))
	require.NotEmpty(t, failing(v), "the scenario must exercise failing branches")
}

// pingPongSweep writes n values alternately into two 4 KiB slots: a
// record seq|value|crc32 at the slot start, then a one-bit commit flag
// (0xFE at byte 12), then the ack. The check reads each flag twice — a
// flag that reads differently fails ("flag flickers"), so the verdict
// depends on the values unstable bits read as — takes the newest committed
// slot with a valid CRC, wants it to hold the last acked value (or the one
// in flight), and recovers by erasing an uncommitted, non-blank slot.
func pingPongSweep(n int) *faults.Sweep {
	rec := func(seq, val uint32) []byte {
		b := binary.LittleEndian.AppendUint32(nil, seq)
		b = binary.LittleEndian.AppendUint32(b, val)
		return binary.LittleEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
	}
	return &faults.Sweep{
		Name: "kv_pingpong",
		Device: func() (*emu.Device, error) {
			return emu.New(emu.Config{Kind: emu.NOR, Size: 16 << 10, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff,
				Seed: 3, Timing: spiTiming()})
		},
		Workload: func(d *emu.Device, ack func(any)) error {
			for i := 1; i <= n; i++ {
				slot := int64(i % 2)
				if err := d.Erase(slot*4096, 4096); err != nil {
					return err
				}
				if err := d.Program(slot*4096, rec(uint32(i), uint32(100+i))); err != nil {
					return err
				}
				if err := d.Program(slot*4096+12, []byte{0xfe}); err != nil {
					return err
				}
				ack(100 + i)
			}
			return nil
		},
		Check: func(d *emu.Device, acked []any) error {
			var best, bestVal uint32
			for slot := int64(0); slot < 2; slot++ {
				b := make([]byte, 13)
				f := make([]byte, 1)
				if err := d.Read(slot*4096, b); err != nil {
					return err
				}
				if err := d.Read(slot*4096+12, f); err != nil {
					return err
				}
				if f[0] != b[12] {
					return fmt.Errorf("slot %d: commit flag flickers (%#x then %#x)", slot, b[12], f[0])
				}
				seq, val := binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])
				ok := b[12] == 0xfe && crc32.ChecksumIEEE(b[:8]) == binary.LittleEndian.Uint32(b[8:])
				if ok && seq >= best {
					best, bestVal = seq, val
				}
				if !ok && string(b) != string(make13(0xff)) {
					if err := d.Erase(slot*4096, 4096); err != nil {
						return err
					}
				}
			}
			if len(acked) == 0 {
				return nil
			}
			last := uint32(acked[len(acked)-1].(int))
			if bestVal != last && bestVal != last+1 {
				return fmt.Errorf("newest valid value %d (seq %d), last acked %d", bestVal, best, last)
			}
			return nil
		},
		Seed: 1,
	}
}

func make13(v byte) []byte {
	b := make([]byte, 13)
	for i := range b {
		b[i] = v
	}
	return b
}

// Verify with a sample replays that many branches, chosen by a seed it
// returns; the same seed picks the same branches. Progress reports the
// verify phase.
func TestVerifySample(t *testing.T) {
	s := logSweep("vs", 8, true)
	var last faults.Progress
	vr, err := faults.Verify(context.Background(), s, faults.Options{Jobs: 2, NoShrink: true},
		faults.VerifyOptions{Sample: 5, Progress: func(p faults.Progress) { last = p }})
	require.NoError(t, err)
	assert.Equal(t, 5, vr.Replayed)
	assert.NotZero(t, vr.Seed, "the seed chosen is returned")
	assert.True(t, vr.OK(), "%v", vr.Disagreements)
	assert.Equal(t, "verify", last.Phase)
	assert.Equal(t, 5, last.Done)
	again, err := faults.Verify(context.Background(), s, faults.Options{Jobs: 1, NoShrink: true},
		faults.VerifyOptions{Sample: 5, Seed: vr.Seed})
	require.NoError(t, err)
	assert.Equal(t, vr.Seed, again.Seed)
	assert.Equal(t, 5, again.Replayed)
	all, err := faults.Verify(context.Background(), s, faults.Options{Jobs: 2, NoShrink: true}, faults.VerifyOptions{})
	require.NoError(t, err)
	assert.Equal(t, len(all.Sweep.List), all.Replayed)
	assert.False(t, all.Sweep.OK(), "the broken log fails somewhere")
}

// Verify names a branch whose verdict differs: a check that keeps state
// between calls (it fails from its second call on) passes in a lone replay.
func TestVerifyNamesDisagreements(t *testing.T) {
	s := logSweep("leak", 3, false)
	s.Check = nil
	s.CheckFactory = func(int) (faults.CheckFunc, error) {
		calls := 0
		return func(d *emu.Device, acked []any) error {
			calls++
			if calls > 1 {
				return errors.New("state left over from an earlier check")
			}
			return nil
		}, nil
	}
	vr, err := faults.Verify(context.Background(), s, faults.Options{Jobs: 1, NoShrink: true}, faults.VerifyOptions{Jobs: 1})
	require.NoError(t, err)
	require.NotEmpty(t, vr.Disagreements)
	d := vr.Disagreements[0]
	assert.Equal(t, "fail", d.Sweep)
	assert.NotEmpty(t, d.ID)
	assert.Contains(t, d.SweepError, "left over")
}

// TestVerifySerialNeverOverlaps: a sweep whose check shares the workload's
// state (Serial, as a Lua state without a program) is verified one replay
// at a time: no check runs while a workload replay runs. Without Serial,
// Verify's workers check earlier replays while the calling goroutine runs
// the next workload, which corrupted a shared Lua state (the REPL's
// sweep.run{verify=true} reported false disagreements).
func TestVerifySerialNeverOverlaps(t *testing.T) {
	for _, serial := range []bool{true, false} {
		var busy, overlaps atomic.Int64
		enter := func() {
			if busy.Add(1) > 1 {
				overlaps.Add(1)
			}
		}
		s := logSweep("serial", 12, false)
		work := s.Workload
		s.Workload = func(d *emu.Device, ack func(any)) error {
			enter()
			defer busy.Add(-1)
			time.Sleep(200 * time.Microsecond)
			return work(d, ack)
		}
		s.Check = func(d *emu.Device, acked []any) error {
			enter()
			defer busy.Add(-1)
			time.Sleep(200 * time.Microsecond)
			return checkAcked(d, acked)
		}
		s.Serial = serial
		vr, err := faults.Verify(context.Background(), s, faults.Options{Jobs: 1}, faults.VerifyOptions{})
		require.NoError(t, err)
		require.True(t, vr.OK())
		require.Greater(t, vr.Replayed, 20)
		if serial {
			assert.Zero(t, overlaps.Load(), "Serial: a check ran during a workload")
		} else {
			// The control: the same sweep without Serial does overlap, so
			// the assertion above can fail.
			assert.NotZero(t, overlaps.Load(), "without Serial the replays should overlap")
		}
	}
}

// TestSweepEndCutCatchesAckAfterLastOp: a value acknowledged after the
// workload's last flash operation (kept in RAM, never written) is lost if
// power dies once the workload returned. Before the "end" cut no branch saw
// that acknowledgement: every cut during the run has fewer acks, so the
// sweep passed a log that loses acknowledged data.
func TestSweepEndCutCatchesAckAfterLastOp(t *testing.T) {
	s := &faults.Sweep{
		Name: "ram",
		Device: func() (*emu.Device, error) {
			return emu.New(emu.Config{Kind: emu.NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
		},
		Workload: func(d *emu.Device, ack func(any)) error {
			if err := d.Program(0, []byte{0}); err != nil {
				return err
			}
			ack(0)
			ack(1) // BUG: "written" to a RAM buffer only
			return nil
		},
		Check: func(d *emu.Device, acked []any) error {
			b := make([]byte, 2)
			if err := d.Read(0, b); err != nil {
				return err
			}
			for _, v := range acked {
				if i := v.(int); b[i] != 0 {
					return fmt.Errorf("acknowledged value %d is not on flash", i)
				}
			}
			return nil
		},
		Seed: 3,
	}
	vr, err := faults.Verify(context.Background(), s, faults.Options{Jobs: 2}, faults.VerifyOptions{})
	require.NoError(t, err)
	require.True(t, vr.OK(), "%+v", vr.Disagreements)
	require.Len(t, vr.Sweep.Failures, 1)
	f := vr.Sweep.Failures[0]
	assert.Equal(t, "ram:end:3", f.ID)
	assert.Equal(t, 2, f.Acked)
	assert.Equal(t, "acknowledged value 1 is not on flash", f.Error)
	rep, err := faults.Replay(s, f.ID, faults.ReplayOptions{})
	require.NoError(t, err)
	assert.EqualError(t, rep.Err, f.Error)
	// "end" is the workload's cut: it cannot name a recovery's.
	_, err = faults.Replay(s, "ram:0a/end:3", faults.ReplayOptions{})
	assert.ErrorIs(t, err, faults.ErrBadID)
}
