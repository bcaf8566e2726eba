package api

import "fmt"

// An *Area is itself a Device: a view of its device in which offset 0 is the
// start of the area. Anything written for a Device (stream_flash, flash_fill,
// flash_flatten, a nested area, ...) can therefore run inside a partition.
//
//   - Read, Write and Erase are flash_area_read/write/erase (bounds-checked
//     against the area, then passed to the device at Offset()+off).
//   - Size is the area size; Parameters are the device's.
//   - The page layout is the one flash_area_get_sectors selects: the device
//     pages whose start lies inside the area, in order, with area-relative
//     Start and Index. A page starting before the area is not an area page
//     (offsets in it have no page); a last page running past the end of the
//     area is one, with its full device size, as in Zephyr.
//   - HasErase and Ready are the device's (EraseCapability, Readier).
var (
	_ Device          = (*Area)(nil)
	_ EraseCapability = (*Area)(nil)
	_ Readier         = (*Area)(nil)
)

// PageCount is the number of device pages whose start lies inside the area
// (len(Sectors())). It is 0 for a nil area, an area without a device, or a
// device whose page layout fails to answer.
func (a *Area) PageCount() int {
	first, end, err := a.pageSpan()
	if err != nil {
		return 0
	}
	return end - first
}

// PageByIndex is flash_get_page_info_by_idx over the area: page i of the
// area (Sectors()[i]), with Index i and Start relative to the area. An index
// outside [0, PageCount()) gives ErrInvalid (EINVAL).
func (a *Area) PageByIndex(i int) (PageInfo, error) {
	first, end, err := a.pageSpan()
	if err != nil {
		return PageInfo{}, err
	}
	if i < 0 || i >= end-first {
		return PageInfo{}, fmt.Errorf("%w: no page %d in area %v (%d pages)", ErrInvalid, i, a, end-first)
	}
	p, err := a.dev.PageByIndex(first + i)
	if err != nil {
		return PageInfo{}, err
	}
	return PageInfo{Index: i, Start: p.Start - a.offset, Size: p.Size}, nil
}

// PageByOffset is flash_get_page_info_by_offs over the area: the area page
// holding area offset off. An offset outside the area, or inside a device
// page that starts before the area (which therefore is no area page), gives
// ErrInvalid (EINVAL).
func (a *Area) PageByOffset(off int64) (PageInfo, error) {
	if a == nil {
		return PageInfo{}, fmt.Errorf("%w: nil flash area", ErrInvalid)
	}
	if a.dev == nil {
		return PageInfo{}, fmt.Errorf("%w: %q", ErrNoDevice, a.label)
	}
	if off < 0 || off >= a.size {
		return PageInfo{}, fmt.Errorf("%w: offset %d outside area %v", ErrInvalid, off, a)
	}
	p, err := a.dev.PageByOffset(a.offset + off)
	if err != nil {
		return PageInfo{}, err
	}
	if p.Start < a.offset {
		return PageInfo{}, fmt.Errorf("%w: offset %d of area %v lies in device page %d, which starts before the area", ErrInvalid, off, a, p.Index)
	}
	first, err := firstPageFrom(a.dev, a.offset)
	if err != nil {
		return PageInfo{}, err
	}
	return PageInfo{Index: p.Index - first, Start: p.Start - a.offset, Size: p.Size}, nil
}

// HasErase reports whether the area's device driver implements erase
// (EraseCapability): false for a nil area or an area without a device.
func (a *Area) HasErase() bool { return a != nil && HasErase(a.dev) }

// Ready is device_is_ready for the area's device (Readier); it equals
// DeviceIsReady.
func (a *Area) Ready() bool { return a.DeviceIsReady() }

// pageSpan returns the device page indexes [first, end) of the area's pages:
// the pages whose start lies in [Offset(), Offset()+Size()).
func (a *Area) pageSpan() (first, end int, err error) {
	if a == nil {
		return 0, 0, fmt.Errorf("%w: nil flash area", ErrInvalid)
	}
	if a.dev == nil {
		return 0, 0, fmt.Errorf("%w: %q", ErrNoDevice, a.label)
	}
	if first, err = firstPageFrom(a.dev, a.offset); err != nil {
		return 0, 0, err
	}
	if end, err = firstPageFrom(a.dev, a.offset+a.size); err != nil {
		return 0, 0, err
	}
	return first, max(end, first), nil
}

// firstPageFrom is the index of the first device page that starts at or
// after device offset off (PageCount() if none), found by binary search over
// PageByIndex: pages are in ascending order of Start, as flash_page_foreach
// (and Sectors) walk them. It costs O(log PageCount()) driver calls.
func firstPageFrom(dev Device, off int64) (int, error) {
	lo, hi := 0, dev.PageCount()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		p, err := dev.PageByIndex(m)
		if err != nil {
			return 0, err
		}
		if p.Start < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, nil
}
