package settings

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/fcb"
)

// Magic is SETTINGS_FCB_MAGIC, the FCB magic of Zephyr's settings backend.
const Magic = 0xc0ffeeee

// Version is SETTINGS_FCB_VERS, written to the FCB sector headers.
const Version = 1

// Options configures a Store.
type Options struct {
	// Magic is the FCB magic; 0 means Magic (0xc0ffeeee).
	Magic uint32
	// Sectors is the FCB sector table; nil means the area's pages. At least
	// two sectors are needed (one is the scratch sector).
	Sectors []api.Sector
	// Strict mounts like Zephyr: a sector header that is neither erased nor
	// valid (a torn header write) fails with ENOMSG, and a torn 2-byte
	// record length with EIO. By default the FCB is mounted with
	// fcb.Options.Repair, which mounts both (see the package doc).
	Strict bool
}

// Store is a key/value store on an FCB in a flash area, the settings FCB
// backend. It implements streamflash.Store. Methods are safe for concurrent
// use. After an error from the device (a power cut), the in-memory state may
// no longer match the flash: mount again with New.
type Store struct {
	mu  sync.Mutex
	f   *fcb.FCB
	buf []byte // record scratch
}

// New mounts the store in area (settings_fcb_src): it mounts the FCB with
// the settings magic, version 1 and one scratch sector. When no scratch
// sector is left, a compression was interrupted (between taking the scratch
// sector and the end of the rotation): New finishes it, copying forward the
// records of the oldest sector not copied yet and rotating the oldest sector
// away. Zephyr instead erases the active sector, which holds only copies;
// but when the cut tore the rotation's erase and the oldest sector's header
// survived it, those copies are the only intact records left, so Zephyr
// loses them. Only if the copies do not fit (a torn copy took the rest of
// the scratch sector, so the rotation never started) does New erase the
// active sector as Zephyr does.
func New(area *api.Area, opt Options) (*Store, error) {
	fo := fcb.Options{Magic: opt.Magic, Version: Version, Sectors: opt.Sectors, ScratchCount: 1, Repair: !opt.Strict}
	if fo.Magic == 0 {
		fo.Magic = Magic
	}
	f, err := fcb.New(area, fo)
	if err != nil {
		return nil, err
	}
	s := &Store{f: f}
	if f.FreeSectorCount() >= 1 {
		return s, nil
	}
	err = s.finishCompress()
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, fcb.ErrNoSpace) {
		return nil, err
	}
	// The oldest sector was never touched: drop the copies, as Zephyr does.
	sec := f.Sectors()[f.Active().Sector]
	if err := area.Flatten(sec.Off, sec.Size); err != nil {
		return nil, err
	}
	if f, err = fcb.New(area, fo); err != nil {
		return nil, err
	}
	if f.FreeSectorCount() < 1 {
		return nil, fmt.Errorf("%w: no free sector after repairing an interrupted compression", ErrFull)
	}
	return &Store{f: f}, nil
}

// FCB is the underlying flash circular buffer.
func (s *Store) FCB() *fcb.FCB { return s.f }

// Load returns the newest value of key; ok is false when key was never
// saved or its newest record is a deletion.
func (s *Store) Load(key string) (value []byte, ok bool, err error) {
	if err := checkKey(key); err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok, err := s.load(key)
	if err != nil || !ok {
		return nil, false, err
	}
	return v, true, nil
}

// load finds the newest record of key. ok with an empty value is a deletion
// record; it is reported as absent by Load.
func (s *Store) load(key string) (value []byte, ok bool, err error) {
	var found []byte
	for e, err := range s.f.Entries() {
		if err != nil {
			return nil, false, err
		}
		name, val, good := decode(e.Data)
		if good && string(name) == key {
			found = append(found[:0], val...)
			ok = true
		}
	}
	if ok && len(found) == 0 {
		return nil, false, nil
	}
	return found, ok, nil
}

// Save stores value under key (settings_save_one). Saving the value the key
// already has writes nothing. An empty value deletes the key, as in Zephyr.
func (s *Store) Save(key string, value []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, ok, err := s.load(key)
	if err != nil {
		return err
	}
	if bytes.Equal(cur, value) && (ok || len(value) == 0) {
		return nil // settings_line_dup_check_cb: same value, nothing to write
	}
	s.buf = encode(s.buf[:0], key, value)
	return s.write(s.buf)
}

// Delete removes key (settings_delete: a record with an empty value).
// Deleting an absent key writes nothing.
func (s *Store) Delete(key string) error { return s.Save(key, nil) }

// Each calls fn with every live key and its newest value, keys in the order
// they first appear in the FCB (settings_load with duplicate filtering).
// value is only valid during the call. An error from fn stops the walk and is
// returned.
func (s *Store) Each(fn func(key string, value []byte) error) error {
	s.mu.Lock()
	newest := map[string][]byte{}
	var order []string
	for e, err := range s.f.Entries() {
		if err != nil {
			s.mu.Unlock()
			return err
		}
		name, val, good := decode(e.Data)
		if !good {
			continue
		}
		k := string(name)
		if _, seen := newest[k]; !seen {
			order = append(order, k)
		}
		newest[k] = append([]byte(nil), val...)
	}
	s.mu.Unlock()
	for _, k := range order {
		if v := newest[k]; len(v) > 0 {
			if err := fn(k, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// write appends one record, compressing when the FCB is full
// (settings_fcb_save_priv).
func (s *Store) write(rec []byte) error {
	if !s.fits(len(rec)) {
		return fmt.Errorf("%w: %d bytes", ErrTooLarge, len(rec))
	}
	n := len(s.f.Sectors())
	var loc fcb.Loc
	var err error
	for i := range n {
		loc, err = s.f.Append(len(rec))
		if !errors.Is(err, fcb.ErrNoSpace) {
			break
		}
		// FCB can compress up to n-1 times.
		if i < n-1 {
			if cerr := s.compress(); cerr != nil {
				return cerr
			}
		}
	}
	if errors.Is(err, fcb.ErrNoSpace) {
		return fmt.Errorf("%w: %w", ErrFull, err)
	}
	if err != nil {
		return err
	}
	if err := s.f.WriteData(loc, rec); err != nil {
		return err
	}
	return s.f.AppendFinish(loc)
}

// fits reports whether an n-byte entry fits in the smallest sector.
func (s *Store) fits(n int) bool {
	if n > fcb.MaxLen {
		return false
	}
	a := int64(s.f.Align())
	up := func(v int64) int64 { return (v + a - 1) / a * a }
	lenBytes := int64(1)
	if n >= 0x80 {
		lenBytes = 2
	}
	need := up(fcb.HeaderSize) + up(lenBytes) + up(int64(n)) + up(1)
	for _, sec := range s.f.Sectors() {
		if sec.Size < need {
			return false
		}
	}
	return true
}

// compress is settings_fcb_compress: take the scratch sector into use, copy
// forward the records of the oldest sector that have no newer record of the
// same name, then rotate the oldest sector away. Unlike Zephyr, a copy that
// fails stops the compression before the rotation (Zephyr skips the record
// and rotates, losing it).
func (s *Store) compress() error {
	if err := s.f.AppendToScratch(); err != nil {
		return err
	}
	return s.finishCompress()
}

// finishCompress is the part of compress after the scratch sector was taken:
// copy forward the records of the oldest sector that have no newer record of
// the same name, then rotate. Run again after an interruption, it copies only
// what was not copied yet.
func (s *Store) finishCompress() error {
	oldest := s.f.Oldest()
	type rec struct {
		name string
		loc  fcb.Loc
	}
	var inOldest []rec
	last := map[string]fcb.Loc{}
	for e, err := range s.f.Entries() {
		if err != nil {
			return err
		}
		name, _, good := decode(e.Data)
		if !good {
			continue // not a record: nothing to keep
		}
		if e.Sector == oldest {
			inOldest = append(inOldest, rec{string(name), e.Loc})
		}
		last[string(name)] = e.Loc
	}
	for _, r := range inOldest {
		if last[r.name] != r.loc {
			continue // a newer record of the name exists
		}
		data, err := s.f.ReadData(r.loc)
		if err != nil {
			return err
		}
		loc, err := s.f.Append(len(data))
		if err != nil {
			return err
		}
		if err := s.f.WriteData(loc, data); err != nil {
			return err
		}
		if err := s.f.AppendFinish(loc); err != nil {
			return err
		}
	}
	return s.f.Rotate()
}
