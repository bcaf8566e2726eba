package streamflash

import "github.com/flashemu/flashemu/api"

// Test-only access to the context, for the ported Zephyr tests that poke at
// struct stream_flash_ctx directly (ctx.fdev = &fake_dev, ctx.buf_bytes = 0,
// ctx.callback = NULL, ctx.last_erased_page_start_offset = ...).

func (s *Stream) SetDeviceForTest(d api.Device)  { s.dev = d }
func (s *Stream) SetCallbackForTest(cb Callback) { s.cb = cb }
func (s *Stream) SetBufBytesForTest(n int)       { s.bufBytes = n }
func (s *Stream) SetLastErasedForTest(off int64) { s.lastErased = off }
func (s *Stream) BufForTest() []byte             { return s.buf }

// StateForTest is every field of the context except the callback (funcs do
// not compare), with a copy of the buffer, for "ctx unchanged" checks.
type StateForTest struct {
	Dev                               api.Device
	Buf                               []byte
	BufBytes                          int
	BytesWritten, Offset, Available   int64
	HasCallback, Erase, ExplicitErase bool
	LastErased                        int64
	WBS                               int
	EraseValue                        byte
}

func (s *Stream) StateForTest() StateForTest {
	return StateForTest{
		Dev: s.dev, Buf: append([]byte(nil), s.buf...), BufBytes: s.bufBytes,
		BytesWritten: s.bytesWritten, Offset: s.offset, Available: s.available,
		HasCallback: s.cb != nil, Erase: s.erase, ExplicitErase: s.explicitErase,
		LastErased: s.lastErased, WBS: s.wbs, EraseValue: s.eraseValue,
	}
}
