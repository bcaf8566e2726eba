package fcb

import (
	"encoding/hex"
	"fmt"

	"github.com/flashemu/flashemu/api"
)

// ImageOptions describes an FCB inside a raw flash image (a field dump) for
// MountImage and WalkImage. The zero value is NOT the command line's default
// for EraseValue: start from DefaultImageOptions.
type ImageOptions struct {
	SectorSize int64  // bytes per FCB sector (required)
	Sectors    int    // sector count; 0: all whole sectors after Offset
	Offset     int64  // image offset of the first sector
	Magic      uint32 // f_magic
	EraseValue byte   // erase value of the flash the image came from
	Align      int    // write block size (f_align); 0 means 1
	NoCRC      bool   // fixed end marker instead of CRC-8
	Repair     bool   // Options.Repair
}

// DefaultImageOptions returns the `flashemu fcb walk` defaults for sectors
// of sectorSize bytes: magic 0, erase value 0xFF, align 1, CRC on.
func DefaultImageOptions(sectorSize int64) ImageOptions {
	return ImageOptions{SectorSize: sectorSize, EraseValue: 0xFF, Align: 1}
}

// ImageEntry is one entry of a walked image. Its JSON form is the element
// of `flashemu fcb walk --json`:
//
//	{"sector": 0, "elem_off": 8, "data_off": 9, "len": 3, "data": "010203"}
//
// sector is the index within the FCB's sectors, elem_off and data_off are
// offsets within that sector, and data is the payload in lower-case hex.
type ImageEntry struct {
	Sector  int      `json:"sector"`
	ElemOff int      `json:"elem_off"`
	DataOff int      `json:"data_off"`
	Len     int      `json:"len"`
	Data    HexBytes `json:"data"`
}

// HexBytes is a byte string that marshals to lower-case hex (JSON and text).
type HexBytes []byte

// MarshalText implements encoding.TextMarshaler.
func (h HexBytes) MarshalText() ([]byte, error) {
	out := make([]byte, hex.EncodedLen(len(h)))
	hex.Encode(out, h)
	return out, nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *HexBytes) UnmarshalText(b []byte) error {
	out := make([]byte, hex.DecodedLen(len(b)))
	if _, err := hex.Decode(out, b); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	*h = out
	return nil
}

// MountImage mounts the FCB described by opt inside img without changing
// img: the FCB runs on a private in-memory copy (New formats sector 0 of a
// blank image, as fcb_init does, but only in the copy). The error is New's,
// so errno.Of gives the errno a Zephyr mount would return.
func MountImage(img []byte, opt ImageOptions) (*FCB, error) {
	if opt.SectorSize <= 0 || opt.Offset < 0 || opt.Offset > int64(len(img)) || opt.Sectors < 0 {
		return nil, fmt.Errorf("%w: sector size %d, offset %d, sectors %d in a %d-byte image",
			ErrInvalid, opt.SectorSize, opt.Offset, opt.Sectors, len(img))
	}
	align := opt.Align
	if align == 0 {
		align = 1
	}
	if align < 0 {
		return nil, fmt.Errorf("%w: align %d", ErrInvalid, align)
	}
	n := opt.Sectors
	if n == 0 {
		n = int((int64(len(img)) - opt.Offset) / opt.SectorSize)
	}
	if int64(n) > (int64(len(img))-opt.Offset)/opt.SectorSize {
		return nil, fmt.Errorf("%w: %d sectors of %d bytes at %d do not fit in a %d-byte image",
			ErrInvalid, n, opt.SectorSize, opt.Offset, len(img))
	}
	sectors := make([]api.Sector, n)
	for i := range sectors {
		sectors[i] = api.Sector{Off: int64(i) * opt.SectorSize, Size: opt.SectorSize}
	}
	size := int64(n) * opt.SectorSize
	mem := &memDevice{
		data:   append([]byte(nil), img[opt.Offset:opt.Offset+size]...),
		params: api.Parameters{WriteBlockSize: align, EraseValue: opt.EraseValue},
		page:   opt.SectorSize,
	}
	area, err := api.DeviceArea(mem, "fcb")
	if err != nil {
		return nil, err
	}
	return New(area, Options{Magic: opt.Magic, Sectors: sectors, NoCRC: opt.NoCRC, Repair: opt.Repair})
}

// WalkImage mounts the FCB inside img (see MountImage) and returns its valid
// entries from the oldest to the newest, payloads included. It is what
// `flashemu fcb walk IMAGE --sector-size N [...] [--json]` prints; a mount
// failure is returned with its Zephyr errno (errno.Of, e.g. -ENOMSG).
func WalkImage(img []byte, opt ImageOptions) ([]ImageEntry, error) {
	f, err := MountImage(img, opt)
	if err != nil {
		return nil, err
	}
	out := []ImageEntry{}
	for e, err := range f.Entries() {
		if err != nil {
			return out, err
		}
		out = append(out, ImageEntry{
			Sector: e.Sector, ElemOff: e.ElemOff, DataOff: e.DataOff, Len: e.Len,
			Data: append(HexBytes{}, e.Data...),
		})
	}
	return out, nil
}

// memDevice is a plain RAM flash for MountImage: uniform pages of the FCB
// sector size, writes store the physical result ((old^ev)|(new^ev))^ev.
type memDevice struct {
	data   []byte
	params api.Parameters
	page   int64
}

func (m *memDevice) check(off, n int64) error {
	if off < 0 || n < 0 || off > int64(len(m.data)) || n > int64(len(m.data))-off {
		return fmt.Errorf("%w: offset %d length %d in a %d-byte image", api.ErrInvalid, off, n, len(m.data))
	}
	return nil
}

func (m *memDevice) Read(off int64, p []byte) error {
	if err := m.check(off, int64(len(p))); err != nil {
		return err
	}
	copy(p, m.data[off:])
	return nil
}

func (m *memDevice) Write(off int64, p []byte) error {
	if err := m.check(off, int64(len(p))); err != nil {
		return err
	}
	wbs := int64(m.params.WriteBlockSize)
	if off%wbs != 0 || int64(len(p))%wbs != 0 {
		return fmt.Errorf("%w: write at %d length %d (write block %d)", api.ErrInvalid, off, len(p), wbs)
	}
	ev := m.params.EraseValue
	for i, b := range p {
		m.data[off+int64(i)] = ((m.data[off+int64(i)] ^ ev) | (b ^ ev)) ^ ev
	}
	return nil
}

func (m *memDevice) Erase(off, n int64) error {
	if err := m.check(off, n); err != nil {
		return err
	}
	if off%m.page != 0 || n%m.page != 0 {
		return fmt.Errorf("%w: erase at %d length %d (page %d)", api.ErrInvalid, off, n, m.page)
	}
	for i := off; i < off+n; i++ {
		m.data[i] = m.params.EraseValue
	}
	return nil
}

func (m *memDevice) Parameters() api.Parameters { return m.params }
func (m *memDevice) Size() int64                { return int64(len(m.data)) }
func (m *memDevice) PageCount() int             { return int(int64(len(m.data)) / m.page) }

func (m *memDevice) PageByOffset(off int64) (api.PageInfo, error) {
	if off < 0 || off >= int64(len(m.data)) {
		return api.PageInfo{}, fmt.Errorf("%w: no page at %d", api.ErrInvalid, off)
	}
	i := off / m.page
	return api.PageInfo{Index: int(i), Start: i * m.page, Size: m.page}, nil
}

func (m *memDevice) PageByIndex(i int) (api.PageInfo, error) {
	if i < 0 || i >= m.PageCount() {
		return api.PageInfo{}, fmt.Errorf("%w: no page %d", api.ErrInvalid, i)
	}
	return api.PageInfo{Index: i, Start: int64(i) * m.page, Size: m.page}, nil
}
