package streamflash

import (
	"fmt"

	"github.com/flashemu/flashemu/api"
)

// NewArea is New over a flash area (Zephyr streams usually target a
// partition such as slot1): offset and size are relative to the area, size 0
// means "to the end of the area", and every device operation goes through
// the area's bounds-checked accessors. The area must start and end on device
// page boundaries. The callback receives area offsets, and ErasePage takes
// area offsets.
func NewArea(a *api.Area, buf []byte, offset, size int64, cb Callback, opts Options) (*Stream, error) {
	dev, err := AreaDevice(a)
	if err != nil {
		return nil, err
	}
	return New(dev, buf, offset, size, cb, opts)
}

// AreaDevice is a device view of a flash area: offset 0 is the start of the
// area, the size is the area's size and the pages are the device pages inside
// the area. It fails with ErrFault for a nil area, an area without a device,
// or an area that does not start and end on page boundaries.
func AreaDevice(a *api.Area) (api.Device, error) {
	if a == nil || a.Device() == nil {
		return nil, fmt.Errorf("%w: nil flash area or device", ErrFault)
	}
	secs, err := a.Sectors()
	if err != nil {
		return nil, err
	}
	pages := make([]api.PageInfo, 0, len(secs))
	var next int64
	for i, s := range secs {
		if s.Off != next || s.Off+s.Size > a.Size() {
			return nil, fmt.Errorf("%w: area %v is not aligned to device pages", ErrFault, a)
		}
		pages = append(pages, api.PageInfo{Index: i, Start: s.Off, Size: s.Size})
		next = s.Off + s.Size
	}
	if next != a.Size() {
		return nil, fmt.Errorf("%w: area %v is not aligned to device pages", ErrFault, a)
	}
	return &areaDevice{a: a, pages: pages}, nil
}

type areaDevice struct {
	a     *api.Area
	pages []api.PageInfo
}

func (d *areaDevice) Read(off int64, p []byte) error  { return d.a.Read(off, p) }
func (d *areaDevice) Write(off int64, p []byte) error { return d.a.Write(off, p) }
func (d *areaDevice) Erase(off, n int64) error        { return d.a.Erase(off, n) }
func (d *areaDevice) Parameters() api.Parameters      { return d.a.Parameters() }
func (d *areaDevice) Size() int64                     { return d.a.Size() }
func (d *areaDevice) PageCount() int                  { return len(d.pages) }

func (d *areaDevice) PageByIndex(i int) (api.PageInfo, error) {
	if i < 0 || i >= len(d.pages) {
		return api.PageInfo{}, fmt.Errorf("%w: no page %d in the area", ErrInvalid, i)
	}
	return d.pages[i], nil
}

func (d *areaDevice) PageByOffset(off int64) (api.PageInfo, error) {
	lo, hi := 0, len(d.pages)
	for lo < hi {
		m := (lo + hi) / 2
		if d.pages[m].Start+d.pages[m].Size <= off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if off < 0 || lo == len(d.pages) {
		return api.PageInfo{}, fmt.Errorf("%w: no page at area offset %d", ErrInvalid, off)
	}
	return d.pages[lo], nil
}
