package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/devspec"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/internal/atomicfile"
)

// flashemu image replay, image convert, and the sidecar part of image info.

var (
	outputFlags = []flagSpec{
		{name: "output", arg: "OUT", help: "the image to write (.hex: Intel HEX; else raw)"},
		{name: "o", arg: "OUT", help: "same as --output"},
	}
	imageReplayFlags = concat(deviceFlags[:3], outputFlags, []flagSpec{
		{name: "before", arg: "SEQ", help: "stop at the first record whose seq is >= SEQ (the state just before operation SEQ)"},
		{name: "test", arg: "NAME", help: "replay the records of one test (a flashemu test --trace file)"},
		{name: "sidecar", help: "also write OUT.json (geometry, wear, clock)"},
	})
	imageConvertFlags = concat(outputFlags[:0], []flagSpec{
		{name: "base", arg: "ADDR", help: "raw -> Intel HEX: address of the first byte (default 0)"},
		{name: "format", arg: "raw|hex", help: "how to read IN (default: Intel HEX if its name ends in .hex, .ihex or .ihx, else raw)"},
		{name: "erase-value", arg: "V", help: "fill of HEX gaps, and bytes HEX output skips (default 0xff)"},
		{name: "size", arg: "N", help: "Intel HEX -> raw: pad the image to N bytes with the erase value (HEX skips erased lines, so a raw image's erased tail is not in it)"},
	})
)

// outputPath reads --output/-o (required).
func (c *invocation) outputPath() (string, error) {
	out := c.p.str("output", c.p.str("o", ""))
	if out == "" {
		return "", usagef("missing --output OUT (-o OUT)")
	}
	return out, nil
}

// checkReadable turns "is a directory" and missing files into clear errors
// before a reader gets confused by them.
func checkReadable(what, path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("%s: %v", what, unwrapPath(err))
	}
	if st.IsDir() {
		return fmt.Errorf("%s: %s is a directory", what, path)
	}
	return nil
}

// unwrapPath keeps "open x: no such file or directory" short.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %v", pe.Path, pe.Err)
	}
	return err
}

// openImage loads IMAGE into a device: geometry, wear and clock from its
// sidecar (IMAGE.json) unless --chip/--nor/--nand give the geometry (then a
// raw or Intel HEX image no larger than the device; without any, a NOR
// sized to the image with 4K sectors).
func (c *invocation) openImage(path string) (*emu.Device, error) {
	if err := checkReadable("image", path); err != nil {
		return nil, err
	}
	dc := c.deviceChoice()
	dc.Image = ""
	if dc.IsZero() {
		if _, err := os.Stat(emu.SidecarPath(path)); err == nil {
			d, err := emu.Load(path, nil, emu.ImageOptions{Sidecar: true})
			if err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
			return d, nil
		}
	}
	dc.Image = path
	d, err := devspec.Open(dc)
	if err != nil {
		var pe *os.PathError
		if errors.Is(err, emu.ErrCorruptImage) || errors.As(err, &pe) {
			return nil, unwrapPath(err)
		}
		return nil, usagef("%v", err) // a bad --chip/--nor/--nand
	}
	return d, nil
}

// writeImage saves d to path (format by extension), atomically.
func writeImage(d *emu.Device, path string, sidecar bool) error {
	if emu.IsHexName(path) {
		if sidecar || d.Kind() == emu.NAND {
			return usagef("%s: Intel HEX output holds a NOR data area only (no --sidecar, no NAND)", path)
		}
		return d.SaveHex(path, 0, nil)
	}
	return d.SaveImage(path, emu.ImageOptions{Sidecar: sidecar})
}

// cmdImageReplay is flashemu image replay [IMAGE] TRACE -o OUT.
func cmdImageReplay(c *invocation) error {
	var image, trace string
	switch len(c.p.pos) {
	case 1:
		trace = c.p.pos[0]
	case 2:
		image, trace = c.p.pos[0], c.p.pos[1]
	default:
		return usagef("want [IMAGE] TRACE, got %d arguments", len(c.p.pos))
	}
	out, err := c.outputPath()
	if err != nil {
		return err
	}
	var o emu.ReplayOptions
	if c.p.has("before") {
		v, err := parseNumber("before", c.p.str("before", ""))
		if err != nil {
			return err
		}
		o.Before, o.HasBefore = v, true
	}
	o.Test = c.p.str("test", "")
	var d *emu.Device
	if image == "" {
		if c.deviceChoice().IsZero() {
			return usagef("give IMAGE or the device to start from (--chip, --nor, --nand)")
		}
		if d, err = devspec.Open(c.deviceChoice()); err != nil {
			return usagef("%v", err)
		}
	} else if d, err = c.openImage(image); err != nil {
		return err
	}
	if err := checkReadable("trace", trace); err != nil {
		return err
	}
	f, err := os.Open(trace)
	if err != nil {
		return fmt.Errorf("trace: %v", unwrapPath(err))
	}
	defer f.Close()
	lr := &lineLimitReader{r: f, max: maxTraceLine}
	n, err := emu.ReplayTrace(d, lr, o)
	if lr.err != nil {
		err = lr.err
	}
	if err != nil {
		return fmt.Errorf("%s: %v", trace, err)
	}
	if err := writeImage(d, out, c.p.boolean("sidecar")); err != nil {
		return err
	}
	from := "a blank device"
	if image != "" {
		from = image
	}
	fmt.Fprintf(c.env.Stdout, "replayed %d %s of %s onto %s: %s\n", n, plural(n, "operation", "operations"), trace, from, out)
	return nil
}

// cmdImageConvert is flashemu image convert IN OUT: raw <-> Intel HEX by
// the names' extensions (.hex, .ihex, .ihx).
func cmdImageConvert(c *invocation) error {
	if len(c.p.pos) != 2 {
		return usagef("want IN OUT, got %d arguments", len(c.p.pos))
	}
	in, out := c.p.pos[0], c.p.pos[1]
	base, err := c.numFlag("base", 0, 1<<32-16)
	if err != nil {
		return err
	}
	if base%16 != 0 {
		return usagef("--base: 0x%x is not a multiple of 16", base)
	}
	ev, err := c.numFlag("erase-value", 0xff, 0xff)
	if err != nil {
		return err
	}
	if err := checkReadable("input", in); err != nil {
		return err
	}
	format, err := c.imageFormat(in)
	if err != nil {
		return err
	}
	isHex := format == "hex"
	data, hexBase, err := readImageFile(in, format, byte(ev), 0)
	if err != nil {
		return err
	}
	toHex := emu.IsHexName(out)
	if !isHex && !toHex {
		return usagef("%s and %s are both raw images (name one .hex to convert)", in, out)
	}
	if isHex && !toHex && c.p.has("base") {
		// HEX -> raw with --base: address base is offset 0 of the raw
		// image (without it, the HEX file's lowest address is).
		if uint64(hexBase) < base {
			return usagef("--base 0x%x: %s has data at 0x%08x, below it", base, in, hexBase)
		}
		pad := make([]byte, uint64(hexBase)-base, uint64(hexBase)-base+uint64(len(data)))
		for i := range pad {
			pad[i] = byte(ev)
		}
		data, hexBase = append(pad, data...), uint32(base)
	}
	if c.p.has("size") {
		if toHex {
			return usagef("--size pads a raw output; %s is Intel HEX", out)
		}
		size, err := c.numFlag("size", 0, 1<<30)
		if err != nil {
			return err
		}
		if size < uint64(len(data)) {
			return usagef("--size %d is smaller than the %d bytes of %s", size, len(data), in)
		}
		pad := make([]byte, int(size)-len(data))
		for i := range pad {
			pad[i] = byte(ev)
		}
		data = append(data, pad...)
	}
	w := c.env.Stdout
	if !toHex {
		if err := atomicfile.WriteData(nil, out, data); err != nil {
			return err
		}
		fmt.Fprintf(w, "%s: Intel HEX from 0x%08x, %d bytes -> %s (raw)\n", in, hexBase, len(data), out)
		return nil
	}
	if isHex && !c.p.has("base") {
		base = uint64(hexBase)
	}
	if base+uint64(len(data)) > 1<<32 {
		return usagef("--base 0x%x: %d bytes do not fit below 4 GiB", base, len(data))
	}
	size := (int64(len(data)) + 15) / 16 * 16
	if size == 0 {
		size = 16
	}
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: size, EraseUnit: int(size), WriteBlock: 1, EraseValue: byte(ev)})
	if err != nil {
		return err
	}
	if err := d.Poke(0, data); err != nil {
		return err
	}
	a, err := createOut(out)
	if err != nil {
		return err
	}
	if err := d.WriteHex(a, uint32(base)); err != nil {
		a.Abort()
		return err
	}
	if err := a.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %d bytes -> %s (Intel HEX from 0x%08x)\n", in, len(data), out, base)
	return nil
}

// sidecarInfo is the sidecar part of image info (text and JSON).
type sidecarInfo struct {
	Path     string `json:"path"`
	Chip     string `json:"chip,omitempty"`
	Kind     string `json:"kind"`
	Size     int64  `json:"size"`
	Units    int    `json:"units"`
	ClockNs  int64  `json:"clock_ns"`
	Ops      uint64 `json:"ops"`
	Erases   uint64 `json:"erases"`
	WearMin  uint32 `json:"wear_min"`
	WearMax  uint32 `json:"wear_max"`
	MaxUnit  int    `json:"wear_max_unit"`
	WearMean string `json:"wear_mean"`
	unitDesc string
}

// readSidecarInfo summarises IMAGE.json when it exists (nil, nil when not).
func readSidecarInfo(image string) (*sidecarInfo, error) {
	path := emu.SidecarPath(image)
	if _, err := os.Stat(path); err != nil {
		return nil, nil
	}
	sc, err := emu.CheckImage(image) // as strict as flash.load: sizes, .oob, digests
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	d, err := emu.New(sc.Config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: configuration: %v", path, emu.ErrCorruptImage, err)
	}
	info := &sidecarInfo{Path: path, Chip: sc.Config.Name, Kind: d.Kind().String(), Size: d.Size(), Units: d.UnitCount(),
		ClockNs: sc.ClockNs, Ops: sc.Seq, Erases: sc.Stats.Erases}
	var units []string
	for _, r := range d.Regions() {
		units = append(units, fmt.Sprintf("%dx%s", r.Count, api.FormatSize(int64(r.Size))))
	}
	info.unitDesc = strings.Join(units, "+")
	ws := wearStats(sc.Wear)
	info.WearMin, info.WearMax, info.MaxUnit, info.WearMean = ws.min, ws.max, ws.maxUnit, fmt.Sprintf("%.2f", ws.mean)
	return info, nil
}

func (s *sidecarInfo) print(w io.Writer) {
	name := s.Kind
	if s.Chip != "" {
		name = s.Chip + " " + s.Kind
	}
	fmt.Fprintf(w, "sidecar:     %s\n", s.Path)
	fmt.Fprintf(w, "device:      %s, %s, %d erase units (%s)\n", name, api.FormatSize(s.Size), s.Units, s.unitDesc)
	fmt.Fprintf(w, "wear:        min %d, max %d (unit %d), mean %s erases per unit\n", s.WearMin, s.WearMax, s.MaxUnit, s.WearMean)
	fmt.Fprintf(w, "clock:       %d ns simulated, %d operations, %d erases\n", s.ClockNs, s.Ops, s.Erases)
}

// wearSummary are the simple statistics of erase counts.
type wearSummary struct {
	min, max uint32
	maxUnit  int
	total    uint64
	mean     float64
}

func wearStats(w []uint32) wearSummary {
	var s wearSummary
	for i, c := range w {
		if i == 0 || c < s.min {
			s.min = c
		}
		if i == 0 || c > s.max {
			s.max, s.maxUnit = c, i
		}
		s.total += uint64(c)
	}
	if len(w) > 0 {
		s.mean = float64(s.total) / float64(len(w))
	}
	return s
}
