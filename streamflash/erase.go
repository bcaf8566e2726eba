package streamflash

import (
	"fmt"

	"github.com/flashemu/flashemu/api"
)

// ErasePage is stream_flash_erase_page: it erases the device page that
// holds device offset off, unless that page is the last one the stream
// erased. It remembers only the last page erased (erasing page 0, then page
// 1, then page 0 again erases page 0 twice).
//
// off must lie inside the stream, [Offset, Offset+Available): an offset
// outside the device (negative included) gives ErrInvalid (-EINVAL, as Zephyr
// 3.4's page lookup does), an offset inside the device but outside the stream
// gives ErrRange (-ERANGE, the check Zephyr added in #79830; Zephyr 3.4
// erased any device page and so wiped data next to the stream). Both change
// nothing. The page erased is the whole device page holding off, which may
// extend past the stream when the stream is not page aligned, as in Zephyr.
// A device error is returned unchanged and leaves the context unchanged. On
// a device without explicit erase it checks off and returns nil without
// erasing (Zephyr 3.7's behaviour for such devices).
func (s *Stream) ErasePage(off int64) error {
	if s == nil {
		return fmt.Errorf("%w: nil stream", ErrFault)
	}
	if off < 0 || off >= s.dev.Size() {
		return fmt.Errorf("%w: erase page at %d, device size %d", ErrInvalid, off, s.dev.Size())
	}
	if off < s.offset || off-s.offset >= s.available {
		return fmt.Errorf("%w: erase page at %d, stream [%d, %d)", ErrRange, off, s.offset, s.offset+s.available)
	}
	if !s.explicitErase {
		return nil
	}
	pg, err := s.dev.PageByOffset(off)
	if err != nil {
		return err
	}
	return s.erasePage(pg)
}

// erasePage erases pg unless it is the last page erased.
func (s *Stream) erasePage(pg api.PageInfo) error {
	if pg.Start == s.lastErased {
		return nil
	}
	if err := s.dev.Erase(pg.Start, pg.Size); err != nil {
		return err
	}
	s.lastErased = pg.Start
	return nil
}

// eraseForWrite is the erase step of flash_sync for a buffer of n bytes
// about to be written at device offset addr.
//
// Zephyr 3.4 erases only the page holding the buffer's last byte (unless it
// is the last page erased). flashemu erases every page the buffer touches,
// in ascending order, before the write (a documented data-loss fix: with a
// start offset that is not page aligned, Zephyr writes the head of a
// page-sized buffer onto unerased flash). A page is skipped when it is the
// last page erased or when it already holds bytes of this stream (it was
// erased before they were written, and erasing it again would lose them).
// For the buffers Zephyr handles correctly the erases are exactly Zephyr's.
func (s *Stream) eraseForWrite(addr int64, n int) error {
	end := addr + int64(n)
	for p := addr; p < end; {
		pg, err := s.dev.PageByOffset(p)
		if err != nil {
			return err
		}
		if !(s.bytesWritten > 0 && addr > pg.Start) {
			if err := s.erasePage(pg); err != nil {
				return err
			}
		}
		p = pg.Start + pg.Size
	}
	return nil
}
