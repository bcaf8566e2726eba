package fcb_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/fcb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	reasonForeign = "sector header is neither erased nor valid"
	reasonDirty   = "sector header is erased but its body is not"
)

func TestRepairTornHeader(t *testing.T) {
	for _, kind := range []string{"hdrquarter", "hdrhalf"} {
		t.Run(kind, func(t *testing.T) {
			r := newRig(t, 4, 4096, 1, 0xFF)
			bf, rows := runBasic(t, r, -1)
			acked := walkAll(t, bf)
			craftTorn(t, r, kind, fcb.Loc{}, bf.State().Active)

			opt := fcb.Options{Magic: vecMagic, Version: vecVersion}
			_, err := r.mount(opt)
			if kind == "hdrquarter" {
				require.ErrorIs(t, err, fcb.ErrForeignSector, "Zephyr's default refuses to mount")
			} else {
				require.NoError(t, err, "a complete magic is a valid header")
			}

			opt.Repair = true
			f, err := r.mount(opt)
			require.NoError(t, err)
			walk := walkAll(t, f)
			// Sector 0 (the one being reused) is lost; everything else is intact.
			var want []vecEntry
			for _, e := range acked {
				if e.Sector != 0 {
					want = append(want, e)
				}
			}
			assert.Equal(t, want, walk)
			if kind == "hdrquarter" {
				assert.Equal(t, []fcb.DroppedSector{{Index: 0, Skipped: 4096, NonErasedBytes: 2, Reason: reasonForeign}}, f.Dropped())
			} else {
				// Zephyr makes the empty sector with id 0xffff the oldest;
				// repair sees a torn header write and drops it.
				assert.Equal(t, []fcb.DroppedSector{{Index: 0, Skipped: 4096, NonErasedBytes: 4,
					Reason: "torn sector header: empty sector with id 0xffff would be the oldest"}}, f.Dropped())
				assert.Equal(t, 1, f.State().Oldest)
				assert.Equal(t, 1, f.FreeSectorCount())
			}

			// Keep appending: the dropped sector is erased before reuse.
			r.rec.reset()
			n := len(rows)
			for range 40 {
				for {
					_, err := f.Push(payload(n, seqLen(n)))
					if errors.Is(err, fcb.ErrNoSpace) {
						require.NoError(t, f.Rotate())
						continue
					}
					require.NoError(t, err)
					break
				}
				n++
			}
			assertNoViolations(t, r)
			require.NotEmpty(t, r.rec.ops)
			assert.Equal(t, flashOp{Op: "erase", Off: 0, Len: 4096}, r.rec.ops[0], "dropped sector erased first")
			g, err := r.mount(fcb.Options{Magic: vecMagic, Version: vecVersion})
			require.NoError(t, err, "after reuse the image mounts without repair")
			assert.Equal(t, walkAll(t, f), walkAll(t, g))
		})
	}
}

// tornErase is an emu hook that interrupts the next erase with a power cut,
// leaving the unit in a partial state produced by model.
type tornErase struct {
	model string
	fired bool
	unit  int64
}

func (h *tornErase) Before(d *emu.Device, op *emu.Op) error {
	if h.fired || op.Kind != emu.OpErase {
		return nil
	}
	h.fired = true
	h.unit = op.Off
	ev := d.EraseValue()
	buf := make([]byte, op.Len)
	if err := d.Peek(op.Off, buf); err != nil {
		return err
	}
	switch h.model {
	case "prefix": // the first half is erased, the rest untouched
		for i := range buf[:len(buf)/2] {
			buf[i] = ev
		}
	case "header-bytes": // only the first two bytes reached the erased state
		buf[0], buf[1] = ev, ev
	case "preprogram": // Spansion-style: programmed to ~ev from the end first
		for i := len(buf) * 3 / 4; i < len(buf); i++ {
			buf[i] = ^ev
		}
	}
	if err := d.Poke(op.Off, buf); err != nil {
		return err
	}
	return emu.ErrPowerLoss
}

func (h *tornErase) After(_ *emu.Device, _ *emu.Op, err error) error { return err }

func TestRepairTornRotateErase(t *testing.T) {
	for _, model := range []string{"prefix", "header-bytes", "preprogram"} {
		t.Run(model, func(t *testing.T) {
			r := newRig(t, 4, 4096, 4, 0xFF)
			opt := fcb.Options{Magic: vecMagic, Version: vecVersion}
			f, err := r.mount(opt)
			require.NoError(t, err)
			var acked []int           // entry numbers acknowledged (finish returned)
			ackedSec := map[int]int{} // entry number -> sector
			n := 0
			// Fill every sector.
			for {
				loc, err := f.Push(payload(n, seqLen(n)))
				if errors.Is(err, fcb.ErrNoSpace) {
					break
				}
				require.NoError(t, err)
				acked = append(acked, n)
				ackedSec[n] = loc.Sector
				n++
			}
			oldest := f.State().Oldest
			hook := &tornErase{model: model}
			r.dev.SetHook(hook)
			err = f.Rotate()
			require.Error(t, err)
			assert.ErrorIs(t, err, emu.ErrPowerLoss)
			assert.Equal(t, -int(errno.EIO), errno.Of(err))
			r.dev.SetHook(r.rec)

			g, err := r.mount(fcb.Options{Magic: vecMagic, Version: vecVersion, Repair: true})
			require.NoError(t, err)
			dropped := g.Dropped()
			switch model {
			case "prefix", "header-bytes":
				require.Len(t, dropped, 1)
				assert.Equal(t, oldest, dropped[0].Index)
				assert.Positive(t, dropped[0].NonErasedBytes)
			case "preprogram":
				assert.Empty(t, dropped, "the header survived: a valid, damaged oldest sector")
			}
			if model == "header-bytes" {
				_, err := r.mount(opt)
				assert.ErrorIs(t, err, fcb.ErrForeignSector, "Zephyr's default refuses to mount")
			}

			// Every acked entry outside the sector being rotated away is intact
			// and in order; nothing else shows up.
			got := walkAll(t, g)
			byN := map[string]int{}
			for _, k := range acked {
				byN[fmt.Sprintf("%x", payload(k, seqLen(k)))] = k
			}
			var seen []int
			for _, e := range got {
				k, ok := byN[e.Data]
				require.True(t, ok, "unknown entry %+v", e)
				seen = append(seen, k)
			}
			// The walk is in append order; outside the torn sector it is
			// exactly the acked entries; entries of the torn sector may or may
			// not survive.
			var wantOutside, gotOutside []int
			for _, k := range acked {
				if ackedSec[k] != oldest {
					wantOutside = append(wantOutside, k)
				}
			}
			for i, k := range seen {
				if i > 0 {
					require.Greater(t, k, seen[i-1], "walk order")
				}
				if ackedSec[k] != oldest {
					gotOutside = append(gotOutside, k)
				}
			}
			assert.Equal(t, wantOutside, gotOutside)

			// The repaired FCB keeps working without writing onto dirty flash.
			for range 200 {
				for {
					_, err := g.Push(payload(n, seqLen(n)))
					if errors.Is(err, fcb.ErrNoSpace) {
						require.NoError(t, g.Rotate())
						continue
					}
					require.NoError(t, err)
					break
				}
				n++
			}
			assertNoViolations(t, r)
		})
	}
}

func TestRepairDefaultWritesOntoDirtyFlash(t *testing.T) {
	// Why repair exists: after a torn erase that reached the header first,
	// Zephyr sees an unused sector and later programs onto unerased flash.
	r := newRig(t, 4, 4096, 1, 0xFF)
	bf, _ := runBasic(t, r, -1)
	require.NoError(t, bf.Rotate()) // erase sector 0 properly, oldest = 1
	// Dirty sector 0's body as a torn erase would, header still erased.
	junk := make([]byte, 2048)
	require.NoError(t, r.dev.Poke(1024, junk))
	opt := fcb.Options{Magic: vecMagic, Version: vecVersion}
	f, err := r.mount(opt)
	require.NoError(t, err)
	for n := 0; n < 40; n++ {
		if _, err := f.Push(payload(n, 100)); err != nil {
			break
		}
	}
	assert.Positive(t, r.dev.Stats().Violations, "default mode programs onto the junk")

	r2 := newRig(t, 4, 4096, 1, 0xFF)
	bf2, _ := runBasic(t, r2, -1)
	require.NoError(t, bf2.Rotate())
	require.NoError(t, r2.dev.Poke(1024, junk))
	opt.Repair = true
	f2, err := r2.mount(opt)
	require.NoError(t, err)
	assert.Equal(t, []fcb.DroppedSector{{Index: 0, Skipped: 4096, NonErasedBytes: 2048, Reason: reasonDirty}}, f2.Dropped())
	for n := 0; n < 40; n++ {
		if _, err := f2.Push(payload(n, 100)); err != nil {
			break
		}
	}
	assertNoViolations(t, r2)
}

func TestRepairAllSectorsForeign(t *testing.T) {
	r := newRig(t, 4, 4096, 4, 0x00)
	for s := range int64(4) {
		require.NoError(t, r.dev.Poke(s*4096, []byte{1, 2, 3, 4, 5, 6, 7, 8}))
	}
	_, err := r.mount(fcb.Options{Magic: 7})
	require.ErrorIs(t, err, fcb.ErrForeignSector)
	f, err := r.mount(fcb.Options{Magic: 7, Repair: true})
	require.NoError(t, err)
	require.Len(t, f.Dropped(), 4)
	for i, d := range f.Dropped() {
		assert.Equal(t, fcb.DroppedSector{Index: i, Skipped: 4096, NonErasedBytes: 8, Reason: reasonForeign}, d)
	}
	assert.True(t, f.IsEmpty())
	_, err = f.Push([]byte("hello"))
	require.NoError(t, err)
	assertNoViolations(t, r)
	g, err := r.mount(fcb.Options{Magic: 7})
	require.ErrorIs(t, err, fcb.ErrForeignSector, "sectors 1..3 are still foreign until reused")
	_ = g
}

func TestRepairCleanImageIsZephyr(t *testing.T) {
	// With nothing to repair, repair mode writes the same bytes as Zephyr.
	for _, wbs := range []int{1, 4} {
		r := newRig(t, 4, 4096, wbs, 0xFF)
		f, err := r.mount(fcb.Options{Magic: vecMagic, Version: vecVersion, Repair: true})
		require.NoError(t, err)
		for n := 0; ; n++ {
			if _, err := f.Push(payload(n, seqLen(n))); err != nil {
				require.ErrorIs(t, err, fcb.ErrNoSpace)
				break
			}
		}
		assert.Empty(t, f.Dropped())
		assert.Equal(t, readBin(t, fmt.Sprintf("fcb_image_%d_basic.bin", wbs)), r.image())
	}
}
