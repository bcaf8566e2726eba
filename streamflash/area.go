package streamflash

import (
	"fmt"

	"github.com/flashemu/flashemu/api"
)

// NewArea is New over a flash area (Zephyr streams usually target a
// partition such as slot1). An *api.Area is itself an api.Device whose
// offsets are relative to the area, so NewArea(a, ...) is New(a, ...) after
// one extra check: the area must start and end on device page boundaries
// (ErrFault otherwise, as for a nil area or an area without a device).
// Without that check a stream in an unaligned area would fail late, at its
// first erase (the head of the area lies in a page that starts before the
// area and so is no area page), or pad past the area's end.
//
// As with New on any device, offset and size are relative to the area (size
// 0 means "to the end of the area"), every device operation goes through the
// area's bounds-checked accessors, the callback receives area offsets,
// ErasePage takes area offsets and Device returns the area.
func NewArea(a *api.Area, buf []byte, offset, size int64, cb Callback, opts Options) (*Stream, error) {
	if err := checkAreaPages(a); err != nil {
		return nil, err
	}
	return New(a, buf, offset, size, cb, opts)
}

// checkAreaPages checks that the pages of a tile it exactly: they start at
// area offset 0, follow each other without gaps and the last one ends at the
// end of the area.
func checkAreaPages(a *api.Area) error {
	if a == nil || a.Device() == nil {
		return fmt.Errorf("%w: nil flash area or device", ErrFault)
	}
	secs, err := a.Sectors()
	if err != nil {
		return err
	}
	var next int64
	for _, s := range secs {
		if s.Off != next || s.Size > a.Size()-s.Off {
			return fmt.Errorf("%w: area %v is not aligned to device pages", ErrFault, a)
		}
		next = s.Off + s.Size
	}
	if next != a.Size() {
		return fmt.Errorf("%w: area %v is not aligned to device pages", ErrFault, a)
	}
	return nil
}
