package streamflash_test

import (
	"bytes"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/streamflash"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Port of Zephyr's tests/subsys/storage/stream/stream_flash (zephyr-reference
// §6.2), Zephyr 3.4 flavour (size 0 = rest of the device, erase_page
// exists): a 2 MiB flash with 4 KiB pages and erase value 0xff, BUF_LEN 512,
// FLASH_BASE 128 KiB, written pattern 0xaa. Every test runs in each of the
// suite's scenarios (tests.yaml).

const (
	zFlashSize = 2 << 20
	zPage      = 4096
	zBufLen    = 512
	zBase      = 128 << 10
	zAvailable = zFlashSize - zBase
	zMaxPages  = 4
	zKey       = "sf-test/progress"
)

// zScenario is one scenario of the suite's tests.yaml.
type zScenario struct {
	name            string
	wbs             int
	erase           bool // CONFIG_STREAM_FLASH_ERASE
	noExplicitErase bool // the device needs no erase (RRAM-like)
}

var zScenarios = []zScenario{
	{"storage.stream_flash", 1, true, false},
	{"storage.stream_flash.no_erase", 1, false, false},
	{"storage.stream_flash.dword_wbs", 8, true, false},
	{"storage.stream_flash.simulator.no_explicit_erase", 1, false, true},
	{"storage.stream_flash.no_explicit_erase", 16, true, true},
}

// zSuite holds the suite's globals (ctx, buf, the callback expectations).
type zSuite struct {
	t        *testing.T
	sc       zScenario
	dev      api.Device
	ctx      *streamflash.Stream
	buf      []byte
	store    streamflash.Store
	cbBuf    []byte // when set, the callback checks (buf, len, offset)
	cbLen    int
	cbOffset int64
	cbRet    error
	cbCalls  int
	writeBuf []byte // 0xaa, MAX_NUM_PAGES pages
}

func newZSuite(t *testing.T, sc zScenario, store streamflash.Store) *zSuite {
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: zFlashSize, EraseUnit: zPage, WriteBlock: sc.wbs,
		EraseValue: 0xff, NoExplicitErase: sc.noExplicitErase})
	require.NoError(t, err)
	return &zSuite{t: t, sc: sc, dev: wrap(d), buf: make([]byte, zBufLen), store: store,
		writeBuf: bytes.Repeat([]byte{0xaa}, zPage*zMaxPages)}
}

func (z *zSuite) callback(buf []byte, off int64) error {
	z.cbCalls++
	if z.cbBuf != nil {
		assert.Same(z.t, &z.cbBuf[0], &buf[0], "incorrect buf")
		assert.Equal(z.t, z.cbLen, len(buf), "incorrect length")
		assert.Equal(z.t, z.cbOffset, off, "incorrect offset")
	}
	return z.cbRet
}

// eraseFlash erases MAX_NUM_PAGES pages at FLASH_BASE (flatten on a device
// without explicit erase, as the newer suite does).
func (z *zSuite) eraseFlash() {
	require.NoError(z.t, api.Flatten(z.dev, zBase, zMaxPages*zPage))
}

// initTarget is init_target: clean ctx and buffer, callback checks off,
// erased flash, stream_flash_init(ctx, fdev, buf, BUF_LEN, FLASH_BASE, 0, cb).
func (z *zSuite) initTarget() {
	for i := range z.buf {
		z.buf[i] = 0
	}
	z.cbBuf, z.cbLen, z.cbOffset, z.cbRet, z.cbCalls = nil, 0, 0, nil, 0
	z.eraseFlash()
	var err error
	z.ctx, err = streamflash.New(z.dev, z.buf, zBase, 0, z.callback, streamflash.Options{Erase: z.sc.erase})
	require.NoError(z.t, err, "expected success")
}

func (z *zSuite) verify(start, size int, want byte, what string) {
	z.t.Helper()
	got := make([]byte, size)
	require.NoError(z.t, z.dev.Read(zBase+int64(start), got), "should succeed")
	assert.Equal(z.t, bytes.Repeat([]byte{want}, size), got, "[%d, +%d) should be %s", start, size, what)
}

func (z *zSuite) verifyWritten(start, size int) { z.t.Helper(); z.verify(start, size, 0xaa, "written") }
func (z *zSuite) verifyErased(start, size int)  { z.t.Helper(); z.verify(start, size, 0xff, "erased") }

func (z *zSuite) write(n int, flush bool) error { return z.ctx.Write(z.writeBuf[:n], flush) }

// eraseTracking is the context's erase tracking (last_erased_page_start_offset).
func (z *zSuite) eraseTracking() int64 { return z.ctx.LastErasedPage() }

var zTests = []struct {
	name      string
	eraseOnly bool
	run       func(z *zSuite)
}{
	{"test_stream_flash_buf_size_greater_than_page_size", false, func(z *zSuite) {
		// Other parameters do not trigger the error...
		_, err := streamflash.New(z.dev, z.buf[:0x10], 0, 0, nil, streamflash.Options{Erase: z.sc.erase})
		assert.NoError(z.t, err, "expected success")
		// ...only buf_len does.
		_, err = streamflash.New(z.dev, make([]byte, 0x10000), 0, 0, nil, streamflash.Options{Erase: z.sc.erase})
		assert.ErrorIs(z.t, err, streamflash.ErrFault, "expected failure")
		assert.Equal(z.t, -14, errno.Of(err))
	}},
	{"test_stream_flash_buffered_write", false, func(z *zSuite) {
		z.initTarget()
		// Don't fill up the buffer.
		require.NoError(z.t, z.write(zBufLen-1, false))
		z.verifyErased(0, zBufLen)
		// The missing byte triggers a dump to flash.
		require.NoError(z.t, z.write(1, false))
		z.verifyWritten(0, zBufLen)
	}},
	{"test_stream_flash_buffered_write_callback", false, func(z *zSuite) {
		z.initTarget()
		z.cbBuf = z.buf
		// A single flash sync inside a buffered write.
		z.cbLen, z.cbOffset = zBufLen, zBase
		require.NoError(z.t, z.write(zBufLen+128, false))
		// A flash sync with an offset.
		z.cbLen, z.cbOffset = zBufLen, zBase+zBufLen
		require.NoError(z.t, z.write(zBufLen-128, false))
		// An explicit flush.
		z.cbLen, z.cbOffset = 256, zBase+2*zBufLen
		require.NoError(z.t, z.write(256, true))
		assert.Equal(z.t, 3, z.cbCalls)

		// The callback fails: the data stays buffered.
		z.cbRet, z.cbBuf = errno.New("callback failed", errno.EFAULT), nil
		err := z.write(zBufLen, true)
		assert.Equal(z.t, -14, errno.Of(err), "expected failure from callback")
		assert.Same(z.t, z.cbRet, err, "the callback's error is returned unchanged")
		assert.Equal(z.t, zBufLen, z.ctx.BytesBuffered(), "expected bytes to be left in buffer")

		// A device whose read fails (write works): the read-back error.
		z.cbRet = nil
		readErr := errno.New("fake read", errno.EINVAL)
		z.ctx.SetDeviceForTest(&fakeDev{Device: z.dev, read: func(int64, []byte) error { return readErr }})
		err = z.write(zBufLen, true)
		assert.Equal(z.t, -22, errno.Of(err), "expected failure from flash_sync")
		assert.Same(z.t, readErr, err)

		// A device whose write fails, no callback, empty buffer.
		writeErr := errno.New("fake write", errno.EINVAL)
		z.ctx.SetDeviceForTest(&fakeDev{Device: z.dev, write: func(int64, []byte) error { return writeErr }})
		z.ctx.SetCallbackForTest(nil)
		z.ctx.SetBufBytesForTest(0)
		n := max(z.sc.wbs-1, 1)
		written := z.ctx.BytesWritten()
		err = z.write(n, true)
		assert.Equal(z.t, -22, errno.Of(err), "expected failure from flash_write")
		assert.Same(z.t, writeErr, err)
		assert.Equal(z.t, written, z.ctx.BytesWritten(), "bytes_written must not change")
		assert.Equal(z.t, n, z.ctx.BytesBuffered(), "the bytes stay buffered")
	}},
	{"test_stream_flash_buffered_write_cross_buf_border", false, func(z *zSuite) {
		z.initTarget()
		require.NoError(z.t, z.write(zBufLen+128, false))
		z.verifyWritten(0, zBufLen)
		z.verifyErased(zBufLen, zBufLen)
		require.NoError(z.t, z.write(zBufLen-128, false))
		z.verifyWritten(zBufLen, zBufLen)
		require.NoError(z.t, z.write(256, false))
		z.verifyErased(2*zBufLen, 256)
		require.NoError(z.t, z.ctx.Write(nil, true))
		z.verifyWritten(0, 2*zBufLen+256)
	}},
	{"test_stream_flash_buffered_write_multi_page", false, func(z *zSuite) {
		const numPages = zMaxPages - 1
		z.initTarget()
		// All of three pages and 128 bytes of the fourth.
		require.NoError(z.t, z.write(zPage*numPages+128, false))
		z.verifyWritten(0, zPage*numPages)
		z.verifyErased(zPage*numPages, zPage)
		// Fill the rest of the fourth page.
		require.NoError(z.t, z.write(zPage-128, false))
		z.verifyWritten(0, 2048)
		z.verifyWritten(0, zPage*zMaxPages)
	}},
	{"test_stream_flash_buffered_write_unaligned", false, func(z *zSuite) {
		if z.sc.wbs == 1 {
			z.t.Skip("write block size 1: nothing is unaligned")
		}
		z.initTarget()
		// One byte, flushed: padded with the erase value.
		require.NoError(z.t, z.write(1, true))
		z.verifyWritten(0, 1)
		z.verifyErased(1, z.sc.wbs-1)
		assert.Equal(z.t, int64(1), z.ctx.BytesWritten(), "padding is not counted")

		// Re-init after the first buffer and write an unaligned length.
		var err error
		z.ctx, err = streamflash.New(z.dev, z.buf, zBase+zBufLen, 0, z.callback, streamflash.Options{Erase: z.sc.erase})
		require.NoError(z.t, err)
		z.cbBuf, z.cbLen, z.cbOffset, z.cbCalls = z.buf, zBufLen-1, zBase+zBufLen, 0
		require.NoError(z.t, z.write(zBufLen-1, true))
		assert.Equal(z.t, 1, z.cbCalls)
		z.verifyWritten(zBufLen, zBufLen-1)
		z.verifyErased(2*zBufLen-1, 1)
	}},
	{"test_stream_flash_buffered_write_whole_page", true, func(z *zSuite) {
		z.initTarget()
		// Two whole pages, flushed.
		require.NoError(z.t, z.write(2*zPage, true))
		// New context, flash kept.
		var err error
		z.ctx, err = streamflash.New(z.dev, z.buf, zBase, 0, nil, streamflash.Options{Erase: z.sc.erase})
		require.NoError(z.t, err)
		// One page: the second page must not be erased.
		require.NoError(z.t, z.write(zPage, true))
		z.verifyWritten(zPage, zPage)
	}},
	{"test_stream_flash_bytes_written", false, func(z *zSuite) {
		z.initTarget()
		require.NoError(z.t, z.write(zBufLen+128, false))
		assert.Equal(z.t, int64(zBufLen), z.ctx.BytesWritten(), "offset should match buf size")
		z.verifyWritten(0, zBufLen)
		require.NoError(z.t, z.write(zBufLen-128, false))
		assert.Equal(z.t, int64(2*zBufLen), z.ctx.BytesWritten())
		z.verifyWritten(zBufLen, zBufLen)
	}},
	{"test_stream_flash_erase_page", true, func(z *zSuite) {
		if z.sc.noExplicitErase {
			z.t.Skip("the device has no explicit erase: erase_page erases nothing")
		}
		z.initTarget()
		require.NoError(z.t, z.write(zBufLen, false))
		// The sync erased the page: forget it, so erase_page erases again.
		z.ctx.SetLastErasedForTest(-1)
		require.NoError(z.t, z.ctx.ErasePage(zBase), "expected success")
		z.verifyErased(0, zPage)
		assert.Equal(z.t, int64(zBase), z.eraseTracking())

		// A failing erase leaves the context byte-identical.
		eraseErr := errno.New("fake erase", errno.EINVAL)
		z.ctx.SetDeviceForTest(&fakeDev{Device: z.dev, erase: func(int64, int64) error { return eraseErr }})
		z.ctx.SetLastErasedForTest(zBase + zPage)
		before := z.ctx.StateForTest()
		err := z.ctx.ErasePage(zBase)
		assert.Equal(z.t, -22, errno.Of(err), "expected failure")
		assert.Same(z.t, eraseErr, err)
		assert.Equal(z.t, before, z.ctx.StateForTest(), "ctx should not be altered")
	}},
	{"test_stream_flash_flush", false, func(z *zSuite) {
		z.initTarget()
		assert.NoError(z.t, z.ctx.Write(nil, true), "flush should succeed")
		assert.NoError(z.t, z.ctx.Flush())
		assert.Zero(z.t, z.ctx.BytesWritten())
	}},
	{"test_stream_flash_init", false, func(z *zSuite) {
		z.initTarget()
		// End address out of range.
		_, err := streamflash.New(z.dev, z.buf, zBase, zAvailable+4, nil, streamflash.Options{})
		assert.Less(z.t, errno.Of(err), 0, "should fail as size is more than available")
		var nilStream *streamflash.Stream
		assert.Less(z.t, errno.Of(nilStream.Write(z.writeBuf[:1], true)), 0, "should fail as ctx is NULL")
		_, err = streamflash.New(nil, z.buf, zBase, 0, nil, streamflash.Options{})
		assert.Less(z.t, errno.Of(err), 0, "should fail as fdev is NULL")
		_, err = streamflash.New(z.dev, nil, zBase, 0, nil, streamflash.Options{})
		assert.Less(z.t, errno.Of(err), 0, "should fail as buffer is NULL")
		// Size 0 uses the rest of the flash.
		s, err := streamflash.New(z.dev, z.buf, zBase, 0, nil, streamflash.Options{})
		require.NoError(z.t, err, "should succeed")
		assert.Equal(z.t, int64(zAvailable), s.Available(), "wrong size")
	}},
	{"test_stream_flash_progress_api", false, func(z *zSuite) {
		z.initTarget()
		var nilStream *streamflash.Stream
		for _, f := range []func(*streamflash.Stream, streamflash.Store, string) error{
			(*streamflash.Stream).SaveProgress, (*streamflash.Stream).LoadProgress, (*streamflash.Stream).ClearProgress,
		} {
			assert.Less(z.t, errno.Of(f(nilStream, z.store, zKey)), 0, "should fail with NULL ctx")
			assert.Less(z.t, errno.Of(f(z.ctx, z.store, "")), 0, "should fail with NULL key")
			assert.Less(z.t, errno.Of(f(z.ctx, nil, zKey)), 0, "should fail without a store")
			assert.NoError(z.t, f(z.ctx, z.store, zKey), "expected success")
		}
		// Save after writing.
		require.NoError(z.t, z.write(zBufLen, false))
		assert.NoError(z.t, z.ctx.SaveProgress(z.store, zKey))
	}},
	{"test_stream_flash_progress_clear", false, func(z *zSuite) {
		z.initTarget()
		require.NoError(z.t, z.write(zBufLen, false))
		require.NoError(z.t, z.ctx.SaveProgress(z.store, zKey))
		require.NoError(z.t, z.ctx.ClearProgress(z.store, zKey))
		z.initTarget()
		written, tracking := z.ctx.BytesWritten(), z.eraseTracking()
		require.NoError(z.t, z.ctx.LoadProgress(z.store, zKey))
		assert.Equal(z.t, written, z.ctx.BytesWritten(), "bytes_written changed")
		assert.Equal(z.t, tracking, z.eraseTracking(), "erase tracking changed")
	}},
	{"test_stream_flash_progress_resume", false, func(z *zSuite) {
		z.initTarget()
		written, tracking := z.ctx.BytesWritten(), z.eraseTracking()
		require.NoError(z.t, z.ctx.SaveProgress(z.store, zKey))
		z.initTarget()
		require.NoError(z.t, z.ctx.LoadProgress(z.store, zKey))
		assert.Equal(z.t, written, z.ctx.BytesWritten())
		assert.Equal(z.t, tracking, z.eraseTracking())

		// Two pages, flushed, saved: erase tracking moved.
		require.NoError(z.t, z.write(2*zPage, true))
		written, tracking = z.ctx.BytesWritten(), z.eraseTracking()
		if z.sc.erase && !z.sc.noExplicitErase {
			assert.Equal(z.t, int64(zBase+zPage), tracking, "expected the second page as last erased")
		}
		require.NoError(z.t, z.ctx.SaveProgress(z.store, zKey))
		// Re-init and load: both restored.
		z.initTarget()
		require.NoError(z.t, z.ctx.LoadProgress(z.store, zKey))
		assert.Equal(z.t, written, z.ctx.BytesWritten(), "bytes_written restored")
		if z.sc.erase {
			assert.Equal(z.t, tracking, z.eraseTracking(), "erase tracking restored")
		}

		// Outdated progress does not overwrite newer progress.
		z.initTarget()
		require.NoError(z.t, z.write(zBufLen, false))
		require.NoError(z.t, z.ctx.SaveProgress(z.store, zKey))
		require.NoError(z.t, z.write(zBufLen, false))
		written = z.ctx.BytesWritten()
		require.NoError(z.t, z.ctx.LoadProgress(z.store, zKey))
		assert.Equal(z.t, written, z.ctx.BytesWritten(), "outdated progress must be ignored")
		assert.Equal(z.t, int64(2*zBufLen), written)
	}},
}

// TestZephyrSuite runs every ported test in every scenario, in ztest's name
// order. Each test gets a fresh device (every ztest test starts with
// init_target anyway); the progress store is shared, as settings are.
func TestZephyrSuite(t *testing.T) {
	for _, sc := range zScenarios {
		t.Run(sc.name, func(t *testing.T) {
			for _, st := range newProgressStores(t) {
				t.Run(st.name, func(t *testing.T) {
					for _, tc := range zTests {
						t.Run(tc.name, func(t *testing.T) {
							if tc.eraseOnly && !sc.erase {
								t.Skip("needs CONFIG_STREAM_FLASH_ERASE")
							}
							z := newZSuite(t, sc, st.store)
							tc.run(z)
						})
					}
				})
			}
		})
	}
}

// progressStore names a Store implementation the progress tests run on.
type progressStore struct {
	name  string
	store streamflash.Store
}

func newProgressStores(t *testing.T) []progressStore {
	return []progressStore{{"mem", memStore{}}, {"settings_fcb", newSettingsStore(t)}}
}
