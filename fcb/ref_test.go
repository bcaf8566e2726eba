package fcb_test

import (
	"encoding/binary"

	"github.com/flashemu/flashemu/crc8"
)

// refLayout is an independent reference encoder of the on-flash format
// (zephyr-reference §2.2 and vectors/README.md), used to predict the images
// of the no-rotation scenarios (basic, long) for every write-block size and
// erase value, including the family members that have no file. Entries are
// laid out from sector 0 on; a sector is opened when the entry does not fit
// and a next sector exists. It stops at the first ENOSPC.
type refLayout struct {
	nsec    int
	secSize int
	wbs     int
	ev      byte
	magic   uint32
	version byte

	img    []byte
	sector int
	off    int
	writes int
	bytes  int
}

func newRefLayout(nsec int, secSize int64, wbs int, ev byte) *refLayout {
	r := &refLayout{nsec: nsec, secSize: int(secSize), wbs: wbs, ev: ev, magic: vecMagic, version: vecVersion}
	r.img = make([]byte, nsec*int(secSize))
	for i := range r.img {
		r.img[i] = ev
	}
	r.header(0)
	return r
}

func (r *refLayout) a(n int) int { return (n + r.wbs - 1) / r.wbs * r.wbs }

func (r *refLayout) header(s int) {
	b := r.img[s*r.secSize:]
	nev := ^(uint32(r.ev) * 0x01010101)
	binary.LittleEndian.PutUint32(b, r.magic^nev)
	b[4] = r.version
	b[5] = r.ev
	binary.LittleEndian.PutUint16(b[6:], uint16(s))
	r.sector, r.off = s, r.a(8)
	r.writes++
	r.bytes += 8
}

// add appends one entry of data and returns its location or an error code.
func (r *refLayout) add(data []byte) (vecEntry, string) {
	n := len(data)
	if n > 0x3FFF {
		return vecEntry{Sector: -1}, "-EINVAL"
	}
	nx := ^r.ev
	lb := []byte{byte(n) ^ nx}
	if n >= 0x80 {
		lb = []byte{(byte(n&0x7f) | 0x80) ^ nx, byte(n>>7) ^ nx}
	}
	need := r.a(len(lb)) + r.a(n) + r.a(1)
	if r.off+need > r.secSize {
		if r.sector+1 >= r.nsec || r.a(8)+need > r.secSize {
			return vecEntry{Sector: -1}, "-ENOSPC"
		}
		r.header(r.sector + 1)
	}
	base := r.sector * r.secSize
	e := vecEntry{Sector: r.sector, ElemOff: r.off, DataOff: r.off + r.a(len(lb)), Len: n}
	copy(r.img[base+e.ElemOff:], lb)
	copy(r.img[base+e.DataOff:], data)
	crc := crc8.Update(crc8.Checksum(lb, crc8.InitialValue), data)
	m := base + e.DataOff + r.a(n)
	r.img[m] = crc
	for i := 1; i < r.a(1); i++ {
		r.img[m+i] = 0xFF
	}
	r.off = e.DataOff + r.a(n) + r.a(1)
	r.writes += 2
	r.bytes += r.a(len(lb)) + r.a(1)
	if n > 0 {
		r.writes++
		r.bytes += r.a(n)
	}
	return e, "0"
}
