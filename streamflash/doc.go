// Package streamflash is a Go port of Zephyr's stream_flash
// (subsys/storage/stream/stream_flash.c): it collects a stream of bytes of
// arbitrary chunk sizes in a RAM buffer and writes the buffer to flash each
// time it fills, optionally erasing flash pages on demand and verifying each
// write by reading it back through a callback.
//
// # Compatibility
//
// The API follows the seed documents (interface.md) and the behaviour is the
// one of Zephyr 3.4 as recorded in the reference vectors, byte for byte:
//
//   - New is stream_flash_init: size 0 means "from offset to the end of the
//     device"; a buffer length that is not a multiple of the write block, a
//     buffer larger than any device page, an unaligned offset, offset+size
//     past the device and nil arguments give EFAULT.
//   - Write is stream_flash_buffered_write: a write that would exceed the
//     available size gives ENOMEM and consumes nothing; a final partial write
//     block is padded with the device's erase value; BytesWritten counts only
//     real bytes; device and callback errors are returned unchanged and leave
//     the context exactly as Zephyr leaves it (the buffer stays full, the rest
//     of the call's input is dropped).
//   - The callback gets the context buffer itself (the buffer is inverted and
//     then read back from flash), the unpadded length and the absolute device
//     offset.
//   - ErasePage is stream_flash_erase_page: it erases the device page holding
//     an offset, remembers only the last page it erased and gives EINVAL for
//     offsets outside the device.
//   - SaveProgress, LoadProgress and ClearProgress are the
//     CONFIG_STREAM_FLASH_PROGRESS functions over a small key/value Store.
//
// # Deliberate differences (data-loss fixes)
//
// flashemu does not copy four Zephyr 3.4 bugs that lose or corrupt data:
//
//  1. Erase on demand (Options.Erase) erases every page a buffer touches,
//     once, before writing into it. Zephyr only erases the page that holds
//     the buffer's last byte, so with a start offset that is not page aligned
//     and a buffer as large as a page, the part of the buffer that lands in
//     the previous page is written onto unerased flash (vector
//     offset100_buf4096). Pages that already hold bytes of this stream are
//     never erased again.
//  2. A zero-length buffer is rejected by New with EFAULT (ErrZeroBuffer).
//     Zephyr accepts it and then loops forever in the first write.
//  3. ErasePage refuses an offset inside the device but outside the stream
//     with ERANGE (ErrRange), as Zephyr does since #79830 (vector
//     erase_ignores_ctx_range: 3.4 erases device page 0 for a stream at
//     8192).
//  4. New refuses a size that is not a multiple of the write block with
//     EFAULT, as Zephyr does since 4.1 (vector size_not_multiple_of_wbs_write:
//     3.4 accepts size 10 and its padded flush programs 12 bytes).
//
// Erase on demand works on any page layout (non-uniform sectors: a buffer may
// touch several pages) and is skipped on devices without explicit erase
// (Parameters().NoExplicitErase, e.g. RRAM/MRAM), as with Zephyr's
// CONFIG_STREAM_FLASH_ERASE_ONLY_WHEN_SUPPORTED.
//
// A Stream works on any api.Device. A flash area (*api.Area) is one, with
// offsets relative to the area; NewArea runs a stream inside an area after
// checking that the area is aligned to device pages.
package streamflash
