// Package fcb is a byte-compatible Go port of Zephyr's Flash Circular Buffer
// (subsys/fs/fcb): a log of variable-length entries spread over a ring of
// flash sectors, with a CRC-8 (or a fixed end marker) after every entry.
//
// Images written by this package are byte-identical to Zephyr's, and images
// written by Zephyr (any version since 2.4, and Mynewt FCB v1 on 0xFF flash)
// mount and walk to the same entries. Every public call of fcb.h has a
// counterpart:
//
//	fcb_init              New
//	fcb_append            (*FCB).Append
//	fcb_append_finish     (*FCB).AppendFinish
//	fcb_walk              (*FCB).Walk, (*FCB).WalkSector, (*FCB).Entries
//	fcb_getnext           (*FCB).GetNext
//	fcb_rotate            (*FCB).Rotate
//	fcb_append_to_scratch (*FCB).AppendToScratch
//	fcb_free_sector_cnt   (*FCB).FreeSectorCount
//	fcb_is_empty          (*FCB).IsEmpty
//	fcb_offset_last_n     (*FCB).OffsetLastN
//	fcb_clear             (*FCB).Clear
//	fcb_elem_info         (*FCB).ElemInfo
//	fcb_put_len/get_len   PutLen, GetLen
//
// Beyond fcb.h: Push appends, writes and finishes an entry in one call
// (WriteData pads a payload to whole write blocks), Entries is a Go
// iterator over entries and payloads, State snapshots the position, and
// MountImage/WalkImage mount a raw image (the `flashemu fcb walk` field dump).
//
// Errors carry Zephyr's errnos (errno.Of): ENOSPC, EINVAL, ENOMSG, EIO,
// ENOTSUP, EBADMSG, ENOENT.
//
// Behaviour follows the newest Zephyr sources (maximum entry length 16383,
// length padding with the erase value, entries from A(8), flatten-based
// sector erase, CONFIG_FCB_ALLOW_FIXED_ENDMARKER built in), including its
// quirks: one foreign sector header fails New with ENOMSG; a torn entry is
// skipped and its space never reused; a torn 2-byte length that points past
// the sector fails New with EIO; sector ids compare as signed 16-bit numbers;
// the write block size is truncated to 8 bits (256 gives EINVAL); the end
// marker is padded with 0xFF whatever the erase value.
//
// Deliberate differences, each documented where it happens:
//   - GetNext returns the I/O error where Zephyr returns 0 with a garbage
//     location (flashemu's interface.md).
//   - On devices whose write block exceeds 8 bytes the 8-byte sector header
//     is written padded with the erase value to a whole write block (Zephyr
//     writes 8 bytes and relies on the driver accepting it; strict devices
//     refuse). The flash contents are identical.
//   - Options.Repair (off by default) mounts past torn sector headers and
//     torn entry lengths (a torn 2-byte length ends its sector's entries;
//     in the active sector the rest of the sector counts as used), and
//     reports what it gave up through Dropped.
package fcb
