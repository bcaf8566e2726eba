package fcb_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/fcb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pushOrRotate pushes data, rotating once when the FCB is full.
func pushOrRotate(t *testing.T, f *fcb.FCB, data []byte) fcb.Loc {
	t.Helper()
	loc, err := f.Push(data)
	if errors.Is(err, fcb.ErrNoSpace) {
		require.NoError(t, f.Rotate())
		loc, err = f.Push(data)
	}
	require.NoError(t, err)
	return loc
}

// TestRepairTornLengthVectors: the len2half images of scenario (d) (a torn
// 2-byte length: first byte programmed, second erased) fail Zephyr's mount
// with EIO; with Repair they mount, keep every complete entry, report the
// torn tail, and the next append opens a new sector.
func TestRepairTornLengthVectors(t *testing.T) {
	probe := []byte{0xa0, 0xa1, 0xa2, 0xa3, 0xa4}
	for _, tc := range []struct {
		base  string
		count int // entries of the base image
	}{{"full", -1}, {"partial", 130}} {
		t.Run(tc.base, func(t *testing.T) {
			r := newRig(t, 4, 4096, 1, 0xFF)
			bf, rows := runBasic(t, r, tc.count)
			base := walkAll(t, bf)
			lastRow := rows[len(base)-1]
			last := fcb.Loc{Sector: lastRow[4].(int), ElemOff: lastRow[5].(int), DataOff: lastRow[6].(int), Len: lastRow[1].(int)}
			craftTorn(t, r, "len2half", last, bf.State().Active)
			img := r.image()

			opt := fcb.Options{Magic: vecMagic, Version: vecVersion}
			_, err := r.mount(opt)
			require.ErrorIs(t, err, fcb.ErrIO, "Zephyr's default: unmountable")
			assert.Equal(t, -int(errno.EIO), errno.Of(err))
			assert.Equal(t, img, r.image(), "a failed mount writes nothing")

			opt.Repair = true
			r.rec.reset()
			f, err := r.mount(opt)
			require.NoError(t, err)
			assert.Empty(t, r.rec.ops, "repair mounts without writing")
			assert.Equal(t, base[:len(base)-1], walkAll(t, f), "every complete entry, in order")
			dropped := f.Dropped()
			require.Len(t, dropped, 1)
			d := dropped[0]
			assert.Equal(t, last.Sector, d.Index)
			assert.Equal(t, last.ElemOff, d.Offset)
			assert.Equal(t, 4096-last.ElemOff, d.Skipped)
			assert.Equal(t, 1, d.NonErasedBytes, "only the first length byte is programmed")
			assert.Contains(t, d.Reason, "runs past")
			st := f.State()
			assert.Equal(t, last.Sector, st.Active)
			assert.Equal(t, 4096, st.ActiveElemOff, "the rest of the active sector counts as used")

			walk := walkAll(t, f)
			loc := pushOrRotate(t, f, probe)
			assert.Equal(t, (last.Sector+1)%4, loc.Sector, "the next append opens a new sector")
			assert.Equal(t, fcb.HeaderSize, loc.ElemOff)
			assertNoViolations(t, r)
			after := walkAll(t, f)
			require.NotEmpty(t, after)
			assert.Equal(t, fmt.Sprintf("%x", probe), after[len(after)-1].Data)
			var kept []vecEntry
			for _, e := range walk {
				if e.Sector != loc.Sector { // a rotation makes room in the full case
					kept = append(kept, e)
				}
			}
			assert.Equal(t, kept, after[:len(after)-1])

			// Remount: the torn sector is no longer the active one. Zephyr
			// mounts but its walks fail at the torn entry; repair walks
			// past it and reports it (once) when it finds it.
			z, err := r.mount(fcb.Options{Magic: vecMagic, Version: vecVersion})
			require.NoError(t, err)
			var walkErr error
			for _, err := range z.Entries() {
				if err != nil {
					walkErr = err
				}
			}
			assert.ErrorIs(t, walkErr, fcb.ErrIO, "Zephyr's walk fails at the torn entry")
			g, err := r.mount(opt)
			require.NoError(t, err)
			assert.Empty(t, g.Dropped(), "nothing to repair at mount")
			assert.Equal(t, after, walkAll(t, g))
			assert.Equal(t, dropped, g.Dropped(), "the walk found the torn tail")
			walkAll(t, g)
			assert.Len(t, g.Dropped(), 1, "reported once")
		})
	}
}

// tornLen builds an FCB on a 4 x secSize device, pushes entries of the given
// lengths and then tears the 2-byte length of the last one (every byte
// after its first length byte erased, as a torn program leaves it).
func tornLen(t *testing.T, secSize int64, wbs int, ev byte, noCRC bool, lens []int) (*rig, []vecEntry, fcb.Loc) {
	t.Helper()
	r := newRig(t, 4, secSize, wbs, ev)
	opt := fcb.Options{Magic: vecMagic, Version: vecVersion, NoCRC: noCRC}
	f, err := r.mount(opt)
	require.NoError(t, err)
	var last fcb.Loc
	for i, n := range lens {
		last = pushOrRotate(t, f, payload(i, n))
	}
	require.GreaterOrEqual(t, last.Len, 0x80, "needs a 2-byte length")
	entries := walkAll(t, f)
	sec := f.Sectors()[last.Sector]
	from := sec.Off + int64(last.ElemOff) + 1
	blank := make([]byte, sec.Off+sec.Size-from)
	for i := range blank {
		blank[i] = ev
	}
	require.NoError(t, r.dev.Poke(from, blank))
	return r, entries[:len(entries)-1], last
}

// TestRepairTornLength covers write blocks, erase values, the fixed end
// marker and the torn entry's position in its sector.
func TestRepairTornLength(t *testing.T) {
	for _, tc := range []struct {
		name    string
		secSize int64
		wbs     int
		ev      byte
		noCRC   bool
		lens    []int
	}{
		{"wbs1_mid_sector", 1024, 1, 0xFF, false, []int{10, 200, 5, 300}},
		{"wbs4", 1024, 4, 0xFF, false, []int{10, 200, 5, 300}},
		{"wbs8_ev00", 1024, 8, 0x00, false, []int{10, 200, 5, 300}},
		{"nocrc", 1024, 4, 0xFF, true, []int{10, 200, 5, 300}},
		{"first_entry_of_sector", 1024, 4, 0xFF, false, []int{900, 600}},
		{"only_entry", 1024, 1, 0xFF, false, []int{128}},
		{"after_rotation", 512, 4, 0xFF, false, []int{400, 400, 400, 400, 400, 200}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, want, last := tornLen(t, tc.secSize, tc.wbs, tc.ev, tc.noCRC, tc.lens)
			opt := fcb.Options{Magic: vecMagic, Version: vecVersion, NoCRC: tc.noCRC}
			_, err := r.mount(opt)
			require.ErrorIs(t, err, fcb.ErrIO, "Zephyr: EIO")

			opt.Repair = true
			f, err := r.mount(opt)
			require.NoError(t, err)
			got := walkAll(t, f)
			if len(want) == 0 {
				assert.Empty(t, got)
			} else {
				assert.Equal(t, want, got)
			}
			require.Len(t, f.Dropped(), 1)
			d := f.Dropped()[0]
			assert.Equal(t, fcb.DroppedSector{Index: last.Sector, Offset: last.ElemOff, Skipped: int(tc.secSize) - last.ElemOff,
				NonErasedBytes: 1, Reason: d.Reason}, d)
			assert.Equal(t, int(tc.secSize), f.Active().ElemOff)
			assert.False(t, f.IsEmpty())

			loc := pushOrRotate(t, f, []byte("after the cut"))
			assert.NotEqual(t, last.Sector, loc.Sector, "a new sector")
			assertNoViolations(t, r)
			g, err := r.mount(opt)
			require.NoError(t, err)
			assert.Equal(t, walkAll(t, f), walkAll(t, g), "the repaired FCB remounts to the same entries")
		})
	}
}

// badReads is a device whose reads of [from, to) fail with err.
type badReads struct {
	api.Device
	from, to int64
	err      error
}

func (b *badReads) Read(off int64, p []byte) error {
	if off < b.to && off+int64(len(p)) > b.from {
		return b.err
	}
	return b.Device.Read(off, p)
}

// TestRepairUnreadableTail: a torn entry whose bits the device cannot read
// (EBADMSG, a NAND ECC failure) ends the active sector in repair mode; a
// power loss during the mount is an error, not a torn tail.
func TestRepairUnreadableTail(t *testing.T) {
	r := newRig(t, 4, 1024, 4, 0xFF)
	f, err := r.mount(fcb.Options{Magic: vecMagic, Version: vecVersion})
	require.NoError(t, err)
	for i := range 4 {
		pushOrRotate(t, f, payload(i, 40))
	}
	entries := walkAll(t, f)
	last := entries[len(entries)-1]
	lastOff := int64(last.Sector)*1024 + int64(last.ElemOff)

	for _, tc := range []struct {
		name    string
		err     error
		repairs bool
	}{
		{"ecc", emu.ErrBadMsg, true},
		{"power_loss", emu.ErrPowerLoss, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dev := &badReads{Device: api.FromEmu(r.dev), from: lastOff, to: lastOff + 4, err: tc.err}
			a, err := api.DeviceArea(dev, "fcb")
			require.NoError(t, err)
			_, err = fcb.New(a, fcb.Options{Magic: vecMagic, Version: vecVersion})
			require.ErrorIs(t, err, fcb.ErrIO, "Zephyr: EIO")
			g, err := fcb.New(a, fcb.Options{Magic: vecMagic, Version: vecVersion, Repair: true})
			if !tc.repairs {
				require.ErrorIs(t, err, tc.err, "the mount fails and says why")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, entries[:len(entries)-1], walkAll(t, g))
			require.Len(t, g.Dropped(), 1)
			d := g.Dropped()[0]
			assert.Equal(t, last.Sector, d.Index)
			assert.Equal(t, last.ElemOff, d.Offset)
			assert.Contains(t, d.Reason, "unreadable")
			assert.Equal(t, 1024, g.Active().ElemOff)
		})
	}
}

// TestRepairTornHeaderID: the header of the sector opened after the newest
// one is torn with its magic complete and its id not (wbs 1: the bytes land
// in order). Zephyr mounts it by id: an id that reads older than the oldest
// (0xffff, or a high byte still erased) makes the empty sector the oldest and
// leaves no free sector (the settings store then takes that for an
// interrupted compression and erases the real newest sector); an id far
// ahead makes it the newest. Repair drops such empty sectors; a header that
// landed completely is kept.
func TestRepairTornHeaderID(t *testing.T) {
	const ss = 1024
	for _, tc := range []struct {
		name       string
		id         []byte // the id bytes as torn (little endian)
		dropped    string // reason prefix; "" for none
		zephyrOld  int    // Zephyr's oldest sector
		zephyrFree int    // Zephyr's free sector count
	}{
		{"id_erased", []byte{0xff, 0xff}, "torn sector header: empty sector with id 0xffff would be the oldest", 3, 0},
		{"id_high_byte_erased", []byte{0x03, 0xff}, "torn sector header: empty sector with id 0xff03 would be the oldest", 3, 0},
		{"id_far_ahead", []byte{0x03, 0x7f}, "torn sector header: empty newest sector with id 0x7f03, sector 2 before it has id 0x0002", 0, 0},
		{"complete", []byte{0x03, 0x00}, "", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, 4, ss, 1, 0xFF)
			opt := fcb.Options{Magic: vecMagic, Version: vecVersion}
			f, err := r.mount(opt)
			require.NoError(t, err)
			for n := 0; f.State().Active < 2 || f.Active().ElemOff < ss-120; n++ {
				_, err := f.Push(payload(n, 100))
				require.NoError(t, err)
			}
			require.Equal(t, 2, f.State().Active)
			want := walkAll(t, f)
			hdr := []byte{0x78, 0x56, 0x34, 0x12, vecVersion, 0xFF}
			require.NoError(t, r.dev.Poke(3*ss, append(hdr, tc.id...)))

			z, err := r.mount(opt)
			require.NoError(t, err, "Zephyr mounts")
			assert.Equal(t, tc.zephyrOld, z.State().Oldest)
			assert.Equal(t, tc.zephyrFree, z.FreeSectorCount())
			assert.Equal(t, want, walkAll(t, z))

			opt.Repair = true
			g, err := r.mount(opt)
			require.NoError(t, err)
			assert.Equal(t, want, walkAll(t, g))
			if tc.dropped == "" {
				assert.Empty(t, g.Dropped())
				assert.Equal(t, 3, g.State().Active, "a complete empty header is the newest sector")
				return
			}
			nonErased := 5 // magic and version; the pad byte is the erase value
			for _, b := range tc.id {
				if b != 0xFF {
					nonErased++
				}
			}
			assert.Equal(t, []fcb.DroppedSector{{Index: 3, Skipped: ss, NonErasedBytes: nonErased, Reason: tc.dropped}}, g.Dropped())
			st := g.State()
			assert.Equal(t, 0, st.Oldest)
			assert.Equal(t, 2, st.Active)
			assert.Equal(t, 1, st.FreeSectors)
			assert.Equal(t, uint16(2), st.ActiveID)
			// The next sector opened is erased first and gets id 3.
			r.rec.reset()
			for g.State().Active == 2 {
				_, err := g.Push(payload(99, 100))
				require.NoError(t, err)
			}
			assert.Contains(t, r.rec.ops, flashOp{Op: "erase", Off: 3 * ss, Len: ss})
			assertNoViolations(t, r)
			h, err := r.mount(fcb.Options{Magic: vecMagic, Version: vecVersion})
			require.NoError(t, err)
			assert.Equal(t, 3, h.State().Active)
			assert.Equal(t, uint16(3), h.ActiveID())
		})
	}
}
