package fcb_test

import (
	"bytes"
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

// TestWriteBlockSizes covers write blocks 1..128 (f_align is a u8) and the
// header padding on blocks above 8: the image is what Zephyr would leave
// on a device that accepts the 8-byte header write (header, then erased
// bytes up to A(8)).
func TestWriteBlockSizes(t *testing.T) {
	for _, wbs := range []int{1, 2, 4, 8, 16, 32, 64, 128} {
		for _, ev := range []byte{0xFF, 0x00} {
			t.Run(fmt.Sprintf("wbs%d_ev%02x", wbs, ev), func(t *testing.T) {
				r := newRig(t, 4, 4096, wbs, ev)
				f, err := r.mount(fcb.Options{Magic: vecMagic, Version: vecVersion})
				require.NoError(t, err)
				assert.Equal(t, wbs, f.Align())
				a8 := max(8, wbs)
				n := 0
				for ; n < 60; n++ {
					loc, err := f.Push(payload(n, n*5%200))
					if errors.Is(err, fcb.ErrNoSpace) && wbs >= 64 {
						break
					}
					require.NoError(t, err)
					if n == 0 {
						assert.Equal(t, a8, loc.ElemOff)
					}
					assert.Zero(t, loc.ElemOff%wbs)
					assert.Zero(t, loc.DataOff%wbs)
				}
				img := r.image()
				hdr := make([]byte, a8)
				for i := range hdr {
					hdr[i] = ev
				}
				fcb.Header{Magic: fcb.DiskMagic(vecMagic, ev), Version: vecVersion, Pad: ev, ID: 0}.Encode(hdr)
				assert.Equal(t, hdr, img[:a8])
				assertNoViolations(t, r)
				checkMounted(t, r, f, fcb.Options{Magic: vecMagic})
				walk := walkAll(t, f)
				require.Len(t, walk, n)
				for i, e := range walk {
					assert.Equal(t, fmt.Sprintf("%x", payload(i, i*5%200)), e.Data)
				}
				// The field-dump walker agrees.
				opt := fcb.DefaultImageOptions(4096)
				opt.Magic, opt.EraseValue, opt.Align = vecMagic, ev, wbs
				entries, err := fcb.WalkImage(img, opt)
				require.NoError(t, err)
				assert.Len(t, entries, n)
			})
		}
	}
}

func TestWriteBlock256Truncates(t *testing.T) {
	r := newRig(t, 4, 4096, 256, 0xFF)
	_, err := r.mount(fcb.Options{})
	assert.ErrorIs(t, err, fcb.ErrInvalid)
	assert.Equal(t, -int(errno.EINVAL), errno.Of(err))
	assert.Zero(t, r.dev.Stats().Programs, "nothing written")
}

// TestAnyEraseValue: the XOR scheme works for erase values other than 0x00
// and 0xFF.
func TestAnyEraseValue(t *testing.T) {
	for _, ev := range []byte{0xA5, 0x5A, 0x01} {
		r := newRig(t, 2, 1024, 4, ev)
		f, err := r.mount(fcb.Options{Magic: 42})
		require.NoError(t, err)
		for n := range 10 {
			_, err := f.Push(payload(n, 3*n))
			require.NoError(t, err)
		}
		assertNoViolations(t, r)
		g, err := r.mount(fcb.Options{Magic: 42})
		require.NoError(t, err)
		w := walkAll(t, g)
		require.Len(t, w, 10)
		h := fcb.ParseHeader(r.image())
		assert.Equal(t, uint32(42)^^(uint32(ev)*0x01010101), h.Magic)
		assert.Equal(t, ev, h.Pad)
	}
}

// craftHeaders writes sector headers with the given ids (nil: erased).
func craftHeaders(t *testing.T, r *rig, size int64, ev byte, ids []*uint16) {
	for i, id := range ids {
		if id == nil {
			continue
		}
		b := make([]byte, 8)
		fcb.Header{Magic: fcb.DiskMagic(vecMagic, ev), Version: 1, Pad: ev, ID: *id}.Encode(b)
		require.NoError(t, r.dev.Poke(int64(i)*size, b))
	}
}

func u16(v uint16) *uint16 { return &v }

// TestSignedIDOrdering: ids compare as int16, not as serial numbers.
func TestSignedIDOrdering(t *testing.T) {
	tests := []struct {
		name           string
		ids            []*uint16
		oldest, active int
		activeID       uint16
	}{
		{"plain", []*uint16{u16(5), u16(6), u16(7), u16(4)}, 3, 2, 7},
		{"0x8000 older than 0x7fff", []*uint16{u16(0x7ffe), u16(0x7fff), u16(0x8000), nil}, 2, 1, 0x7fff},
		{"0 newer than 0xffff", []*uint16{u16(0xfffe), u16(0xffff), u16(0), nil}, 0, 2, 0},
		{"hdrhalf id 0xffff is oldest", []*uint16{u16(0xffff), u16(1), u16(2), u16(3)}, 0, 3, 3},
		{"first valid seeds both", []*uint16{nil, u16(9), nil, nil}, 1, 1, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 4, 4096, 1, 0xFF)
			craftHeaders(t, r, 4096, 0xFF, tt.ids)
			f, err := r.mount(fcb.Options{Magic: vecMagic})
			require.NoError(t, err)
			s := f.State()
			assert.Equal(t, tt.oldest, s.Oldest)
			assert.Equal(t, tt.active, s.Active)
			assert.Equal(t, tt.activeID, s.ActiveID)
		})
	}
}

// zephyrPick restates fcb_init's sector choice over header ids (nil:
// erased): the first valid sector seeds oldest and newest, then a later id
// becomes newest if int16(id) - int16(newest) > 0, else oldest if
// int16(oldest) - int16(id) > 0.
func zephyrPick(ids []*int) (oldest, newest int) {
	oldest, newest = -1, -1
	var o, n int16
	for i, id := range ids {
		if id == nil {
			continue
		}
		v := int16(uint16(*id))
		switch {
		case oldest < 0:
			oldest, newest, o, n = i, i, v, v
		case int(v)-int(n) > 0:
			newest, n = i, v
		case int(o)-int(v) > 0:
			oldest, o = i, v
		}
	}
	return oldest, newest
}

// TestIDWraps runs appends and rotations across the 0x7fff/0x8000 flip of
// the signed comparison and the 0xffff/0 wrap, remounting after every
// append: the mount always picks the sectors Zephyr's rule picks.
func TestIDWraps(t *testing.T) {
	for _, start := range []uint16{0x7ffd, 0xfffd} {
		t.Run(fmt.Sprintf("from_%#x", start), func(t *testing.T) {
			r := newRig(t, 4, 512, 4, 0xFF)
			craftHeaders(t, r, 512, 0xFF, []*uint16{u16(start), nil, nil, nil})
			f, err := r.mount(fcb.Options{Magic: vecMagic})
			require.NoError(t, err)
			flipped := false
			for n := range 120 {
				for {
					_, err := f.Push(payload(n, 40))
					if errors.Is(err, fcb.ErrNoSpace) {
						require.NoError(t, f.Rotate())
						continue
					}
					require.NoError(t, err)
					break
				}
				g, err := r.mount(fcb.Options{Magic: vecMagic})
				require.NoError(t, err)
				oldest, newest := zephyrPick(sectorIDs(r.image(), 4, 512, 0xFF))
				st := g.State()
				require.Equal(t, [2]int{oldest, newest}, [2]int{st.Oldest, st.Active}, "after entry %d", n)
				if st.Oldest != f.State().Oldest {
					flipped = true // the remount disagrees with the running FCB
				}
			}
			assert.Greater(t, f.ActiveID()-start, uint16(4), "ids advanced past the flip")
			t.Logf("remount chose another oldest sector at some point: %v", flipped)
		})
	}
}

// TestGetNextReturnsIOError: where Zephyr returns 0 with a garbage location
// (the in-sector step after a valid entry fails with an I/O error), GetNext
// and Walk return the error.
func TestGetNextReturnsIOError(t *testing.T) {
	r := newRig(t, 2, 256, 1, 0xFF)
	f, err := r.mount(fcb.Options{Magic: vecMagic})
	require.NoError(t, err)
	first, err := f.Push([]byte{1, 2, 3})
	require.NoError(t, err)
	// A bad entry after it whose 2-byte length points past the sector:
	// 0x80 0x7f = length 16256.
	after := first.DataOff + 3 + 1
	require.NoError(t, r.dev.Poke(int64(after), []byte{0x80, 0x7f}))
	// Move on to sector 1 so that sector 0 is an older sector.
	require.NoError(t, f.AppendToScratch())
	_, err = f.Push([]byte{4})
	require.NoError(t, err)

	loc, err := f.First()
	require.NoError(t, err)
	assert.Equal(t, first.ElemOff, loc.ElemOff)
	_, err = f.GetNext(loc)
	assert.ErrorIs(t, err, fcb.ErrIO)
	assert.Equal(t, -int(errno.EIO), errno.Of(err))
	n := 0
	err = f.Walk(func(fcb.Loc) error { n++; return nil })
	assert.ErrorIs(t, err, fcb.ErrIO)
	assert.Equal(t, 1, n)
	// From the start of the sector the bad entry is reached through the
	// skip loop, which moves to the next sector as Zephyr does.
	next, err := f.GetNext(fcb.Loc{Sector: 1})
	require.NoError(t, err)
	assert.Equal(t, 1, next.Sector)
}

func TestAPIMisuse(t *testing.T) {
	r := newRig(t, 4, 4096, 4, 0xFF)
	_, err := fcb.New(nil, fcb.Options{})
	assert.ErrorIs(t, err, fcb.ErrInvalid)
	_, err = r.mount(fcb.Options{ScratchCount: 4})
	assert.ErrorIs(t, err, fcb.ErrInvalid, "no sector left besides scratch")
	_, err = r.mount(fcb.Options{ScratchCount: -1})
	assert.ErrorIs(t, err, fcb.ErrInvalid)
	f, err := r.mount(fcb.Options{}) // the area's own sectors by default
	require.NoError(t, err)
	assert.Len(t, f.Sectors(), 4)
	_, err = f.Append(-1)
	assert.ErrorIs(t, err, fcb.ErrInvalid)
	_, err = f.Append(fcb.MaxLen + 1)
	assert.ErrorIs(t, err, fcb.ErrInvalid)
	assert.ErrorIs(t, f.AppendFinish(fcb.Loc{Sector: 9}), fcb.ErrInvalid)
	_, err = f.GetNext(fcb.Loc{Sector: 4})
	assert.ErrorIs(t, err, fcb.ErrInvalid)
	assert.ErrorIs(t, f.WalkSector(-2, func(fcb.Loc) error { return nil }), fcb.ErrInvalid)
	_, err = f.OffsetLastN(256)
	assert.ErrorIs(t, err, fcb.ErrInvalid)
	loc, err := f.Append(4)
	require.NoError(t, err)
	assert.ErrorIs(t, f.WriteData(loc, []byte("toolong")), fcb.ErrInvalid)
	// Finishing an entry whose length field is erased: ENOTSUP.
	err = f.AppendFinish(fcb.Loc{Sector: 0, ElemOff: 2048})
	assert.ErrorIs(t, err, fcb.ErrNoEntry)
	assert.Equal(t, -int(errno.ENOTSUP), errno.Of(err))
	_, err = f.ElemInfo(fcb.Loc{Sector: 0, ElemOff: loc.ElemOff})
	assert.ErrorIs(t, err, fcb.ErrBadEndMarker, "appended, not finished")
	assert.Equal(t, -int(errno.EBADMSG), errno.Of(err))
	// A callback error is returned as is; SkipAll stops quietly.
	_, err = f.Push([]byte("x"))
	require.NoError(t, err)
	stop := errors.New("stop")
	assert.Same(t, stop, f.Walk(func(fcb.Loc) error { return stop }))
	assert.NoError(t, f.Walk(func(fcb.Loc) error { return fcb.SkipAll }))
	// Breaking out of Entries early is fine.
	for range f.Entries() {
		break
	}
}

func TestClearAndEmpty(t *testing.T) {
	r := newRig(t, 4, 1024, 4, 0x00)
	f, err := r.mount(fcb.Options{Magic: 1})
	require.NoError(t, err)
	assert.True(t, f.IsEmpty())
	require.NoError(t, f.Clear())
	assert.Zero(t, r.dev.Stats().Erases, "an empty FCB is not touched")
	for n := range 30 {
		_, err := f.Push(bytes.Repeat([]byte{byte(n)}, 50))
		if errors.Is(err, fcb.ErrNoSpace) {
			break
		}
		require.NoError(t, err)
	}
	assert.False(t, f.IsEmpty())
	require.NoError(t, f.Clear())
	assert.True(t, f.IsEmpty())
	assert.Empty(t, walkAll(t, f))
	assert.Equal(t, 3, f.FreeSectorCount())
	g, err := r.mount(fcb.Options{Magic: 1})
	require.NoError(t, err)
	assert.True(t, g.IsEmpty())
	assertNoViolations(t, r)
}

// TestNoExplicitErase: on RAM-like devices rotation flattens by filling
// with the erase value (fcb_erase_sector uses flash_area_flatten).
func TestNoExplicitErase(t *testing.T) {
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 4 * 1024, EraseUnit: 1024, WriteBlock: 4, EraseValue: 0xFF, NoExplicitErase: true})
	require.NoError(t, err)
	a, err := api.DeviceArea(api.FromEmu(d), "rram")
	require.NoError(t, err)
	f, err := fcb.New(a, fcb.Options{})
	require.NoError(t, err)
	for n := range 100 {
		for {
			_, err := f.Push(payload(n, 60))
			if errors.Is(err, fcb.ErrNoSpace) {
				require.NoError(t, f.Rotate())
				continue
			}
			require.NoError(t, err)
			break
		}
	}
	assert.Zero(t, d.Stats().Erases, "no erase on a RAM-like device")
	g, err := fcb.New(a, fcb.Options{})
	require.NoError(t, err)
	w1, w2 := 0, 0
	require.NoError(t, f.Walk(func(fcb.Loc) error { w1++; return nil }))
	require.NoError(t, g.Walk(func(fcb.Loc) error { w2++; return nil }))
	assert.Equal(t, w1, w2)
	assert.Positive(t, w1)
}

// TestLocWithoutSectorOff: locations built by hand (e.g. from Lua) need
// only Sector and the offsets; the FCB fills in the sector's area offset.
func TestLocWithoutSectorOff(t *testing.T) {
	r := newRig(t, 4, 1024, 4, 0xFF)
	f, err := r.mount(fcb.Options{})
	require.NoError(t, err)
	require.NoError(t, f.AppendToScratch()) // active sector 1: SectorOff 1024
	loc, err := f.Append(5)
	require.NoError(t, err)
	require.Equal(t, int64(1024), loc.SectorOff)
	bare := fcb.Loc{Sector: loc.Sector, ElemOff: loc.ElemOff, DataOff: loc.DataOff, Len: loc.Len}
	require.NoError(t, f.WriteData(bare, []byte("hello")))
	require.NoError(t, f.AppendFinish(bare))
	got := make([]byte, 5)
	n, err := f.Read(bare, got)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got[:n]))
	data, err := f.ReadData(loc)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(data))
	_, err = f.Read(fcb.Loc{Sector: 7}, got)
	assert.ErrorIs(t, err, fcb.ErrInvalid)
}

// TestConcurrentUse: appends, walks and iterations from several goroutines
// (run with -race); the FCB serialises every device access.
func TestConcurrentUse(t *testing.T) {
	r := newRig(t, 8, 1024, 4, 0xFF)
	f, err := r.mount(fcb.Options{ScratchCount: 1})
	require.NoError(t, err)
	done := make(chan error, 4)
	for g := range 2 {
		go func() {
			for n := range 100 {
				_, err := f.Push(payload(g*1000+n, 20))
				if errors.Is(err, fcb.ErrNoSpace) {
					err = f.Rotate()
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 2 {
		go func() {
			for range 20 {
				for e, err := range f.Entries() {
					if err != nil {
						done <- err
						return
					}
					if len(e.Data) != 20 {
						done <- fmt.Errorf("entry of %d bytes", len(e.Data))
						return
					}
				}
				_ = f.Walk(func(fcb.Loc) error { return nil })
				_ = f.State()
			}
			done <- nil
		}()
	}
	for range 4 {
		require.NoError(t, <-done)
	}
	assertNoViolations(t, r)
}
