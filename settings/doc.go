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
// before its rotation ended; New finishes it (see New; Zephyr's
// settings_fcb_src erases the active sector, which holds only copies).
//
// Power-cut safety: a value is acknowledged when Save or Delete returns nil;
// after a power cut at any device operation of this package, remounting gives
// every key its newest acknowledged value, and the key of the interrupted
// operation either its previous or its new value. Records are written in one
// device write each and protected by FCB's CRC-8; a torn record is skipped.
//
// Torn writes that Zephyr cannot mount are repaired: by default the store
// mounts with fcb's Repair option (Options.Strict keeps Zephyr's failures):
//   - a torn sector header (fcb_init: ENOMSG) or a header whose magic
//     landed but whose id did not (Zephyr then may see no free sector, and
//     this package would take that for an interrupted compression) makes
//     the sector unused; it is erased before reuse;
//   - a torn 2-byte length, i.e. a record of 128 bytes or more cut while
//     its length was written (fcb_init: EIO, the whole store unmountable),
//     ends the active sector there: every complete record is kept and the
//     next record goes to a new sector.
//
// What repair gave up is in FCB().Dropped(). One caveat remains: a CRC-8
// matches a torn payload by chance with probability 1/256, and the FCB format
// cannot rule that out for a payload write that landed only in part; the
// record then reads as valid with damaged bytes (observed in the torn-write
// power-cut tests about once in 2,000 random cuts). Operations that either
// complete or do not happen are always safe.
//
// Store implements streamflash.Store, so stream_flash progress can be kept
// in it. Like Zephyr, Save skips the write when the newest value already
// equals the new one (settings_line_dup_check_cb), and Delete of an absent
// key writes nothing.
//
// Differences from Zephyr's settings_fcb, each to avoid losing data or to
// report errors better:
//   - the FCB is mounted with fcb's Repair option unless Options.Strict;
//   - an interrupted compression is finished at mount instead of undone by
//     erasing the active sector (Zephyr loses the copies when the cut tore
//     the erase of the oldest sector but spared its header);
//   - when copying a record forward fails during a compression, the
//     compression stops before the rotation and the error is returned
//     (Zephyr skips the record and rotates it away);
//   - a full store gives ErrFull (-ENOSPC) where Zephyr returns -EINVAL, and
//     a record too large for a sector gives ErrTooLarge without touching the
//     flash (Zephyr would compress every sector first);
//   - keys are checked (non-empty, no '=' or NUL: ErrInvalidKey).
package settings
