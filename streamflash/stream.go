package streamflash

import (
	"fmt"

	"github.com/flashemu/flashemu/api"
)

// Callback is stream_flash_callback_t: it is called after every buffer
// write with the data read back from flash. buf is the context buffer
// itself, sliced to the unpadded length of the write, and off is the
// absolute device offset the buffer was written at. Before the read-back the
// buffer is inverted, so a read that silently does nothing shows up as
// inverted data. A non-nil result is returned unchanged by Write, and the
// context then keeps the buffer full and BytesWritten unchanged (the data is
// already on flash): a later Write rewrites the same buffer at the same
// offset.
type Callback func(buf []byte, off int64) error

// Options holds the build-time options of Zephyr's stream_flash that
// flashemu makes per stream.
type Options struct {
	// Erase is CONFIG_STREAM_FLASH_ERASE: erase pages on demand before
	// writing into them. It is ignored on devices without explicit erase.
	Erase bool
}

// Stream is struct stream_flash_ctx: one stream of bytes written in order to
// a device region through a RAM buffer. A Stream is not safe for concurrent
// use.
type Stream struct {
	dev          api.Device
	buf          []byte // the caller's buffer; len(buf) is buf_len
	bufBytes     int    // buf_bytes: bytes buffered, not yet on flash
	bytesWritten int64  // bytes_written: unpadded bytes on flash
	offset       int64  // device offset of the stream start
	available    int64  // the stream's size
	cb           Callback

	erase bool // CONFIG_STREAM_FLASH_ERASE, and the device needs erase
	// lastErased is last_erased_page_start_offset: the device offset of the
	// last page erased, or -1.
	lastErased    int64
	wbs           int
	eraseValue    byte
	explicitErase bool
}

// New is stream_flash_init: it prepares a stream over dev using buf as the
// write buffer (len(buf) is buf_len; the Stream keeps and uses buf). The
// stream covers [offset, offset+size) of the device; size 0 means "to the end
// of the device". cb may be nil.
//
// Errors (all -EFAULT, as in Zephyr 3.4): nil dev or buf, a buffer length
// that is not a multiple of the write block, a zero-length buffer
// (ErrZeroBuffer; a flashemu fix), a device page smaller than the buffer, an
// offset that is not a multiple of the write block, a negative offset or
// size, offset+size past the end of the device, or a size that is not a
// multiple of the write block (a flashemu fix matching newer Zephyr, which
// refuses it with -EFAULT since 4.1: Zephyr 3.4 accepts it, and the last
// flush then pads and programs past the declared end of the stream).
func New(dev api.Device, buf []byte, offset, size int64, cb Callback, opts Options) (*Stream, error) {
	if dev == nil || buf == nil {
		return nil, fmt.Errorf("%w: nil device or buffer", ErrFault)
	}
	p := dev.Parameters()
	wbs := max(p.WriteBlockSize, 1)
	if len(buf)%wbs != 0 {
		return nil, fmt.Errorf("%w: buffer length %d is not a multiple of the write block %d", ErrFault, len(buf), wbs)
	}
	// Fix: Zephyr accepts a zero-length buffer and then never returns from
	// stream_flash_buffered_write (the empty buffer is always "full").
	if len(buf) == 0 {
		return nil, ErrZeroBuffer
	}
	total, err := totalSize(dev, len(buf))
	if err != nil {
		return nil, err
	}
	if offset < 0 || size < 0 || offset > total || size > total-offset || offset%int64(wbs) != 0 {
		return nil, fmt.Errorf("%w: offset %d size %d on a %d-byte device with write block %d", ErrFault, offset, size, total, wbs)
	}
	// Fix: Zephyr 3.4 accepts such a size and its last padded flush then
	// programs past the stream's end (size 6 on write block 4 writes 8 bytes).
	if size%int64(wbs) != 0 {
		return nil, fmt.Errorf("%w: size %d is not a multiple of the write block %d", ErrFault, size, wbs)
	}
	avail := size
	if size == 0 {
		avail = total - offset
	}
	return &Stream{
		dev:           dev,
		buf:           buf,
		offset:        offset,
		available:     avail,
		cb:            cb,
		erase:         opts.Erase && !p.NoExplicitErase,
		lastErased:    -1,
		wbs:           wbs,
		eraseValue:    p.EraseValue,
		explicitErase: !p.NoExplicitErase,
	}, nil
}

// totalSize is find_flash_total_size over flash_page_foreach: the sum of the
// page sizes, failing when a page is smaller than the buffer.
func totalSize(dev api.Device, bufLen int) (int64, error) {
	var total int64
	n := dev.PageCount()
	for i := range n {
		pg, err := dev.PageByIndex(i)
		if err != nil {
			return 0, fmt.Errorf("%w: page %d: %v", ErrFault, i, err)
		}
		if int64(bufLen) > pg.Size {
			return 0, fmt.Errorf("%w: buffer length %d is bigger than page %d (%d bytes)", ErrFault, bufLen, i, pg.Size)
		}
		total += pg.Size
	}
	if total == 0 {
		return 0, fmt.Errorf("%w: device has no pages", ErrFault)
	}
	return total, nil
}

// BytesWritten is stream_flash_bytes_written: the number of stream bytes on
// flash, not counting padding. It is 0 for a nil Stream.
func (s *Stream) BytesWritten() int64 {
	if s == nil {
		return 0
	}
	return s.bytesWritten
}

// BytesBuffered is stream_flash_bytes_buffered: the bytes held in the buffer
// and not yet on flash.
func (s *Stream) BytesBuffered() int {
	if s == nil {
		return 0
	}
	return s.bufBytes
}

// Offset is the device offset where the stream starts.
func (s *Stream) Offset() int64 { return s.offset }

// Available is the stream's size in bytes (ctx->available).
func (s *Stream) Available() int64 { return s.available }

// BufLen is the buffer length (ctx->buf_len).
func (s *Stream) BufLen() int { return len(s.buf) }

// LastErasedPage is last_erased_page_start_offset: the device offset of the
// last page the stream erased (by erase on demand, ErasePage or a progress
// load), or -1.
func (s *Stream) LastErasedPage() int64 { return s.lastErased }

// Device is the device the stream writes to.
func (s *Stream) Device() api.Device { return s.dev }
