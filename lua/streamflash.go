package lua

import (
	"errors"
	"fmt"

	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/streamflash"
	glua "github.com/yuin/gopher-lua"
)

// streamflash: Zephyr's stream_flash over a device or an area.

// StreamFlash is the Go value behind a Lua stream ("flashemu.streamflash").
type StreamFlash struct {
	S *streamflash.Stream
	// raised holds a Lua error raised by the callback during the current
	// call; it is re-raised when the Go call returns.
	raised glua.LValue
	// L is the state running the current call (the callback runs there,
	// which matters when the stream is used from a coroutine).
	L *glua.LState
}

func (sf *StreamFlash) luaType() string { return streamType.name }
func (sf *StreamFlash) String() string {
	return fmt.Sprintf("streamflash at 0x%x (%d bytes, %d written, %d buffered)", sf.S.Offset(), sf.S.Available(), sf.S.BytesWritten(), sf.S.BytesBuffered())
}

var streamType = &udType{name: "flashemu.streamflash", short: "stream",
	doc: "a Zephyr stream_flash context (streamflash.new); methods below"}

func init() {
	registerModule(&moduleDef{
		name: "streamflash",
		doc:  "Zephyr's stream_flash: buffered sequential writes with erase on demand",
		funcs: []fnDef{
			{"new", "streamflash.new(dev_or_area, {buf_len=512, offset=0, size=0, erase=true, callback=fn}) --> sf | nil, msg, errno",
				"stream_flash_init; size 0 = to the end; callback(buf, len, off) returns 0 or a negative errno", streamNew},
		},
	})
	registerType(streamType)
	streamType.methods = []fnDef{
		{"write", "sf:write(data [, flush]) --> true | nil, msg, errno", "stream_flash_buffered_write", streamWrite},
		{"flush", "sf:flush() --> true | nil, msg, errno", "write what is buffered (padded to the write block)", streamFlush},
		{"bytes_written", "sf:bytes_written() --> n", "stream_flash_bytes_written", streamBytesWritten},
		{"bytes_buffered", "sf:bytes_buffered() --> n", "stream_flash_bytes_buffered", streamBytesBuffered},
		{"erase_page", "sf:erase_page(off) --> true | nil, msg, errno", "stream_flash_erase_page", streamErasePage},
		{"save_progress", "sf:save_progress(store, key) --> true | nil, msg, errno", "stream_flash_progress_save (store: settings store or table)", streamSaveProgress},
		{"load_progress", "sf:load_progress(store, key) --> true | nil, msg, errno", "stream_flash_progress_load", streamLoadProgress},
		{"clear_progress", "sf:clear_progress(store, key) --> true | nil, msg, errno", "stream_flash_progress_clear", streamClearProgress},
	}
}

// callbackError carries the errno a Lua stream callback returned.
type callbackError struct{ code int }

func (c callbackError) Error() string {
	return fmt.Sprintf("streamflash: callback returned %d", c.code)
}

// Errno makes errno.Of report the callback's own value.
func (c callbackError) Errno() errno.Errno { return errno.Errno(-c.code) }

// errCallbackRaised stops a stream operation whose callback raised.
var errCallbackRaised = errors.New("streamflash: callback raised an error")

func streamNew(s *State, L *glua.LState) int {
	a := argsOf(L, "new")
	f := a.opts(2)
	bufLen := f.size("buf_len", 512)
	offset := f.size("offset", 0)
	size := f.size("size", 0)
	erase := f.boolean("erase", true)
	cbFn := f.function("callback")
	f.done()
	if bufLen < 0 || bufLen > 1<<24 {
		return s.pushFailure(L, fmt.Errorf("%w: buf_len %d", streamflash.ErrFault, bufLen))
	}
	sf := &StreamFlash{}
	var cb streamflash.Callback
	if cbFn != nil {
		cb = func(buf []byte, off int64) error {
			L := sf.L
			L.Push(cbFn)
			L.Push(glua.LString(buf))
			L.Push(glua.LNumber(len(buf)))
			L.Push(glua.LNumber(off))
			if err := L.PCall(3, 1, nil); err != nil {
				sf.raised = raisedValue(err)
				return errCallbackRaised
			}
			r := L.Get(-1)
			L.Pop(1)
			if n, ok := r.(glua.LNumber); ok && n != 0 {
				return callbackError{code: int(n)}
			}
			return nil
		}
	}
	sf.L = L
	buf := make([]byte, bufLen)
	opts := streamflash.Options{Erase: erase}
	var err error
	switch v := L.Get(1).(type) {
	case *glua.LUserData:
		switch t := v.Value.(type) {
		case *Device:
			sf.S, err = streamflash.New(t.API(), buf, offset, size, cb, opts)
		case *Area:
			sf.S, err = streamflash.NewArea(t.Area, buf, offset, size, cb, opts)
		default:
			a.typeError(1, "device or area")
		}
	default:
		a.typeError(1, "device or area")
	}
	if err != nil {
		return s.pushFailure(L, err)
	}
	s.pushUserData(L, streamType, sf)
	return 1
}

func checkStream(L *glua.LState, fn string) (*StreamFlash, args) {
	a := methodOf(L, fn)
	sf := checkUD[StreamFlash](a, 1, streamType)
	sf.L = L
	return sf, a
}

// done finishes a stream call: re-raise a callback's error, else push the
// result.
func (sf *StreamFlash) done(s *State, L *glua.LState, err error) int {
	if sf.raised != nil {
		v := sf.raised
		sf.raised = nil
		L.Error(v, 0)
	}
	if err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(glua.LTrue)
	return 1
}

func streamWrite(s *State, L *glua.LState) int {
	sf, a := checkStream(L, "write")
	data := a.str(2)
	flush := a.optBool(3, false)
	return sf.done(s, L, sf.S.Write([]byte(data), flush))
}

func streamFlush(s *State, L *glua.LState) int {
	sf, _ := checkStream(L, "flush")
	return sf.done(s, L, sf.S.Flush())
}

func streamBytesWritten(s *State, L *glua.LState) int {
	sf, _ := checkStream(L, "bytes_written")
	L.Push(glua.LNumber(sf.S.BytesWritten()))
	return 1
}

func streamBytesBuffered(s *State, L *glua.LState) int {
	sf, _ := checkStream(L, "bytes_buffered")
	L.Push(glua.LNumber(sf.S.BytesBuffered()))
	return 1
}

func streamErasePage(s *State, L *glua.LState) int {
	sf, a := checkStream(L, "erase_page")
	off := a.int(2)
	return sf.done(s, L, sf.S.ErasePage(off))
}

func streamProgress(name string, op func(*streamflash.Stream, streamflash.Store, string) error) func(*State, *glua.LState) int {
	return func(s *State, L *glua.LState) int {
		sf, a := checkStream(L, name)
		st := checkStore(a, 2)
		key := a.str(3)
		return sf.done(s, L, op(sf.S, st, key))
	}
}

var (
	streamSaveProgress  = streamProgress("save_progress", (*streamflash.Stream).SaveProgress)
	streamLoadProgress  = streamProgress("load_progress", (*streamflash.Stream).LoadProgress)
	streamClearProgress = streamProgress("clear_progress", (*streamflash.Stream).ClearProgress)
)
