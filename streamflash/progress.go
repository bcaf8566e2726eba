package streamflash

import (
	"encoding/binary"
	"fmt"
)

// Store is the key/value store progress is kept in, the part of Zephyr's
// settings subsystem that CONFIG_STREAM_FLASH_PROGRESS uses
// (settings_save_one, settings_load_subtree_direct, settings_delete).
// settings.FCB implements it on a flash circular buffer.
type Store interface {
	// Save stores value under key, replacing any earlier value.
	Save(key string, value []byte) error
	// Load returns the newest value stored under key; ok is false when
	// there is none (never saved or deleted).
	Load(key string) (value []byte, ok bool, err error)
	// Delete removes key. Deleting a missing key is not an error.
	Delete(key string) error
}

// ProgressLen is the length of a stored progress value: Zephyr stores the
// raw native size_t bytes_written, and flashemu fixes that to a 64-bit
// target, 8 bytes little-endian.
const ProgressLen = 8

// SaveProgress is stream_flash_progress_save: it stores BytesWritten under
// key as 8 bytes little-endian. Buffered bytes are not part of the
// progress. A nil Stream or Store or an empty key gives ErrFault; a store
// error is returned unchanged.
func (s *Stream) SaveProgress(st Store, key string) error {
	if s == nil || st == nil || key == "" {
		return fmt.Errorf("%w: nil stream or store, or empty key", ErrFault)
	}
	var v [ProgressLen]byte
	binary.LittleEndian.PutUint64(v[:], uint64(s.bytesWritten))
	return st.Save(key, v[:])
}

// LoadProgress is stream_flash_progress_load: it reads the progress stored
// under key and adopts it when it is not older than the current
// BytesWritten (an outdated value is ignored and nil returned, as Zephyr
// does). With erase on demand the erase tracking is resynchronised so that
// the page holding the last byte already written is not erased again.
// Buffered bytes are not restored and stay as they are. A missing key
// changes nothing and returns nil.
//
// A value that is not 8 bytes, or that lies beyond the stream's size, gives
// ErrBadProgress and changes nothing (Zephyr's settings layer logs and
// swallows a short read, and Zephyr does not check the size).
func (s *Stream) LoadProgress(st Store, key string) error {
	if s == nil || st == nil || key == "" {
		return fmt.Errorf("%w: nil stream or store, or empty key", ErrFault)
	}
	v, ok, err := st.Load(key)
	if err != nil {
		return err
	}
	if !ok {
		return nil
	}
	if len(v) != ProgressLen {
		return fmt.Errorf("%w: %d bytes under %q, want %d", ErrBadProgress, len(v), key, ProgressLen)
	}
	u := binary.LittleEndian.Uint64(v)
	if u > uint64(s.available) {
		return fmt.Errorf("%w: progress %d beyond the stream size %d", ErrBadProgress, u, s.available)
	}
	loaded := int64(u)
	if loaded < s.bytesWritten {
		return nil // outdated: keep the current progress
	}
	lastErased := int64(-1)
	if s.erase && loaded > 0 {
		pg, err := s.dev.PageByOffset(s.offset + loaded - 1)
		if err != nil {
			return err
		}
		lastErased = pg.Start
	}
	s.bytesWritten = loaded
	if s.erase {
		s.lastErased = lastErased
	}
	return nil
}

// ClearProgress is stream_flash_progress_clear: it deletes key from the
// store. A store error is returned unchanged.
func (s *Stream) ClearProgress(st Store, key string) error {
	if s == nil || st == nil || key == "" {
		return fmt.Errorf("%w: nil stream or store, or empty key", ErrFault)
	}
	return st.Delete(key)
}
