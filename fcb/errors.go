package fcb

import (
	"fmt"

	"github.com/flashemu/flashemu/api"
)

// Sentinel errors. Compare with errors.Is; api.ErrnoOf gives the Zephyr
// errno.
var (
	// ErrInvalid: bad arguments or configuration (EINVAL).
	ErrInvalid = api.NewError("fcb: invalid argument", api.EINVAL)
	// ErrNoSpace: no sector left for the entry (ENOSPC).
	ErrNoSpace = api.NewError("fcb: no space", api.ENOSPC)
	// ErrForeignSector: a sector header is neither erased nor ours (ENOMSG).
	ErrForeignSector = api.NewError("fcb: sector header is not erased and has a foreign magic", api.ENOMSG)
	// ErrIO: a flash read or write failed, or went past its sector (EIO).
	ErrIO = api.NewError("fcb: flash I/O error", api.EIO)
	// ErrNoEntry: no (more) entries; the length field is erased (ENOTSUP).
	ErrNoEntry = api.NewError("fcb: no more entries", api.ENOTSUP)
	// ErrBadEndMarker: an entry's CRC or end marker does not match (EBADMSG).
	ErrBadEndMarker = api.NewError("fcb: entry end marker mismatch", api.EBADMSG)
	// ErrNotFound: the FCB holds no entries (ENOENT), from OffsetLastN.
	ErrNotFound = api.NewError("fcb: no entries", api.ENOENT)
)

// SkipAll, returned by a walk callback, stops the walk without an error.
var SkipAll = api.NewError("fcb: skip all entries", api.EINVAL)

// Internal return codes, as in the C code (negative errnos).
const (
	rcOK      = 0
	rcEINVAL  = -int(api.EINVAL)
	rcEIO     = -int(api.EIO)
	rcENOTSUP = -int(api.ENOTSUP)
	rcEBADMSG = -int(api.EBADMSG)
	rcENOSPC  = -int(api.ENOSPC)
	rcENOMSG  = -int(api.ENOMSG)
	rcENOENT  = -int(api.ENOENT)
	// rcTorn (repair mode only; not an errno): an entry whose decoded length
	// runs past its sector, where Zephyr's reads fail with EIO. It maps to
	// ErrIO like the EIO Zephyr returns.
	rcTorn = -0x10000
)

// errOf turns an internal return code into an error, attaching the device
// error that caused an EIO when there is one.
func (f *FCB) errOf(rc int) error {
	switch rc {
	case rcOK:
		return nil
	case rcEIO, rcTorn:
		if f.ioErr != nil {
			err := f.ioErr
			f.ioErr = nil
			return fmt.Errorf("%w: %w", ErrIO, err)
		}
		return ErrIO
	case rcENOTSUP:
		return ErrNoEntry
	case rcEBADMSG:
		return ErrBadEndMarker
	case rcENOSPC:
		return ErrNoSpace
	case rcENOMSG:
		return ErrForeignSector
	case rcENOENT:
		return ErrNotFound
	case rcEINVAL:
		return ErrInvalid
	}
	return fmt.Errorf("%w: unexpected code %d", ErrIO, rc)
}
