package emu

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Images. A raw image is the native_sim flash.bin layout: the data area,
// byte for byte, no header. A NAND device's spare areas go to a separate
// <image>.oob file (all pages' OOB, page after page) or are interleaved
// (page data then its OOB, page after page) in the image itself. An optional
// JSON sidecar <image>.json records what the raw bytes cannot: the Config
// (geometry, rules, timing), wear per erase unit, protection, clock and
// counters.
//
// Images hold the stored bits (what Peek sees): bit-error and unstable-bit
// overlays and stuck bits are transient or physical defects, not content,
// and are not saved. Program counters are not saved either; a loaded device
// counts every write block that is not erased as programmed once, and a NAND
// block as programmed up to its last non-erased page.

// OOBLayout says where a NAND image keeps the spare areas.
type OOBLayout uint8

// OOB layouts.
const (
	// OOBSeparate writes the spare areas to <image>.oob (the default).
	OOBSeparate OOBLayout = iota
	// OOBInterleaved writes page data then its spare area, page after page.
	OOBInterleaved
	// OOBNone leaves the spare areas out (loaded as erased).
	OOBNone
)

var oobLayoutNames = [...]string{OOBSeparate: "separate", OOBInterleaved: "interleaved", OOBNone: "none"}

// String returns "separate", "interleaved" or "none".
func (l OOBLayout) String() string {
	if int(l) < len(oobLayoutNames) {
		return oobLayoutNames[l]
	}
	return fmt.Sprintf("oob(%d)", uint8(l))
}

// MarshalText encodes the layout name.
func (l OOBLayout) MarshalText() ([]byte, error) {
	if int(l) >= len(oobLayoutNames) {
		return nil, fmt.Errorf("%w: %s", ErrInvalid, l)
	}
	return []byte(l.String()), nil
}

// UnmarshalText decodes a layout name ("" means separate).
func (l *OOBLayout) UnmarshalText(b []byte) error {
	for i, n := range oobLayoutNames {
		if n == string(b) {
			*l = OOBLayout(i)
			return nil
		}
	}
	if len(b) == 0 {
		*l = OOBSeparate
		return nil
	}
	return fmt.Errorf("%w: OOB layout %q (want separate, interleaved or none)", ErrInvalid, b)
}

// ImageOptions control SaveImage and Load.
type ImageOptions struct {
	// Sidecar writes <image>.json on save. On load it reads the sidecar
	// (always read when Load gets no Config) for wear, clock and counters.
	Sidecar bool
	// OOB is the NAND spare-area layout (ignored on NOR).
	OOB OOBLayout
}

// SidecarVersion is the version of the JSON sidecar format written by SaveImage.
const SidecarVersion = 1

// Sidecar is the JSON sidecar of an image.
type Sidecar struct {
	Version   int       `json:"version"`
	Config    Config    `json:"config"`
	OOB       OOBLayout `json:"oob,omitempty"` // NAND layout of the image
	Wear      []uint32  `json:"wear"`          // erase count per erase unit
	Protected []int     `json:"protected,omitempty"`
	ClockNs   int64     `json:"clock_ns"`
	Seq       uint64    `json:"seq"`
	Stats     Stats     `json:"stats"`
}

// SidecarPath is the sidecar file of image path.
func SidecarPath(path string) string { return path + ".json" }

// OOBPath is the separate spare-area file of image path.
func OOBPath(path string) string { return path + ".oob" }

// Dump returns the whole data area (NAND: without spare areas) as stored.
func (d *Device) Dump() []byte {
	p := make([]byte, d.g.size)
	_ = d.Peek(0, p)
	return p
}

// DumpOOB returns every page's spare area, page after page (nil on NOR).
func (d *Device) DumpOOB() []byte {
	if d.g.kind != NAND {
		return nil
	}
	oob := d.OOBSize()
	p := make([]byte, d.g.nchunks*oob)
	for i := 0; i < d.g.nchunks; i++ {
		_ = d.PeekOOB(i, p[i*oob:(i+1)*oob])
	}
	return p
}

// WriteTo writes the raw data area (the flash.bin layout) to w. It
// implements io.WriterTo and streams chunk by chunk.
func (d *Device) WriteTo(w io.Writer) (int64, error) { return d.writeImage(w, OOBNone, false) }

// writeImage writes the data area, with interleaved spare areas when
// layout says so, or (oobOnly) only the spare areas.
func (d *Device) writeImage(w io.Writer, layout OOBLayout, oobOnly bool) (int64, error) {
	g := d.g
	erased := make([]byte, g.store)
	fill(erased, g.ev)
	var total int64
	for i := 0; i < g.nchunks; i++ {
		b := erased
		if c := d.chunkRO(i); c != nil {
			b = c.data
		}
		switch {
		case oobOnly:
			b = b[g.chunk:]
		case g.kind != NAND || layout != OOBInterleaved:
			b = b[:g.chunk]
		}
		n, err := w.Write(b)
		total += int64(n)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// writeAtomic writes path through a temporary file in the same directory:
// write, fsync, close, rename over path, fsync the directory.
func writeAtomic(path string, write func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	if err = write(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	if df, derr := os.Open(dir); derr == nil {
		_ = df.Sync() // not supported everywhere; the rename is done
		_ = df.Close()
	}
	return nil
}

// SaveImage writes the device's data to path atomically (the native_sim
// flash.bin layout), the NAND spare areas as opts.OOB says, and with
// opts.Sidecar the JSON sidecar. Each file is replaced atomically; the
// sidecar and OOB files are written before the image.
func (d *Device) SaveImage(path string, opts ImageOptions) error {
	if int(opts.OOB) >= len(oobLayoutNames) {
		return fmt.Errorf("%w: OOB layout %d", ErrInvalid, opts.OOB)
	}
	if opts.Sidecar {
		sc := d.sidecar(opts.OOB)
		err := writeAtomic(SidecarPath(path), func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(sc)
		})
		if err != nil {
			return fmt.Errorf("emu: save sidecar: %w", err)
		}
	}
	if d.g.kind == NAND && opts.OOB == OOBSeparate {
		err := writeAtomic(OOBPath(path), func(w io.Writer) error {
			_, err := d.writeImage(w, OOBSeparate, true)
			return err
		})
		if err != nil {
			return fmt.Errorf("emu: save OOB: %w", err)
		}
	}
	err := writeAtomic(path, func(w io.Writer) error {
		_, err := d.writeImage(w, opts.OOB, false)
		return err
	})
	if err != nil {
		return fmt.Errorf("emu: save image: %w", err)
	}
	return nil
}

func (d *Device) sidecar(layout OOBLayout) Sidecar {
	sc := Sidecar{Version: SidecarVersion, Config: d.Config(), Wear: d.Wear(),
		ClockNs: d.now, Seq: d.seq, Stats: d.stats}
	if d.g.kind == NAND {
		sc.OOB = layout
	}
	for u := 0; u < d.g.units(); u++ {
		if d.Protected(u) {
			sc.Protected = append(sc.Protected, u)
		}
	}
	// The protection at save time is in Protected; do not re-apply the
	// preset's boot protection on load.
	sc.Config.ProtectBoot = false
	return sc
}

// ReadSidecar reads and validates the sidecar file at path.
func ReadSidecar(path string) (*Sidecar, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: sidecar: %w", ErrCorruptImage, err)
	}
	return ParseSidecar(b)
}

// ParseSidecar decodes and validates sidecar JSON.
func ParseSidecar(b []byte) (*Sidecar, error) {
	var sc Sidecar
	if err := json.Unmarshal(b, &sc); err != nil {
		return nil, fmt.Errorf("%w: sidecar: %w", ErrCorruptImage, err)
	}
	if sc.Version != SidecarVersion {
		return nil, fmt.Errorf("%w: sidecar version %d (this build reads %d)", ErrCorruptImage, sc.Version, SidecarVersion)
	}
	return &sc, nil
}

// Load creates a device from the image at path. With cfg nil the geometry
// comes from the sidecar <path>.json; with opts.Sidecar the sidecar is read
// too and its wear, protection, clock and counters are restored (its
// geometry must then match cfg). A file of the wrong size, a malformed or
// mismatching sidecar give an error wrapping ErrCorruptImage that says what
// was expected.
func Load(path string, cfg *Config, opts ImageOptions) (*Device, error) {
	var sc *Sidecar
	if cfg == nil || opts.Sidecar {
		var err error
		if sc, err = ReadSidecar(SidecarPath(path)); err != nil {
			if cfg == nil {
				return nil, fmt.Errorf("%w (no configuration given, so the sidecar is needed)", err)
			}
			return nil, err
		}
	}
	var c Config
	layout := opts.OOB
	switch {
	case cfg != nil:
		c = *cfg
	default:
		c = sc.Config
		layout = sc.OOB
	}
	d, err := New(c)
	if err != nil {
		if cfg == nil {
			return nil, fmt.Errorf("%w: sidecar configuration: %w", ErrCorruptImage, err)
		}
		return nil, err
	}
	if sc != nil && cfg != nil {
		sg, err := newGeometry(sc.Config)
		if err != nil || !sameGeometry(sg, d.g) {
			return nil, fmt.Errorf("%w: sidecar geometry does not match the configuration", ErrCorruptImage)
		}
	}
	if int(layout) >= len(oobLayoutNames) {
		return nil, fmt.Errorf("%w: OOB layout %d", ErrInvalid, layout)
	}
	if err := d.loadFiles(path, layout); err != nil {
		return nil, err
	}
	if sc != nil {
		if err := d.applySidecar(sc); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// expectSize checks the size of a file before reading it.
func expectSize(f *os.File, what string, want int64) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrCorruptImage, what, err)
	}
	if st.Size() != want {
		kind := "short"
		if st.Size() > want {
			kind = "long"
		}
		return fmt.Errorf("%w: %s %s is %s: %d bytes, expected %d", ErrCorruptImage, what, f.Name(), kind, st.Size(), want)
	}
	return nil
}

func (d *Device) loadFiles(path string, layout OOBLayout) error {
	g := d.g
	oob := d.OOBSize()
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w: image: %w", ErrCorruptImage, err)
	}
	defer f.Close()
	want := g.size
	if g.kind == NAND && layout == OOBInterleaved {
		want = int64(g.nchunks) * int64(g.store)
	}
	if err := expectSize(f, "image", want); err != nil {
		return err
	}
	var of *os.File
	if g.kind == NAND && layout == OOBSeparate && oob > 0 {
		if of, err = os.Open(OOBPath(path)); err != nil {
			return fmt.Errorf("%w: OOB file: %w", ErrCorruptImage, err)
		}
		defer of.Close()
		if err := expectSize(of, "OOB file", int64(g.nchunks)*int64(oob)); err != nil {
			return err
		}
	}
	withOOB := g.kind == NAND && layout == OOBInterleaved
	r := bufio.NewReaderSize(f, 1<<16)
	var or *bufio.Reader
	if of != nil {
		or = bufio.NewReaderSize(of, 1<<16)
	}
	buf := make([]byte, g.store)
	for i := 0; i < g.nchunks; i++ {
		n := int(g.chunk)
		if withOOB {
			n = g.store
		}
		if _, err := io.ReadFull(r, buf[:n]); err != nil {
			return fmt.Errorf("%w: image: chunk %d: %w", ErrCorruptImage, i, err)
		}
		switch {
		case or != nil:
			if _, err := io.ReadFull(or, buf[g.chunk:]); err != nil {
				return fmt.Errorf("%w: OOB file: page %d: %w", ErrCorruptImage, i, err)
			}
		case !withOOB:
			d.spare(i, buf[g.chunk:]) // factory bad-block marks of the Config stay
		}
		d.loadChunk(i, buf)
	}
	return nil
}

// loadChunk stores a loaded chunk (data and spare) and reconstructs the
// program state: non-erased write blocks count as programmed once, a
// non-erased NAND page as one program, in order.
func (d *Device) loadChunk(i int, b []byte) {
	g := d.g
	if isFilled(b, g.ev) {
		if d.chunkRO(i) != nil {
			d.eraseChunk(i)
		}
		return
	}
	c := d.chunkRW(i)
	copy(c.data, b)
	if c.progs != nil {
		for j := range c.progs {
			c.progs[j] = 0
			if !isFilled(b[int64(j)*g.wb:int64(j+1)*g.wb], g.ev) {
				c.progs[j] = 1
			}
		}
	}
	if g.kind == NAND {
		c.nop = 1
		m := d.unitRW(i / g.cfg.PagesPerBlock)
		m.hi = max(m.hi, int32(i%g.cfg.PagesPerBlock)+1)
	}
}

// spare copies the stored spare area of chunk i into p.
func (d *Device) spare(i int, p []byte) {
	if c := d.chunkRO(i); c != nil {
		copy(p, c.data[d.g.chunk:])
	} else {
		fill(p, d.g.ev)
	}
}

func (d *Device) applySidecar(sc *Sidecar) error {
	if sc.Wear != nil {
		if len(sc.Wear) != d.g.units() {
			return fmt.Errorf("%w: sidecar has wear for %d erase units, the device has %d", ErrCorruptImage, len(sc.Wear), d.g.units())
		}
		for u, w := range sc.Wear {
			if w != 0 {
				d.unitRW(u).erases = w
			}
		}
	}
	for _, u := range sc.Protected {
		if u < 0 || u >= d.g.units() {
			return fmt.Errorf("%w: sidecar protects erase unit %d of %d", ErrCorruptImage, u, d.g.units())
		}
		start, size := d.Unit(u)
		d.Protect(start, size)
	}
	if sc.ClockNs < 0 || sc.ClockNs > maxNs<<12 {
		return fmt.Errorf("%w: sidecar clock %d ns", ErrCorruptImage, sc.ClockNs)
	}
	d.now, d.seq, d.stats = sc.ClockNs, sc.Seq, sc.Stats
	return nil
}

// ReadImage fills the device's data area (and, interleaved, the NAND spare
// areas) from a raw image in r, replacing the content as a raw load (like
// Poke). r must hold exactly the image: anything short or long is an error
// wrapping ErrCorruptImage.
func (d *Device) ReadImage(r io.Reader, layout OOBLayout) error {
	g := d.g
	withOOB := g.kind == NAND && layout == OOBInterleaved
	br := bufio.NewReaderSize(r, 1<<16)
	buf := make([]byte, g.store)
	for i := 0; i < g.nchunks; i++ {
		n := int(g.chunk)
		if withOOB {
			n = g.store
		} else {
			d.spare(i, buf[g.chunk:]) // keep the spare area
		}
		if k, err := io.ReadFull(br, buf[:n]); err != nil {
			have := int64(i)*int64(n) + int64(k)
			return fmt.Errorf("%w: image is short: %d bytes, expected %d", ErrCorruptImage, have, int64(g.nchunks)*int64(n))
		}
		d.loadChunk(i, buf)
	}
	if _, err := br.ReadByte(); err == nil {
		n := g.chunk
		if withOOB {
			n = int64(g.store)
		}
		return fmt.Errorf("%w: image is long: more than the expected %d bytes", ErrCorruptImage, int64(g.nchunks)*n)
	} else if !errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: image: %w", ErrCorruptImage, err)
	}
	return nil
}
