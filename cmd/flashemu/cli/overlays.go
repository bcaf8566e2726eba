package cli

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/internal/atomicfile"
)

// Overlays file (NAME.overlays.json beside NAME.bin, written by
// `flashemu sweep --dump`, shown by `flashemu image info NAME.bin`): the
// bits of an image that do not read back as stored. The image holds the
// stored bits; a check reading the device saw, in addition:
//
//	{"version": 1, "overlays": [
//	  {"kind": "unstable", "area": "data", "off": 4100, "mask": "0c00ff"},
//	  {"kind": "flipped",  "area": "oob",  "page": 3, "off": 0, "mask": "01"},
//	  {"kind": "stuck",    "area": "data", "off": 64, "mask": "81", "value": "01"}
//	]}
//
// kind is "unstable" (a metastable bit: each read returns a random value
// until the unit is erased), "flipped" (a bit error: reads return the
// stored bit inverted) or "stuck" (a worn cell: reads return the bit of
// value, whatever was programmed or erased; erases keep it). area "data" is
// the image (off: byte offset); area "oob" is a NAND page's spare area
// (page, off: column). mask is the hex of the consecutive bytes from off: a
// set bit is an affected bit (bit 0 the least significant). One entry
// covers a run of bytes whose masks are not zero.
type overlayFile struct {
	Version  int            `json:"version"`
	Overlays []overlayEntry `json:"overlays"`
}

type overlayEntry struct {
	Kind string `json:"kind"`
	Area string `json:"area"`
	Page *int   `json:"page,omitempty"`
	Off  int64  `json:"off"`
	Mask string `json:"mask"`
	// Value is the stuck bits' values (kind "stuck"), as long as Mask.
	Value string `json:"value,omitempty"`
}

// overlaysPath is the overlays file of an image: NAME.overlays.json for
// NAME.bin (or NAME).
func overlaysPath(image string) string {
	return strings.TrimSuffix(image, filepath.Ext(image)) + ".overlays.json"
}

// maskRuns appends one entry per run of non-zero bytes in mask (whose
// first byte is at base).
// value, if not nil, is as long as mask and holds the stuck values.
func maskRuns(out []overlayEntry, kind, area string, page *int, base int64, mask, value []byte) []overlayEntry {
	for i := 0; i < len(mask); {
		if mask[i] == 0 {
			i++
			continue
		}
		j := i
		for j < len(mask) && mask[j] != 0 {
			j++
		}
		e := overlayEntry{Kind: kind, Area: area, Page: page, Off: base + int64(i), Mask: hex.EncodeToString(mask[i:j])}
		if value != nil {
			e.Value = hex.EncodeToString(value[i:j])
		}
		out = append(out, e)
		i = j
	}
	return out
}

// deviceOverlays lists d's unstable, flipped and stuck bits (data and
// spare area).
func deviceOverlays(d *emu.Device) ([]overlayEntry, error) {
	var out []overlayEntry
	const chunk = 1 << 20
	buf, vbuf := make([]byte, chunk), make([]byte, chunk)
	for _, k := range []struct {
		kind string
		peek func(int64, []byte) error
	}{{"unstable", d.PeekUnstable}, {"flipped", d.PeekFlips}} {
		for off := int64(0); off < d.Size(); off += chunk {
			p := buf[:min(chunk, d.Size()-off)]
			if err := k.peek(off, p); err != nil {
				return nil, err
			}
			out = maskRuns(out, k.kind, "data", nil, off, p, nil)
		}
	}
	for off := int64(0); off < d.Size(); off += chunk {
		n := min(chunk, d.Size()-off)
		if err := d.PeekStuck(off, buf[:n], vbuf[:n]); err != nil {
			return nil, err
		}
		out = maskRuns(out, "stuck", "data", nil, off, buf[:n], vbuf[:n])
	}
	if d.Kind() == emu.NAND && d.OOBSize() > 0 {
		oob := make([]byte, d.OOBSize())
		for _, k := range []struct {
			kind string
			peek func(int, []byte) error
		}{{"unstable", d.PeekUnstableOOB}, {"flipped", d.PeekFlipsOOB}} {
			for p := 0; p < d.Pages(); p++ {
				if err := k.peek(p, oob); err != nil {
					return nil, err
				}
				page := p
				out = maskRuns(out, k.kind, "oob", &page, 0, oob, nil)
			}
		}
		val := make([]byte, d.OOBSize())
		for p := 0; p < d.Pages(); p++ {
			if err := d.PeekStuckOOB(p, oob, val); err != nil {
				return nil, err
			}
			page := p
			out = maskRuns(out, "stuck", "oob", &page, 0, oob, val)
		}
	}
	return out, nil
}

// writeOverlays writes the overlays file of image (always, an empty list
// included: its absence would not say "none").
func writeOverlays(image string, d *emu.Device) error {
	ov, err := deviceOverlays(d)
	if err != nil {
		return err
	}
	if ov == nil {
		ov = []overlayEntry{}
	}
	b, err := json.MarshalIndent(overlayFile{Version: 1, Overlays: ov}, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteData(nil, overlaysPath(image), append(b, '\n'))
}

// overlayInfo is what `image info` shows of an overlays file.
type overlayInfo struct {
	Path     string         `json:"path"`
	Unstable int            `json:"unstable_bits"`
	Flipped  int            `json:"flipped_bits"`
	Stuck    int            `json:"stuck_bits"`
	Overlays []overlayEntry `json:"overlays"`
}

// maxOverlayFile bounds the overlays file image info reads.
const maxOverlayFile = 64 << 20

// readOverlayInfo reads image's overlays file; nil if there is none.
func readOverlayInfo(image string) (*overlayInfo, error) {
	path := overlaysPath(image)
	f, err := os.Open(path)
	if err != nil {
		return nil, nil
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxOverlayFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(b) > maxOverlayFile {
		return nil, fmt.Errorf("%s: larger than %d MiB: not an overlays file", path, maxOverlayFile>>20)
	}
	var of overlayFile
	if err := json.Unmarshal(b, &of); err != nil {
		return nil, fmt.Errorf("%s: not an overlays file: %v", path, err)
	}
	if of.Version != 1 {
		return nil, fmt.Errorf("%s: overlays version %d, want 1", path, of.Version)
	}
	info := &overlayInfo{Path: path, Overlays: of.Overlays}
	for _, o := range of.Overlays {
		m, err := hex.DecodeString(o.Mask)
		if err != nil {
			return nil, fmt.Errorf("%s: bad mask %q at %d: %v", path, o.Mask, o.Off, err)
		}
		n := 0
		for _, x := range m {
			for ; x != 0; x &= x - 1 {
				n++
			}
		}
		switch o.Kind {
		case "unstable":
			info.Unstable += n
		case "flipped":
			info.Flipped += n
		case "stuck":
			info.Stuck += n
			if v, err := hex.DecodeString(o.Value); err != nil || len(v) != len(m) {
				return nil, fmt.Errorf("%s: bad stuck value %q at %d", path, o.Value, o.Off)
			}
		default:
			return nil, fmt.Errorf("%s: unknown overlay kind %q", path, o.Kind)
		}
	}
	return info, nil
}

// maxOverlayLines bounds the overlay entries image info prints.
const maxOverlayLines = 16

func (o *overlayInfo) print(w io.Writer) {
	fmt.Fprintf(w, "overlays:    %s: %d unstable, %d flipped, %d stuck %s\n", o.Path, o.Unstable, o.Flipped, o.Stuck, plural(o.Unstable+o.Flipped+o.Stuck, "bit", "bits"))
	for i, e := range o.Overlays {
		if i == maxOverlayLines {
			fmt.Fprintf(w, "  ... %d more (the file lists them all)\n", len(o.Overlays)-maxOverlayLines)
			break
		}
		where := fmt.Sprintf("0x%08x", e.Off)
		if e.Area == "oob" && e.Page != nil {
			where = fmt.Sprintf("page %d oob +%d", *e.Page, e.Off)
		}
		if e.Value != "" {
			fmt.Fprintf(w, "  %-8s    %s  mask %s  value %s\n", e.Kind, where, e.Mask, e.Value)
		} else {
			fmt.Fprintf(w, "  %-8s    %s  mask %s\n", e.Kind, where, e.Mask)
		}
	}
}
