package streamflash

import "fmt"

// Write is stream_flash_buffered_write: it appends data to the stream and
// writes the buffer to flash each time it fills; with flush it also writes
// what remains buffered (padded with the erase value to the write block).
// A flush with empty data is legal.
//
// A write that would take the stream past its size fails with ErrNoMem and
// consumes nothing. A device or callback error is returned unchanged, as in
// Zephyr: the buffer then stays full, BytesWritten is unchanged, and the part
// of data after that buffer is dropped (the caller cannot tell how much was
// consumed). On a nil Stream Write returns ErrFault.
//
// Zephyr documents a padded flush as the last write of a stream: after it
// the next device write would start at an unaligned offset and fail.
func (s *Stream) Write(data []byte, flush bool) error {
	if s == nil {
		return fmt.Errorf("%w: nil stream", ErrFault)
	}
	if int64(len(data)) > s.available-s.bytesWritten-int64(s.bufBytes) {
		return fmt.Errorf("%w: %d written + %d buffered + %d > %d", ErrNoMem,
			s.bytesWritten, s.bufBytes, len(data), s.available)
	}
	processed := 0
	for free := len(s.buf) - s.bufBytes; len(data)-processed >= free; free = len(s.buf) - s.bufBytes {
		copy(s.buf[s.bufBytes:], data[processed:processed+free])
		s.bufBytes = len(s.buf)
		if err := s.sync(); err != nil {
			return err
		}
		processed += free
	}
	if processed < len(data) {
		s.bufBytes += copy(s.buf[s.bufBytes:], data[processed:])
	}
	if flush && s.bufBytes > 0 {
		return s.sync()
	}
	return nil
}

// Flush writes the buffered bytes to flash: Write(nil, true).
func (s *Stream) Flush() error { return s.Write(nil, true) }

// sync is flash_sync: erase if needed, pad, write, read back and verify,
// then account for the buffer. Any error leaves bytesWritten and bufBytes
// unchanged.
func (s *Stream) sync() error {
	if s.bufBytes == 0 {
		return nil
	}
	addr := s.offset + s.bytesWritten
	if s.erase {
		if err := s.eraseForWrite(addr, s.bufBytes); err != nil {
			return err
		}
	}
	n := s.bufBytes
	if r := n % s.wbs; r != 0 {
		pad := s.buf[n : n+s.wbs-r]
		for i := range pad {
			pad[i] = s.eraseValue
		}
		n += len(pad)
	}
	if err := s.dev.Write(addr, s.buf[:n]); err != nil {
		return err
	}
	if s.cb != nil {
		b := s.buf[:s.bufBytes]
		for i := range b {
			b[i] = ^b[i]
		}
		if err := s.dev.Read(addr, b); err != nil {
			return err
		}
		if err := s.cb(b, addr); err != nil {
			return err
		}
	}
	s.bytesWritten += int64(s.bufBytes)
	s.bufBytes = 0
	return nil
}
