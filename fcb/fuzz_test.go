package fcb_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/fcb"
)

// fuzzMax bounds FuzzMountWalk's input. Small inputs keep every execution
// cheap and, above all, keep the fuzzing engine's minimisation of a new
// input short: a 16 KiB input took minutes to minimise, so the plain
// `go test -fuzz FuzzMountWalk` barely fuzzed.
const fuzzMax = 2048

// fuzzConfig decodes the configuration byte of FuzzMountWalk.
func fuzzConfig(cfg uint16) fcb.ImageOptions {
	sizes := []int64{512, 256, 64, 1024}
	return fcb.ImageOptions{
		SectorSize: sizes[cfg&3],
		Align:      []int{1, 2, 4, 8}[(cfg>>2)&3],
		EraseValue: []byte{0xFF, 0x00}[(cfg>>4)&1],
		NoCRC:      cfg&(1<<5) != 0,
		Repair:     cfg&(1<<6) != 0,
		Magic:      []uint32{vecMagic, 0}[(cfg>>7)&1],
	}
}

func allowed(err error, errnos ...errno.Errno) bool {
	if err == nil {
		return true
	}
	e := -errno.Of(err)
	for _, want := range errnos {
		if e == int(want) {
			return true
		}
	}
	return false
}

// foldSectors keeps the first keep bytes of each size-byte sector of img:
// a reference image of 4 KiB sectors becomes one of small sectors that
// still starts every sector with its header and first entries (an entry
// cut at the new sector end reads as torn).
func foldSectors(img []byte, size, keep int) []byte {
	var out []byte
	for off := 0; off < len(img) && len(out) < fuzzMax; off += size {
		out = append(out, img[off:min(off+keep, len(img))]...)
	}
	return out[:min(len(out), fuzzMax)]
}

// FuzzMountWalk mounts and walks arbitrary images of up to 4 sectors of
// 64..1024 bytes (inputs up to fuzzMax, padded with the erase value): no
// panic, no hang, and only the documented errors. Seeded from the
// reference vectors, folded to 512-byte sectors, and a torn length.
func FuzzMountWalk(f *testing.F) {
	bins, _ := filepath.Glob(filepath.Join(vecDir, "*.bin"))
	for _, b := range bins {
		img, err := os.ReadFile(b)
		if err != nil {
			f.Fatal(err)
		}
		cfg := uint16(0) // 512-byte sectors, align 1, 0xff, CRC, magic 0x12345678
		switch filepath.Base(b) {
		case "fcb_image_4_basic.bin", "fcb_image_4_rotate_s0.bin", "fcb_image_4_long_newfcb.bin":
			cfg = 2 << 2
		}
		img = foldSectors(img, 4096, 512)
		f.Add(img, cfg)
		f.Add(img[:len(img)/2], cfg|1<<6)
	}
	// A torn 2-byte length (len2half): Zephyr's mount fails with EIO,
	// repair mode mounts.
	torn := make([]byte, 4*256)
	for i := range torn {
		torn[i] = 0xFF
	}
	copy(torn, []byte{0x78, 0x56, 0x34, 0x12, vecVersion, 0xFF, 0, 0, 0x80 | 200&0x7f})
	f.Add(torn, uint16(1))
	f.Add(torn, uint16(1|1<<6))
	f.Add([]byte{}, uint16(0))
	f.Fuzz(func(t *testing.T, img []byte, cfg uint16) {
		if len(img) > fuzzMax {
			img = img[:fuzzMax]
		}
		opt := fuzzConfig(cfg)
		// Pad to at least two sectors so that rotation has somewhere to go.
		for len(img) < 2*int(opt.SectorSize) {
			img = append(img, opt.EraseValue)
		}
		fc, err := fcb.MountImage(img, opt)
		if err != nil {
			if !allowed(err, errno.EINVAL, errno.EIO, errno.ENOMSG) {
				t.Fatalf("mount: undocumented error %v (errno %d)", err, errno.Of(err))
			}
			// Repair mode mounts any image of a device that reads without
			// errors: foreign headers, dirty sectors and torn lengths are
			// all repaired. Only a bad configuration or image size fails.
			if opt.Repair && !allowed(err, errno.EINVAL) {
				t.Fatalf("repair mount: %v", err)
			}
			return
		}
		nsec := len(fc.Sectors())
		n := 0
		for e, err := range fc.Entries() {
			if err != nil {
				if !allowed(err, errno.EIO) || opt.Repair {
					t.Fatalf("walk: undocumented error %v (repair %v)", err, opt.Repair)
				}
				break
			}
			s := fc.Sectors()[e.Sector]
			if e.Sector < 0 || e.Sector >= nsec || int64(e.DataOff+e.Len) > s.Size || e.DataOff <= e.ElemOff {
				t.Fatalf("entry outside its sector: %+v (sector size %d)", e.Loc, s.Size)
			}
			if n++; n > len(img) {
				t.Fatalf("more entries than bytes")
			}
		}
		if _, err := fc.OffsetLastN(3); !allowed(err, errno.ENOENT) {
			t.Fatalf("last_n: %v", err)
		}
		for s := range min(nsec, 8) {
			if _, err := fc.GetNext(fcb.Loc{Sector: s}); !allowed(err, errno.ENOTSUP, errno.EIO) || opt.Repair && !allowed(err, errno.ENOTSUP) {
				t.Fatalf("getnext sector %d: %v", s, err)
			}
		}
		for range 3 {
			_, err := fc.Push([]byte("fuzz"))
			if errors.Is(err, fcb.ErrNoSpace) {
				err = fc.Rotate()
			}
			if !allowed(err, errno.EIO, errno.ENOSPC, errno.ENOTSUP) {
				t.Fatalf("push/rotate: %v", err)
			}
		}
		if free := fc.FreeSectorCount(); free < 0 || free >= nsec {
			t.Fatalf("free sectors %d of %d", free, nsec)
		}
	})
}
