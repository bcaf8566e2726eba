package streamflash_test

import (
	"bytes"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/streamflash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The documented data-loss fixes (vectors/README.md, interface.md §3),
// where flashemu deliberately differs from Zephyr 3.4.

// TestFixOffset100Buf4096 is the offset100_buf4096 case with the fix: every
// buffer spans two pages, and every page is erased once before the first
// write into it. Zephyr erased only the page of each buffer's last byte and
// wrote 3981 bytes onto unerased flash (the vector's violation count).
func TestFixOffset100Buf4096(t *testing.T) {
	const off, bufLen, n = 100, 4096, 5 * 4096
	for _, erase := range []bool{true, false} {
		t.Run(modeName(erase), func(t *testing.T) {
			d, rec := newVecDevice(t, erase)
			viol0 := d.Stats().Violations
			data := streamBytes(n)
			var cbs []vecCallback
			cb := func(buf []byte, o int64) error {
				cbs = append(cbs, vecCallback{o, len(buf), sha(buf)})
				return nil
			}
			s, err := streamflash.New(rec, make([]byte, bufLen), off, 0, cb, streamflash.Options{Erase: erase})
			require.NoError(t, err)
			assert.Equal(t, int64(vecDevSize-off), s.Available())
			for i := 0; i < n; i += 4096 {
				require.NoError(t, s.Write(data[i:i+4096], i+4096 == n))
				assert.Equal(t, int64(i+4096), s.BytesWritten())
				assert.Zero(t, s.BytesBuffered())
			}

			var want []vecOp
			if erase {
				want = append(want, vecOp{Op: "E", Off: 0, Len: vecPage})
			}
			for i := 0; i < n; i += bufLen {
				if erase {
					want = append(want, vecOp{Op: "E", Off: int64(i + vecPage), Len: vecPage})
				}
				want = append(want, vecOp{Op: "W", Off: int64(off + i), Len: bufLen})
			}
			assert.Equal(t, want, toVecOps(rec.ops))
			assert.Zero(t, d.Stats().Violations-viol0, "nothing written onto unerased flash")

			var wantCB []vecCallback
			for i := 0; i < n; i += bufLen {
				wantCB = append(wantCB, vecCallback{int64(off + i), bufLen, sha(data[i : i+bufLen])})
			}
			assert.Equal(t, wantCB, cbs, "every read-back matches the data")

			img := initialImage(erase)
			if erase {
				copy(img, bytes.Repeat([]byte{0xff}, 6*vecPage)) // pages 0..5 erased
			}
			copy(img[off:], data)
			assert.Equal(t, img, dump(t, rec))
		})
	}
}

// TestFixZeroBuffer: buf_len 0 is rejected at init (Zephyr accepts it and
// the first write never returns).
func TestFixZeroBuffer(t *testing.T) {
	d, rec := newVecDevice(t, true)
	s, err := streamflash.New(rec, []byte{}, 0, 0, nil, streamflash.Options{Erase: true})
	assert.Nil(t, s)
	assert.ErrorIs(t, err, streamflash.ErrZeroBuffer)
	assert.Equal(t, -int(api.EFAULT), api.ErrnoOf(err))
	assert.Empty(t, rec.ops)
	assert.Zero(t, d.Stats().Erases)
}

// TestFixEraseEveryTouchedPageNonUniform: on a non-uniform layout with a
// start offset inside a page, every buffer spans two pages of different
// sizes; each page is erased exactly once, before the first write into it.
func TestFixEraseEveryTouchedPageNonUniform(t *testing.T) {
	d, err := emu.New(emu.Config{Kind: emu.NOR, Units: []emu.Run{{Count: 4, Size: 1024}, {Count: 2, Size: 2048}, {Count: 3, Size: 4096}},
		WriteBlock: 4, EraseValue: 0xff, Violations: emu.ViolationsCount})
	require.NoError(t, err)
	fillDevice(t, d, 0x00)
	viol0 := d.Stats().Violations
	rec := &recorder{Device: wrap(d)}
	const off, bufLen = 512, 1024
	n := int(d.Size()) - off - 300
	data := streamBytes(n)
	s, err := streamflash.New(rec, make([]byte, bufLen), off, 0, nil, streamflash.Options{Erase: true})
	require.NoError(t, err)
	for i := 0; i < n; i += 333 {
		require.NoError(t, s.Write(data[i:min(i+333, n)], i+333 >= n))
	}
	assert.Equal(t, int64(n), s.BytesWritten())

	erased := map[int64]int{}
	var lastWrite int64 = -1
	for _, o := range rec.ops {
		require.Zero(t, o.RC)
		switch o.Op {
		case "E":
			erased[o.Off]++
		case "W":
			// Every page the write touches was erased before it.
			for p := o.Off; p < o.Off+o.Len; {
				i, start, size, ok := d.UnitAt(p)
				require.True(t, ok)
				assert.Equal(t, 1, erased[start], "page %d at %d erased once before the write at %d", i, start, o.Off)
				p = start + size
			}
			assert.Greater(t, o.Off, lastWrite)
			lastWrite = o.Off
		}
	}
	// Exactly the pages the stream touches, once each.
	for i := range d.UnitCount() {
		start, size := d.Unit(i)
		touched := start+size > off && start < int64(off+n)
		want := 0
		if touched {
			want = 1
		}
		assert.Equal(t, want, erased[start], "page %d", i)
	}
	assert.Zero(t, d.Stats().Violations-viol0)
	img := dump(t, rec)
	assert.Equal(t, data, img[off:off+n])
}

// TestFixNoReEraseOfWrittenPage: a page that already holds bytes of the
// stream is never erased again, even after ErasePage moved the "last erased"
// page elsewhere (Zephyr 3.4 would erase the current page again and lose the
// bytes already written in it).
func TestFixNoReEraseOfWrittenPage(t *testing.T) {
	d, rec := newVecDevice(t, true)
	data := streamBytes(768)
	s, err := streamflash.New(rec, make([]byte, 256), 0, 0, nil, streamflash.Options{Erase: true})
	require.NoError(t, err)
	require.NoError(t, s.Write(data[:512], false))
	require.NoError(t, s.ErasePage(8192))
	require.NoError(t, s.Write(data[512:], true))
	assert.Equal(t, []vecOp{
		{Op: "E", Off: 0, Len: 4096}, {Op: "W", Off: 0, Len: 256}, {Op: "W", Off: 256, Len: 256},
		{Op: "E", Off: 8192, Len: 4096}, {Op: "W", Off: 512, Len: 256},
	}, toVecOps(rec.ops))
	assert.Equal(t, data, dump(t, rec)[:768])
	assert.Zero(t, d.Stats().Violations)
}

// TestFixCallbackRetryStraddling: a failed callback on a buffer that spans
// two pages; the retry rewrites the same buffer without erasing the page
// that holds earlier stream bytes.
func TestFixCallbackRetryStraddling(t *testing.T) {
	d, rec := newVecDevice(t, true)
	data := streamBytes(3 * 4096)
	fail := true
	cb := func(buf []byte, off int64) error {
		if off == 4196 && fail {
			fail = false
			return emu.Errno(77)
		}
		return nil
	}
	s, err := streamflash.New(rec, make([]byte, 4096), 100, 0, cb, streamflash.Options{Erase: true})
	require.NoError(t, err)
	require.NoError(t, s.Write(data[:4096], false))
	err = s.Write(data[4096:8192], false)
	assert.Equal(t, -77, api.ErrnoOf(err))
	assert.Equal(t, int64(4096), s.BytesWritten())
	assert.Equal(t, 4096, s.BytesBuffered())
	require.NoError(t, s.Write(data[8192:8192+4096], true))
	assert.Equal(t, int64(3*4096), s.BytesWritten())
	erases := 0
	for _, o := range rec.ops {
		if o.Op == "E" {
			erases++
		}
	}
	assert.Equal(t, 4, erases, "pages 0..3 erased once each")
	assert.Equal(t, data, dump(t, rec)[100:100+3*4096])
	assert.Zero(t, d.Stats().Violations, "nothing written onto unerased flash")
}

// TestFixErasePageOutsideStream (issue 13.3): on a stream at 0x2000 of size
// 0x4000, ErasePage of a device offset outside [0x2000, 0x6000) is refused
// with ERANGE, erases nothing and keeps the last erased page; Zephyr 3.4
// erased the device page (vector erase_ignores_ctx_range) and wiped data
// next to the stream. Offsets inside the stream still erase their page.
func TestFixErasePageOutsideStream(t *testing.T) {
	d, rec := newVecDevice(t, true)
	s, err := streamflash.New(rec, make([]byte, 256), 0x2000, 0x4000, nil, streamflash.Options{Erase: true})
	require.NoError(t, err)
	before := dump(t, rec)
	for _, off := range []int64{0, 0x1fff, 0x6000, 0x8000} {
		err := s.ErasePage(off)
		assert.ErrorIs(t, err, streamflash.ErrRange, "off %#x", off)
		assert.Equal(t, -34, api.ErrnoOf(err), "off %#x", off)
	}
	assert.Empty(t, rec.ops, "no device operation")
	assert.Equal(t, int64(-1), s.LastErasedPage())
	assert.Equal(t, before, dump(t, rec), "data outside the stream intact")
	// Outside the device: still EINVAL, as before.
	assert.ErrorIs(t, s.ErasePage(-1), streamflash.ErrInvalid)
	assert.ErrorIs(t, s.ErasePage(vecDevSize), streamflash.ErrInvalid)

	require.NoError(t, s.ErasePage(0x2000))
	require.NoError(t, s.ErasePage(0x5fff))
	assert.Equal(t, []vecOp{{Op: "E", Off: 0x2000, Len: vecPage}, {Op: "E", Off: 0x5000, Len: vecPage}}, toVecOps(rec.ops))
	assert.Equal(t, int64(0x5000), s.LastErasedPage())
	assert.Zero(t, d.Stats().Violations)
}

// TestFixSizeNotWriteBlockMultiple (issue 13.4): New refuses a size that is
// not a multiple of the write block with EFAULT. Zephyr 3.4 accepted size 6
// on write block 4 and its padded flush then programmed 0x1000-0x1007, past
// the stream's end (vector size_not_multiple_of_wbs_write).
func TestFixSizeNotWriteBlockMultiple(t *testing.T) {
	d := newNOR(t, 64<<10, 4096, 4, 0xff)
	for _, size := range []int64{1, 6, 10, 4097} {
		s, err := streamflash.New(wrap(d), make([]byte, 256), 0x1000, size, nil, streamflash.Options{Erase: true})
		assert.ErrorIs(t, err, streamflash.ErrFault, "size %d", size)
		assert.Equal(t, -14, api.ErrnoOf(err), "size %d", size)
		assert.Nil(t, s)
	}
	// A multiple of the write block still works, and its padded flush stays
	// inside the stream.
	s, err := streamflash.New(wrap(d), make([]byte, 256), 0x1000, 8, nil, streamflash.Options{Erase: true})
	require.NoError(t, err)
	require.NoError(t, s.Write([]byte("abcdef"), true))
	img := dump(t, wrap(d))
	assert.Equal(t, []byte("abcdef\xff\xff"), img[0x1000:0x1008])
	assert.Equal(t, bytes.Repeat([]byte{0xff}, 8), img[0x1008:0x1010], "nothing programmed past the stream")
}
