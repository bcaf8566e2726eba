package cli

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/fcb"
)

// numFlag parses an optional numeric flag of at most max (def when absent).
func (c *invocation) numFlag(name string, def, max uint64) (uint64, error) {
	return c.rangeFlag(name, def, 0, max)
}

// rangeFlag parses an optional numeric flag in [lo, hi] (def when absent):
// the one bounded-number flag parser of the CLI.
func (c *invocation) rangeFlag(name string, def, lo, hi uint64) (uint64, error) {
	if !c.p.has(name) || c.p.str(name, "") == "" {
		return def, nil
	}
	v, err := parseNumber(name, c.p.str(name, ""))
	if err != nil {
		return 0, err
	}
	switch {
	case v > hi && lo == 0:
		return 0, usagef("--%s: %d is larger than %d", name, v, hi)
	case v < lo || v > hi:
		return 0, usagef("--%s: %d out of range [%d, %d]", name, v, lo, hi)
	}
	return v, nil
}

// oneImage checks for exactly one IMAGE argument.
func (c *invocation) oneImage() (string, error) {
	switch len(c.p.pos) {
	case 0:
		return "", usagef("missing IMAGE")
	case 1:
		return c.p.pos[0], nil
	}
	return "", usagef("one IMAGE expected, got %d arguments", len(c.p.pos))
}

// cmdFCBWalk is flashemu fcb walk IMAGE --sector-size N [...].
func cmdFCBWalk(c *invocation) error {
	path, err := c.oneImage()
	if err != nil {
		return err
	}
	if !c.p.has("sector-size") {
		return usagef("--sector-size is required")
	}
	ss, err := c.numFlag("sector-size", 0, 1<<30)
	if err != nil {
		return err
	}
	if ss == 0 {
		return usagef("--sector-size must be positive")
	}
	opt := fcb.DefaultImageOptions(int64(ss))
	n, err := c.numFlag("sectors", 0, math.MaxInt32)
	if err != nil {
		return err
	}
	opt.Sectors = int(n)
	off, err := c.numFlag("offset", 0, 1<<40)
	if err != nil {
		return err
	}
	opt.Offset = int64(off)
	magic, err := c.numFlag("magic", 0, math.MaxUint32)
	if err != nil {
		return err
	}
	opt.Magic = uint32(magic)
	ev, err := c.numFlag("erase-value", 0xff, 0xff)
	if err != nil {
		return err
	}
	opt.EraseValue = byte(ev)
	align, err := c.numFlag("align", 1, 1<<16)
	if err != nil {
		return err
	}
	opt.Align = int(align)
	opt.NoCRC = c.p.boolean("no-crc")
	opt.Repair = c.p.boolean("repair")

	format, err := c.imageFormat(path)
	if err != nil {
		return err
	}
	var limit int64 // with --sectors the FCB ends there
	if opt.Sectors > 0 {
		limit = opt.Offset + int64(opt.Sectors)*opt.SectorSize
	}
	img, _, err := readImageFile(path, format, opt.EraseValue, limit)
	if err != nil {
		return err
	}
	entries, err := fcb.WalkImage(img, opt)
	if err != nil {
		e := errno.Of(err)
		return exitError{code: 1, msg: fmt.Sprintf("%s: mount failed: %v: %s (%d)", path, err, errno.NameOf(e), e)}
	}
	if c.p.boolean("json") {
		if entries == nil {
			entries = []fcb.ImageEntry{}
		}
		out, err := json.Marshal(entries)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.env.Stdout, "%s\n", out)
		return err
	}
	w := c.env.Stdout
	crc := "crc8"
	if opt.NoCRC {
		crc = "fixed end marker"
	}
	fmt.Fprintf(w, "fcb in %s: sectors of %d bytes at offset 0x%x, magic 0x%08x, erase value 0x%02x, align %d, %s\n",
		path, opt.SectorSize, opt.Offset, opt.Magic, opt.EraseValue, opt.Align, crc)
	for _, e := range entries {
		fmt.Fprintf(w, "sector %d  elem_off %d  data_off %d  len %d  %x\n", e.Sector, e.ElemOff, e.DataOff, e.Len, []byte(e.Data))
	}
	fmt.Fprintf(w, "%d entries\n", len(entries))
	return nil
}

// imageInfo is the JSON form of flashemu image info.
type imageInfo struct {
	Path       string        `json:"path"`
	Overlays   *overlayInfo  `json:"overlays,omitempty"`
	Format     string        `json:"format"`
	Base       uint32        `json:"base,omitempty"`
	Size       int64         `json:"size"`
	EraseValue byte          `json:"erase_value"`
	Erased     int64         `json:"erased_bytes"`
	SectorSize int64         `json:"sector_size"`
	Runs       []sectorRun   `json:"runs"`
	CRC32      string        `json:"crc32"`
	Sidecar    *sidecarInfo  `json:"sidecar,omitempty"`
	sectors    []sectorState `json:"-"`
}

// sectorState is one sector's summary.
type sectorState struct {
	used int64 // bytes not equal to the erase value
	size int64
}

// sectorRun is a run of consecutive sectors in the same state.
type sectorRun struct {
	First int    `json:"first"`
	Last  int    `json:"last"`
	Start int64  `json:"start"`
	End   int64  `json:"end"` // exclusive
	State string `json:"state"`
	Used  int64  `json:"used_bytes"`
}

func (s sectorState) state() string {
	switch {
	case s.used == 0:
		return "erased"
	case s.used == s.size:
		return "full"
	}
	return "partial"
}

// cmdImageInfo is flashemu image info IMAGE.
func cmdImageInfo(c *invocation) error {
	path, err := c.oneImage()
	if err != nil {
		return err
	}
	ss, err := c.numFlag("sector-size", 4096, 1<<30)
	if err != nil {
		return err
	}
	if ss == 0 {
		return usagef("--sector-size must be positive")
	}
	ev, err := c.numFlag("erase-value", 0xff, 0xff)
	if err != nil {
		return err
	}
	if err := checkReadable("image", path); err != nil {
		return err
	}
	format, err := c.imageFormat(path)
	if err != nil {
		return err
	}
	isHex := format == "hex"
	data, base, err := readImageFile(path, format, byte(ev), 0)
	if err != nil {
		return err
	}
	sc, err := readSidecarInfo(path)
	if err != nil {
		return err
	}
	ov, err := readOverlayInfo(path)
	if err != nil {
		return err
	}
	info := imageInfo{Sidecar: sc, Overlays: ov, Path: path, Format: "raw", Size: int64(len(data)), EraseValue: byte(ev), SectorSize: int64(ss),
		CRC32: fmt.Sprintf("%08x", crc32.ChecksumIEEE(data))}
	if isHex {
		info.Format, info.Base = "ihex", base
	}
	for off := int64(0); off < int64(len(data)); off += int64(ss) {
		end := min(off+int64(ss), int64(len(data)))
		st := sectorState{size: end - off}
		for _, b := range data[off:end] {
			if b != byte(ev) {
				st.used++
			}
		}
		info.Erased += st.size - st.used
		info.sectors = append(info.sectors, st)
	}
	// Merge consecutive sectors in the same state (erased and full runs;
	// partial sectors are listed one by one).
	for i, st := range info.sectors {
		start := int64(i) * int64(ss)
		if k := len(info.Runs); k > 0 {
			r := &info.Runs[k-1]
			if r.State == st.state() && r.State != "partial" && r.Last == i-1 {
				r.Last, r.End, r.Used = i, start+st.size, r.Used+st.used
				continue
			}
		}
		info.Runs = append(info.Runs, sectorRun{First: i, Last: i, Start: start, End: start + st.size, State: st.state(), Used: st.used})
	}
	if info.Runs == nil {
		info.Runs = []sectorRun{}
	}
	if c.p.boolean("json") {
		out, err := json.MarshalIndent(info, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.env.Stdout, "%s\n", out)
		return err
	}
	w := c.env.Stdout
	desc := "raw"
	if isHex {
		desc = fmt.Sprintf("Intel HEX, base address 0x%08x", base)
	}
	fmt.Fprintf(w, "image:       %s (%s)\n", path, desc)
	fmt.Fprintf(w, "size:        %d bytes (%s)\n", info.Size, api.FormatSize(info.Size))
	ratio := 0.0
	if info.Size > 0 {
		ratio = 100 * float64(info.Erased) / float64(info.Size)
	}
	fmt.Fprintf(w, "erased:      %.1f%% (%d of %d bytes equal 0x%02x)\n", ratio, info.Erased, info.Size, ev)
	fmt.Fprintf(w, "crc32:       %s\n", info.CRC32)
	fmt.Fprintf(w, "sectors:     %d of %s\n", len(info.sectors), api.FormatSize(int64(ss)))
	for _, r := range info.Runs {
		label := fmt.Sprintf("%d", r.First)
		if r.Last != r.First {
			label = fmt.Sprintf("%d-%d", r.First, r.Last)
		}
		detail := ""
		if r.State == "partial" {
			detail = fmt.Sprintf("  %d bytes used", r.Used)
		}
		fmt.Fprintf(w, "  %-11s 0x%08x-0x%08x  %s%s\n", label, r.Start, r.End-1, r.State, detail)
	}
	if sc != nil {
		sc.print(w)
	}
	if ov != nil {
		ov.print(w)
	}
	return nil
}
