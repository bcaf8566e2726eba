// Package settings is a small persistent key/value store in the shape of
// Zephyr's settings subsystem with its FCB backend
// (subsys/settings/src/settings_fcb.c): every change is appended to a flash
// circular buffer (package fcb) as one record "name=value", the newest record
// of a name wins, and a deletion is a record with an empty value.
//
// When the FCB is full, Save does what Zephyr's settings_fcb_compress does:
// it takes the scratch sector into use (fcb.AppendToScratch), copies forward
// every record of the oldest sector that has no newer record of the same
// name (deletions included), and only then rotates the oldest sector away.
// At mount, a missing scratch sector means a compression was interrupted
// before its rotation; as in Zephyr's settings_fcb_src, the active sector
// (which then holds only copies) is erased and the FCB mounted again.
//
// Power-cut safety: a value is acknowledged when Save or Delete returns nil;
// after a power cut at any device operation of this package, remounting gives
// every key its newest acknowledged value, and the key of the interrupted
// operation either its previous or its new value. Records are written in one
// device write each and protected by FCB's CRC-8; a torn record is skipped. A
// torn sector header makes Zephyr's fcb_init fail with ENOMSG; by default
// the store mounts with fcb's Repair option, which treats such a sector as
// unused and erases it before reuse (Options.Strict keeps Zephyr's failure). (A CRC-8 matches a torn payload by chance with
// probability 1/256: the FCB format cannot rule that out for payload writes
// that land only in part. Operations that either complete or do not happen,
// as the emulator's power cuts are by default, are always safe.)
//
// Store implements streamflash.Store, so stream_flash progress can be kept
// in it. Like Zephyr, Save skips the write when the newest value already
// equals the new one (settings_line_dup_check_cb), and Delete of an absent
// key writes nothing.
//
// Differences from Zephyr's settings_fcb, each to avoid losing data or to
// report errors better:
//   - the FCB is mounted with fcb's Repair option unless Options.Strict;
//   - when copying a record forward fails during a compression, the
//     compression stops before the rotation and the error is returned
//     (Zephyr skips the record and rotates it away);
//   - a full store gives ErrFull (-ENOSPC) where Zephyr returns -EINVAL, and
//     a record too large for a sector gives ErrTooLarge without touching the
//     flash (Zephyr would compress every sector first);
//   - keys are checked (non-empty, no '=' or NUL: ErrInvalidKey).
package settings
