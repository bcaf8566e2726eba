package fcb

import (
	"fmt"

	"github.com/flashemu/flashemu/errno"
)

// Sentinel errors. Compare with errors.Is; errno.Of gives the Zephyr
// errno.
var (
	// ErrInvalid: bad arguments or configuration (EINVAL).
	ErrInvalid = errno.New("fcb: invalid argument", errno.EINVAL)
	// ErrNoSpace: no sector left for the entry (ENOSPC).
	ErrNoSpace = errno.New("fcb: no space", errno.ENOSPC)
	// ErrForeignSector: a sector header is neither erased nor ours (ENOMSG).
	ErrForeignSector = errno.New("fcb: sector header is not erased and has a foreign magic", errno.ENOMSG)
	// ErrIO: a flash read or write failed, or went past its sector (EIO).
	ErrIO = errno.New("fcb: flash I/O error", errno.EIO)
	// ErrNoEntry: no (more) entries; the length field is erased (ENOTSUP).
	ErrNoEntry = errno.New("fcb: no more entries", errno.ENOTSUP)
	// ErrBadEndMarker: an entry's CRC or end marker does not match (EBADMSG).
	ErrBadEndMarker = errno.New("fcb: entry end marker mismatch", errno.EBADMSG)
	// ErrNotFound: the FCB holds no entries (ENOENT), from OffsetLastN.
	ErrNotFound = errno.New("fcb: no entries", errno.ENOENT)
)

// SkipAll, returned by a walk callback, stops the walk without an error.
var SkipAll = errno.New("fcb: skip all entries", errno.EINVAL)

// Internal return codes, as in the C code (negative errnos).
const (
	rcOK      = 0
	rcEINVAL  = -int(errno.EINVAL)
	rcEIO     = -int(errno.EIO)
	rcENOTSUP = -int(errno.ENOTSUP)
	rcEBADMSG = -int(errno.EBADMSG)
	rcENOSPC  = -int(errno.ENOSPC)
	rcENOMSG  = -int(errno.ENOMSG)
	rcENOENT  = -int(errno.ENOENT)
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
