package api

import (
	"fmt"
	"slices"
	"strings"
)

// LabelToken is the identifier Zephyr derives from a partition's label
// property (gen_defines.py's str2ident, used by FLASH_AREA_ID and
// FIXED_PARTITION_ID's label forms): lowercase, and every character other
// than a letter, digit or '_' turned into '_' ("image-0" → "image_0").
func LabelToken(label string) string {
	b := []byte(strings.ToLower(label))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// names are the keys an entry answers to: its label, its label's token
// and its devicetree node label.
func (e *mapEntry) names() [3]string {
	return [3]string{e.area.label, LabelToken(e.area.label), e.name}
}

// matches reports whether name addresses e.
func (e *mapEntry) matches(name string) bool {
	if name == "" {
		return false
	}
	n := e.names()
	return slices.Contains(n[:], name)
}

// AreaSpec describes one flash map entry for FlashMap.Add.
type AreaSpec struct {
	ID     int    // fa_id; must be unique in the map
	Label  string // label property (flash_area label); may be empty
	Name   string // devicetree node label (e.g. "storage_partition"); may be empty
	Offset int64  // device offset
	Size   int64  // bytes
	// Disabled marks a partition of a disabled node: it keeps its id and
	// names, but opening it gives ENOENT as in Zephyr (no map entry).
	Disabled bool
}

type mapEntry struct {
	area     *Area
	name     string
	disabled bool
}

// FlashMap is Zephyr's flash map: areas by id (FIXED_PARTITION_ID) and by
// label. A nil *FlashMap behaves like a build without a flash map: Open
// gives EACCES.
type FlashMap struct {
	byID map[int]*mapEntry
	ids  []int // sorted
}

// NewFlashMap returns an empty flash map.
func NewFlashMap() *FlashMap { return &FlashMap{byID: map[int]*mapEntry{}} }

// Add creates an area on dev from s and adds it. Duplicate ids, a negative
// id, duplicate labels, label tokens (LabelToken: "image-0" and "image_0"
// collide, as their Zephyr macros would) or node names, or a range outside
// the device give EINVAL.
func (m *FlashMap) Add(dev Device, s AreaSpec) (*Area, error) {
	if m == nil {
		return nil, ErrNoMap
	}
	if s.ID < 0 {
		return nil, fmt.Errorf("%w: negative area id %d", ErrInvalid, s.ID)
	}
	if _, dup := m.byID[s.ID]; dup {
		return nil, fmt.Errorf("%w: area id %d %w", ErrInvalid, s.ID, errInMap)
	}
	for _, e := range m.byID {
		for _, n := range []string{s.Label, LabelToken(s.Label), s.Name} {
			if e.matches(n) {
				return nil, fmt.Errorf("%w: name %q %w", ErrInvalid, n, errInMap)
			}
		}
	}
	a, err := NewArea(dev, s.Label, s.Offset, s.Size)
	if err != nil {
		return nil, err
	}
	a.id = s.ID
	m.byID[s.ID] = &mapEntry{area: a, name: s.Name, disabled: s.Disabled}
	i, _ := slices.BinarySearch(m.ids, s.ID)
	m.ids = slices.Insert(m.ids, i, s.ID)
	return a, nil
}

// Open is flash_area_open: EACCES without a flash map, ENOENT when no
// enabled area has that id, ENODEV when its device is missing or not ready.
func (m *FlashMap) Open(id int) (*Area, error) {
	if m == nil {
		return nil, ErrNoMap
	}
	e, ok := m.byID[id]
	if !ok || e.disabled {
		return nil, fmt.Errorf("%w: id %d", ErrNoArea, id)
	}
	return m.ready(e)
}

func (m *FlashMap) ready(e *mapEntry) (*Area, error) {
	if !IsReady(e.area.dev) {
		return nil, fmt.Errorf("%w: %q", ErrNoDevice, e.area.label)
	}
	return e.area, nil
}

// OpenLabel opens the area whose label property, label token (LabelToken,
// "image_0" for label "image-0") or devicetree node label (e.g.
// "slot0_partition") is name, with Open's errors.
func (m *FlashMap) OpenLabel(name string) (*Area, error) {
	if m == nil {
		return nil, ErrNoMap
	}
	for _, id := range m.ids {
		e := m.byID[id]
		if e.matches(name) {
			if e.disabled {
				break
			}
			return m.ready(e)
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrNoArea, name)
}

// ID returns the id of the area that name addresses as in OpenLabel,
// disabled areas included, like FIXED_PARTITION_ID (node label) and
// FLASH_AREA_ID (label token).
func (m *FlashMap) ID(name string) (int, bool) {
	if m == nil {
		return 0, false
	}
	for _, id := range m.ids {
		e := m.byID[id]
		if e.matches(name) {
			return id, true
		}
	}
	return 0, false
}

// Close is flash_area_close, a no-op.
func (m *FlashMap) Close(*Area) {}

// GetSectors is flash_area_get_sectors(id, &cnt, sectors): it opens the area
// (any failure gives EINVAL, as in Zephyr) and fills buf. More sectors than
// len(buf) gives ENOMEM.
func (m *FlashMap) GetSectors(id int, buf []Sector) (int, error) {
	a, err := m.Open(id)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return a.GetSectors(buf)
}

// Areas returns the enabled areas in id order.
func (m *FlashMap) Areas() []*Area {
	if m == nil {
		return nil
	}
	out := make([]*Area, 0, len(m.ids))
	for _, id := range m.ids {
		if e := m.byID[id]; !e.disabled {
			out = append(out, e.area)
		}
	}
	return out
}

// Foreach is flash_area_foreach: cb sees every enabled area in id order
// until it returns false.
func (m *FlashMap) Foreach(cb func(*Area) bool) {
	for _, a := range m.Areas() {
		if !cb(a) {
			return
		}
	}
}

// Len is the number of entries, disabled ones included.
func (m *FlashMap) Len() int {
	if m == nil {
		return 0
	}
	return len(m.ids)
}
