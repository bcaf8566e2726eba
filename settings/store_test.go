package settings_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/settings"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// geometry of a test store: sectors × sector bytes, write block, erase value.
type geometry struct {
	sectors, sector, wbs int
	ev                   byte
}

func (g geometry) String() string {
	return fmt.Sprintf("%dx%d_wbs%d_ev%02x", g.sectors, g.sector, g.wbs, g.ev)
}

var geometries = []geometry{{4, 1024, 1, 0xff}, {4, 1024, 4, 0xff}, {3, 2048, 8, 0x00}}

func newDevice(t testing.TB, g geometry) (*emu.Device, *api.Area) {
	t.Helper()
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: int64(g.sectors * g.sector), EraseUnit: g.sector,
		WriteBlock: g.wbs, EraseValue: g.ev})
	require.NoError(t, err)
	a, err := api.NewArea(api.FromEmu(d), "storage", 0, d.Size())
	require.NoError(t, err)
	return d, a
}

func mount(t testing.TB, a *api.Area) *settings.Store {
	t.Helper()
	s, err := settings.New(a, settings.Options{})
	require.NoError(t, err)
	return s
}

func loadOK(t testing.TB, s *settings.Store, key string) ([]byte, bool) {
	t.Helper()
	v, ok, err := s.Load(key)
	require.NoError(t, err)
	return v, ok
}

func TestSaveLoadDelete(t *testing.T) {
	for _, g := range geometries {
		t.Run(g.String(), func(t *testing.T) {
			_, a := newDevice(t, g)
			s := mount(t, a)
			_, ok := loadOK(t, s, "a/b")
			assert.False(t, ok, "absent key")

			require.NoError(t, s.Save("a/b", []byte("one")))
			require.NoError(t, s.Save("c", []byte{0, 1, 2, '=', 0xff}))
			require.NoError(t, s.Save("a/b", []byte("two")))
			v, ok := loadOK(t, s, "a/b")
			assert.True(t, ok)
			assert.Equal(t, []byte("two"), v, "newest record wins")
			v, _ = loadOK(t, s, "c")
			assert.Equal(t, []byte{0, 1, 2, '=', 0xff}, v, "values are raw bytes, '=' included")

			require.NoError(t, s.Delete("a/b"))
			_, ok = loadOK(t, s, "a/b")
			assert.False(t, ok, "deleted")

			// Everything survives a remount.
			s = mount(t, a)
			_, ok = loadOK(t, s, "a/b")
			assert.False(t, ok)
			v, _ = loadOK(t, s, "c")
			assert.Equal(t, []byte{0, 1, 2, '=', 0xff}, v)

			got := map[string]string{}
			require.NoError(t, s.Each(func(k string, v []byte) error { got[k] = string(v); return nil }))
			assert.Equal(t, map[string]string{"c": "\x00\x01\x02=\xff"}, got)
		})
	}
}

// TestRecordFormat: one FCB entry "name=value" per change, a deletion is
// "name=" (Zephyr's settings line format), under magic 0xc0ffeeee.
func TestRecordFormat(t *testing.T) {
	_, a := newDevice(t, geometries[0])
	s := mount(t, a)
	require.NoError(t, s.Save("id", []byte("v1")))
	require.NoError(t, s.Delete("id"))
	var recs []string
	for e, err := range s.FCB().Entries() {
		require.NoError(t, err)
		recs = append(recs, string(e.Data))
	}
	assert.Equal(t, []string{"id=v1", "id="}, recs)
	assert.Equal(t, uint32(settings.Magic), s.FCB().Magic())
	hdr := make([]byte, 8)
	require.NoError(t, a.Read(0, hdr))
	assert.Equal(t, []byte{0xee, 0xee, 0xff, 0xc0, settings.Version, 0xff, 0, 0}, hdr)
}

// TestDuplicateSaveWritesNothing mirrors settings_line_dup_check_cb.
func TestDuplicateSaveWritesNothing(t *testing.T) {
	d, a := newDevice(t, geometries[0])
	s := mount(t, a)
	require.NoError(t, s.Save("k", []byte("v")))
	before := d.Stats().Programs
	require.NoError(t, s.Save("k", []byte("v")))
	require.NoError(t, s.Delete("never-saved"))
	assert.Equal(t, before, d.Stats().Programs)
	require.NoError(t, s.Save("k", []byte("w")))
	assert.Greater(t, d.Stats().Programs, before)
}

func TestBadArguments(t *testing.T) {
	_, a := newDevice(t, geometries[0])
	s := mount(t, a)
	for _, k := range []string{"", "a=b", "nul\x00"} {
		assert.ErrorIs(t, s.Save(k, []byte("x")), settings.ErrInvalidKey, "%q", k)
		_, _, err := s.Load(k)
		assert.ErrorIs(t, err, settings.ErrInvalidKey, "%q", k)
		assert.Equal(t, -22, errno.Of(s.Delete(k)))
	}
	err := s.Save("big", make([]byte, 1024))
	assert.ErrorIs(t, err, settings.ErrTooLarge)
	assert.Equal(t, -22, errno.Of(err))
	// The largest record that fits an empty 1 KiB sector: 8 + 2 + n + 1.
	require.NoError(t, s.Save("big", make([]byte, 1024-8-2-1-4)))
	_, err = settings.New(nil, settings.Options{})
	assert.Error(t, err)
}

// TestCompressKeepsLiveRecords fills the store many times over: the oldest
// sector is rotated away again and again, and every live value (and every
// deletion) survives, also across remounts.
func TestCompressKeepsLiveRecords(t *testing.T) {
	for _, g := range geometries {
		t.Run(g.String(), func(t *testing.T) {
			d, a := newDevice(t, g)
			s := mount(t, a)
			want := map[string][]byte{}
			for i := range 600 {
				k := fmt.Sprintf("key/%d", i%9)
				switch {
				case i%7 == 3:
					require.NoError(t, s.Delete(k))
					delete(want, k)
				default:
					v := bytes.Repeat([]byte{byte(i)}, 1+i%23)
					require.NoError(t, s.Save(k, v), "op %d", i)
					want[k] = v
				}
				if i%97 == 0 {
					s = mount(t, a)
				}
			}
			// A constant key saved once at the start must have been copied
			// forward through every rotation.
			for k := range 9 {
				key := fmt.Sprintf("key/%d", k)
				v, ok := loadOK(t, s, key)
				assert.Equal(t, want[key] != nil, ok, key)
				assert.Equal(t, want[key], v, key)
			}
			assert.Greater(t, d.Stats().Erases, uint64(g.sectors), "the store must have rotated through every sector")
		})
	}
}

// TestConstantKeySurvivesRotation: a key written once, followed by many
// writes of other keys, is copied forward and never lost.
func TestConstantKeySurvivesRotation(t *testing.T) {
	d, a := newDevice(t, geometries[0])
	s := mount(t, a)
	require.NoError(t, s.Save("const", []byte("forever")))
	require.NoError(t, s.Save("gone", []byte("soon")))
	require.NoError(t, s.Delete("gone"))
	for i := range 500 {
		require.NoError(t, s.Save("churn", []byte(fmt.Sprintf("value %d with padding", i))))
	}
	require.Greater(t, d.Stats().Erases, uint64(8))
	s = mount(t, a)
	v, ok := loadOK(t, s, "const")
	assert.True(t, ok)
	assert.Equal(t, []byte("forever"), v)
	_, ok = loadOK(t, s, "gone")
	assert.False(t, ok, "a deletion is copied forward too")
}

// TestFull: more live data than the FCB can hold gives ErrFull (ENOSPC),
// and what was stored before is intact.
func TestFull(t *testing.T) {
	_, a := newDevice(t, geometries[0])
	s := mount(t, a)
	var err error
	n := 0
	for ; n < 100; n++ {
		if err = s.Save(fmt.Sprintf("k%03d", n), bytes.Repeat([]byte{'x'}, 200)); err != nil {
			break
		}
	}
	require.Error(t, err)
	assert.ErrorIs(t, err, settings.ErrFull)
	assert.Equal(t, -28, errno.Of(err))
	s = mount(t, a)
	for i := range n {
		v, ok := loadOK(t, s, fmt.Sprintf("k%03d", i))
		assert.True(t, ok, "k%03d", i)
		assert.Len(t, v, 200)
	}
}
