package emu

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/flashemu/flashemu/internal/atomicfile"
	"github.com/flashemu/flashemu/internal/fsroot"
)

// Images. A raw image is the native_sim flash.bin layout: the data area,
// byte for byte, no header. A NAND device's spare areas go to a separate
// <image>.oob file (all pages' OOB, page after page) or are interleaved
// (page data then its OOB, page after page) in the image itself. An optional
// JSON sidecar <image>.json records what the raw bytes cannot: the Config
// (geometry, rules, timing), wear per erase unit, protection, clock and
// counters.
//
// By default images hold the stored bits (what Peek and Dump see): bit-error
// and unstable-bit overlays and stuck bits are transient or physical
// defects, not content, and are not saved. ImageOptions.AsRead saves what a
// read of the data area returns now instead (DumpAsRead: injected bit
// errors and stuck bits applied, ECC corrected); the sidecar's "content"
// says which ("stored" or "as_read"). Program counters are not saved
// either; a loaded device counts every write block that is not erased as
// programmed once, and a NAND block as programmed up to its last non-erased
// page. Grown-bad NAND blocks are listed in the sidecar (grown_bad) and
// marked bad again on load.
//
// The image, its OOB file and its sidecar are saved as a set: every
// temporary file is written and synced first (internal/atomicfile), then
// they are renamed in the order OOB file, image, sidecar, after a journal
// (.<image>.set) listing the renames is written. Load and CheckImage first
// finish a save that a crash interrupted during its renames (from the
// journal), so after a crash at any instant they find the old set or the
// new one. The sidecar also holds the SHA-256 of the image and OOB file it
// belongs with, and Load verifies them, so a set mixed any other way (a
// file copied in by hand) is refused rather than combining old wear with
// new data.

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
	// AsRead saves the data area as a read returns it now (DumpAsRead)
	// instead of the stored bits (Dump). Ignored on load.
	AsRead bool
	// FS is where the files are read and written (nil: the plain file
	// system). A sandboxed caller passes an fsroot.Root, so no file of the
	// set can be read or written outside its tree.
	FS fsroot.FS
}

// prepareSave makes the directories path needs and refuses a path that is
// a directory (an image would be written beside it under a temporary name
// and fail only at the rename).
func prepareSave(fsys fsroot.FS, path string) error {
	if err := fsys.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if st, err := fsys.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s: is a directory", path)
	}
	return nil
}

// SidecarVersion is the version of the JSON sidecar format written by SaveImage.
const SidecarVersion = 1

// MaxSidecarSize bounds the sidecar files read (a sidecar of MaxUnits
// erase units is well below it).
const MaxSidecarSize = 64 << 20

// Image content kinds recorded in Sidecar.Content.
const (
	ContentStored = "stored"  // the stored bits (Dump)
	ContentAsRead = "as_read" // what a read returned (DumpAsRead)
)

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
	// GrownBad lists the NAND blocks that grew bad (MarkBad); factory-bad
	// ones are in Config.
	GrownBad []int `json:"grown_bad,omitempty"`
	// Content is ContentStored or ContentAsRead ("" in older sidecars:
	// stored).
	Content string `json:"content,omitempty"`
	// ImageSHA256 and OOBSHA256 are the hex SHA-256 of the image and of the
	// separate OOB file saved with this sidecar ("" in older sidecars: not
	// checked). Load refuses files that do not match.
	ImageSHA256 string `json:"image_sha256,omitempty"`
	OOBSHA256   string `json:"oob_sha256,omitempty"`
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

// writeImage writes the data area (stored bits), with interleaved spare
// areas when layout says so, or (oobOnly) only the spare areas.
func (d *Device) writeImage(w io.Writer, layout OOBLayout, oobOnly bool) (int64, error) {
	return d.writeImageAs(w, layout, oobOnly, false)
}

// writeImageAs is writeImage; asRead writes the data as PeekRead returns it.
func (d *Device) writeImageAs(w io.Writer, layout OOBLayout, oobOnly, asRead bool) (int64, error) {
	g := d.g
	erased := make([]byte, g.store)
	fill(erased, g.ev)
	var read []byte
	if asRead && !oobOnly {
		read = make([]byte, g.store)
	}
	var total int64
	for i := 0; i < g.nchunks; i++ {
		b := erased
		if c := d.chunkRO(i); c != nil {
			b = c.data
		}
		if read != nil {
			copy(read[g.chunk:], b[g.chunk:])
			// an uncorrectable step leaves its raw bits, as DumpAsRead does
			_, _ = d.PeekRead(int64(i)*g.chunk, read[:g.chunk])
			b = read
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

// SaveImage writes the device's data to path (the native_sim flash.bin
// layout), the NAND spare areas as opts.OOB says, and with opts.Sidecar the
// JSON sidecar, as one set (see the package comment on images): after a
// crash at any instant Load finds the old set or the new one. Stale
// temporary files of killed saves are removed; missing directories are
// made.
func (d *Device) SaveImage(path string, opts ImageOptions) error {
	if int(opts.OOB) >= len(oobLayoutNames) {
		return fmt.Errorf("%w: OOB layout %d", ErrInvalid, opts.OOB)
	}
	if err := prepareSave(fsroot.Or(opts.FS), path); err != nil {
		return err
	}
	set := atomicfile.Set{FS: opts.FS, Journal: path}
	defer set.Abort()
	h := sha256.New()
	var oobSum string
	if d.g.kind == NAND && opts.OOB == OOBSeparate {
		err := set.Add(OOBPath(path), func(w io.Writer) error {
			_, err := d.writeImage(io.MultiWriter(w, h), OOBSeparate, true)
			return err
		})
		if err != nil {
			return fmt.Errorf("emu: save OOB: %w", err)
		}
		oobSum = hex.EncodeToString(h.Sum(nil))
		h.Reset()
	}
	err := set.Add(path, func(w io.Writer) error {
		_, err := d.writeImageAs(io.MultiWriter(w, h), opts.OOB, false, opts.AsRead)
		return err
	})
	if err != nil {
		return fmt.Errorf("emu: save image: %w", err)
	}
	if opts.Sidecar {
		sc := d.sidecar(opts.OOB)
		sc.ImageSHA256, sc.OOBSHA256 = hex.EncodeToString(h.Sum(nil)), oobSum
		if opts.AsRead {
			sc.Content = ContentAsRead
		}
		err := set.Add(SidecarPath(path), func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(sc)
		})
		if err != nil {
			return fmt.Errorf("emu: save sidecar: %w", err)
		}
	}
	if err := set.Commit(); err != nil {
		return fmt.Errorf("emu: save image: %w", err)
	}
	return nil
}

func (d *Device) sidecar(layout OOBLayout) Sidecar {
	sc := Sidecar{Version: SidecarVersion, Config: d.Config(), Wear: d.Wear(),
		ClockNs: d.now, Seq: d.seq, Stats: d.stats, Content: ContentStored}
	if d.g.kind == NAND {
		sc.OOB = layout
	}
	for _, b := range d.BadBlocks() {
		if b.Kind == BadGrown {
			sc.GrownBad = append(sc.GrownBad, b.Block)
		}
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

// ReadSidecar reads and validates (Validate) the sidecar file at path,
// reading at most MaxSidecarSize bytes.
func ReadSidecar(path string) (*Sidecar, error) { return readSidecar(nil, path) }

func readSidecar(fsys fsroot.FS, path string) (*Sidecar, error) {
	f, err := fsroot.Or(fsys).Open(path)
	if err != nil {
		return nil, fmt.Errorf("%w: sidecar: %w", ErrCorruptImage, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSidecarSize+1))
	if err != nil {
		return nil, fmt.Errorf("%w: sidecar: %w", ErrCorruptImage, err)
	}
	if len(b) > MaxSidecarSize {
		return nil, fmt.Errorf("%w: sidecar %s is larger than %d bytes", ErrCorruptImage, path, MaxSidecarSize)
	}
	return ParseSidecar(b)
}

// ParseSidecar decodes sidecar JSON (unknown fields are an error) and
// validates it (Validate).
func ParseSidecar(b []byte) (*Sidecar, error) {
	var sc Sidecar
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&sc); err != nil {
		return nil, fmt.Errorf("%w: sidecar: %w", ErrCorruptImage, err)
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return &sc, nil
}

// Validate is the one strict check of a sidecar, used by Load (and meant
// for every tool that shows one): known version, a valid configuration,
// one wear count per erase unit, protected and grown-bad units inside the
// device, a clock and counters that are not negative, a known content kind
// and well-formed digests. Errors wrap ErrCorruptImage.
func (sc *Sidecar) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: sidecar: %s", ErrCorruptImage, fmt.Sprintf(format, a...))
	}
	if sc.Version != SidecarVersion {
		return fmt.Errorf("%w: sidecar version %d (this build reads %d)", ErrCorruptImage, sc.Version, SidecarVersion)
	}
	g, err := newGeometry(sc.Config)
	if err != nil {
		return bad("configuration: %v", err)
	}
	if len(sc.Wear) != g.units() {
		return bad("wear for %d erase units, the device has %d", len(sc.Wear), g.units())
	}
	if int(sc.OOB) >= len(oobLayoutNames) {
		return bad("OOB layout %d", sc.OOB)
	}
	for _, u := range sc.Protected {
		if u < 0 || u >= g.units() {
			return bad("protects erase unit %d of %d", u, g.units())
		}
	}
	for _, b := range sc.GrownBad {
		if g.kind != NAND || b < 0 || b >= g.cfg.Blocks {
			return bad("grown-bad block %d (%s device with %d erase units)", b, g.kind, g.units())
		}
	}
	if sc.ClockNs < 0 || sc.ClockNs > maxNs<<12 {
		return bad("clock %d ns", sc.ClockNs)
	}
	if sc.Stats.ReadNs < 0 || sc.Stats.ProgramNs < 0 || sc.Stats.EraseNs < 0 {
		return bad("negative time in stats")
	}
	switch sc.Content {
	case "", ContentStored, ContentAsRead:
	default:
		return bad("content %q (want %q or %q)", sc.Content, ContentStored, ContentAsRead)
	}
	for _, d := range []string{sc.ImageSHA256, sc.OOBSHA256} {
		if b, err := hex.DecodeString(d); d != "" && (err != nil || len(b) != sha256.Size) {
			return bad("digest %q is not a hex SHA-256", d)
		}
	}
	return nil
}

// CheckImage validates the image set at path without loading it: the
// sidecar (Validate), the image's size, the OOB file's presence and size
// when the layout is separate, and the digests the sidecar records. It
// returns the sidecar. This is what `image info` and `wear` should run.
func CheckImage(path string) (*Sidecar, error) {
	if err := atomicfile.Recover(nil, path); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptImage, err)
	}
	sc, err := ReadSidecar(SidecarPath(path))
	if err != nil {
		return nil, err
	}
	d, err := New(sc.Config)
	if err != nil {
		return nil, fmt.Errorf("%w: sidecar configuration: %w", ErrCorruptImage, err)
	}
	f, of, err := d.openFiles(nil, path, sc.OOB)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if of != nil {
		defer of.Close()
	}
	for _, c := range []struct {
		f    *os.File
		want string
	}{{f, sc.ImageSHA256}, {of, sc.OOBSHA256}} {
		if c.f == nil || c.want == "" {
			continue
		}
		h := sha256.New()
		if _, err := io.Copy(h, c.f); err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrCorruptImage, c.f.Name(), err)
		}
		if err := checkSum(c.f.Name(), h, c.want); err != nil {
			return nil, err
		}
	}
	return sc, nil
}

// checkSum compares a file's digest with the sidecar's.
func checkSum(name string, h hash.Hash, want string) error {
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s does not match its sidecar (sha256 %s, sidecar says %s): the files are from different saves", ErrCorruptImage, name, got[:12], want[:min(12, len(want))])
	}
	return nil
}

// Load creates a device from the image at path. With cfg nil the geometry
// comes from the sidecar <path>.json; with opts.Sidecar the sidecar is read
// too and its wear, protection, clock and counters are restored (its
// geometry must then match cfg). A file of the wrong size, a malformed or
// mismatching sidecar give an error wrapping ErrCorruptImage that says what
// was expected.
func Load(path string, cfg *Config, opts ImageOptions) (*Device, error) {
	// A save killed during its renames is finished first (its journal).
	if err := atomicfile.Recover(opts.FS, path); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorruptImage, err)
	}
	var sc *Sidecar
	if cfg == nil || opts.Sidecar {
		var err error
		if sc, err = readSidecar(opts.FS, SidecarPath(path)); err != nil {
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
	var sums [2]string
	if sc != nil {
		sums = [2]string{sc.ImageSHA256, sc.OOBSHA256}
	}
	if err := d.loadFiles(opts.FS, path, layout, sums); err != nil {
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

// openFiles opens the image (and the separate OOB file, if the layout has
// one) and checks their sizes.
func (d *Device) openFiles(fsys fsroot.FS, path string, layout OOBLayout) (f, of *os.File, err error) {
	g := d.g
	fsys = fsroot.Or(fsys)
	if f, err = fsys.Open(path); err != nil {
		return nil, nil, fmt.Errorf("%w: image: %w", ErrCorruptImage, err)
	}
	want := g.size
	if g.kind == NAND && layout == OOBInterleaved {
		want = int64(g.nchunks) * int64(g.store)
	}
	if err := expectSize(f, "image", want); err != nil {
		f.Close()
		return nil, nil, err
	}
	if oob := d.OOBSize(); g.kind == NAND && layout == OOBSeparate && oob > 0 {
		if of, err = fsys.Open(OOBPath(path)); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%w: OOB file: %w", ErrCorruptImage, err)
		}
		if err := expectSize(of, "OOB file", int64(g.nchunks)*int64(oob)); err != nil {
			f.Close()
			of.Close()
			return nil, nil, err
		}
	}
	return f, of, nil
}

// loadFiles loads the image set at path into the (fresh) device and checks
// the image and OOB file against sums (hex SHA-256, "" for unchecked); a
// mismatch fails the Load.
func (d *Device) loadFiles(fsys fsroot.FS, path string, layout OOBLayout, sums [2]string) error {
	g := d.g
	f, of, err := d.openFiles(fsys, path, layout)
	if err != nil {
		return err
	}
	defer f.Close()
	if of != nil {
		defer of.Close()
	}
	var src, osrc io.Reader = f, of
	var hs [2]hash.Hash
	if sums[0] != "" {
		hs[0] = sha256.New()
		src = io.TeeReader(f, hs[0])
	}
	if of != nil && sums[1] != "" {
		hs[1] = sha256.New()
		osrc = io.TeeReader(of, hs[1])
	}
	withOOB := g.kind == NAND && layout == OOBInterleaved
	r := bufio.NewReaderSize(src, 1<<16)
	var or *bufio.Reader
	if of != nil {
		or = bufio.NewReaderSize(osrc, 1<<16)
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
	for i, h := range hs {
		if h != nil {
			name := path
			if i == 1 {
				name = OOBPath(path)
			}
			if err := checkSum(name, h, sums[i]); err != nil {
				return err
			}
		}
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
	for _, b := range sc.GrownBad {
		if err := d.MarkBad(b); err != nil {
			return fmt.Errorf("%w: sidecar grown-bad block %d: %w", ErrCorruptImage, b, err)
		}
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
