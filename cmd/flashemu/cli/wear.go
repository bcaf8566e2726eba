package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/internal/atomicfile"
	sweepreport "github.com/flashemu/flashemu/report"
)

// flashemu wear IMAGE|SIDECAR.json: the erase counts an image's sidecar
// recorded (dev:save(path, {sidecar = true})), as a summary, a heatmap SVG
// and a CSV table (package report; deterministic output).

var wearFlags = []flagSpec{
	{name: "svg", arg: "FILE", help: "write the heatmap (SVG) to FILE"},
	{name: "csv", arg: "FILE", help: "write unit,offset,size,erases rows to FILE"},
	{name: "title", arg: "T", help: "the picture's title (default: the device)"},
	{name: "endurance", arg: "N", help: "rated cycles: cells at or above N are outlined"},
	{name: "columns", arg: "C", help: "heatmap columns (default: near-square)"},
	{name: "json", help: "print the counts and summary as JSON"},
}

// wearJSON is flashemu wear --json.
type wearJSON struct {
	Sidecar string   `json:"sidecar"`
	Units   int      `json:"units"`
	Total   uint64   `json:"total"`
	Min     uint32   `json:"min"`
	Max     uint32   `json:"max"`
	MaxUnit int      `json:"max_unit"`
	Mean    float64  `json:"mean"`
	Counts  []uint32 `json:"counts"`
}

func cmdWear(c *invocation) error {
	if len(c.p.pos) != 1 {
		return usagef("want one IMAGE or SIDECAR.json, got %d arguments", len(c.p.pos))
	}
	arg := c.p.pos[0]
	path := arg
	if !strings.HasSuffix(strings.ToLower(arg), ".json") {
		path = emu.SidecarPath(arg)
		if _, err := os.Stat(path); err != nil {
			if err := checkReadable("image", arg); err != nil {
				return err
			}
			return fmt.Errorf("%s has no sidecar %s (save it with dev:save(path, {sidecar = true}) or flashemu image replay --sidecar)", arg, path)
		}
	}
	if err := checkReadable("sidecar", path); err != nil {
		return err
	}
	// The image set is checked as flash.load checks it (emu.CheckImage:
	// sidecar, sizes, digests); a bare SIDECAR.json argument gets the
	// sidecar's own checks.
	var sc *emu.Sidecar
	var err error
	image := strings.TrimSuffix(path, ".json")
	if _, serr := os.Stat(image); path != arg || serr == nil {
		sc, err = emu.CheckImage(image)
	} else {
		sc, err = emu.ReadSidecar(path)
	}
	if err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	d, err := emu.New(sc.Config)
	if err != nil {
		return fmt.Errorf("%s: %w: configuration: %v", path, emu.ErrCorruptImage, err)
	}
	if len(sc.Wear) != d.UnitCount() {
		return fmt.Errorf("%s: %w: %d wear counts for %d erase units", path, emu.ErrCorruptImage, len(sc.Wear), d.UnitCount())
	}
	end, err := c.numFlag("endurance", 0, 1<<32-1)
	if err != nil {
		return err
	}
	cols, err := c.numFlag("columns", 0, 4096)
	if err != nil {
		return err
	}
	w := &sweepreport.Wear{Title: c.p.str("title", "erase counts: "+describe(d)), Counts: sc.Wear,
		Endurance: uint32(end), Columns: int(cols)}
	for i := range sc.Wear {
		start, size := d.Unit(i)
		w.Starts = append(w.Starts, start)
		w.Sizes = append(w.Sizes, size)
	}
	for _, o := range []struct {
		flag   string
		render func(*bytes.Buffer) error
	}{
		{"svg", func(b *bytes.Buffer) error { return w.WriteSVG(b) }},
		{"csv", func(b *bytes.Buffer) error { return w.WriteCSV(b) }},
	} {
		out := c.p.str(o.flag, "")
		if out == "" {
			continue
		}
		var b bytes.Buffer
		if err := o.render(&b); err != nil {
			return err
		}
		if err := atomicfile.WriteData(nil, out, b.Bytes()); err != nil {
			return fmt.Errorf("--%s: %v", o.flag, unwrapPath(err))
		}
	}
	ws := wearStats(sc.Wear)
	if c.p.boolean("json") {
		b, err := json.Marshal(wearJSON{Sidecar: path, Units: len(sc.Wear), Total: ws.total, Min: ws.min, Max: ws.max,
			MaxUnit: ws.maxUnit, Mean: ws.mean, Counts: sc.Wear})
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.env.Stdout, "%s\n", b)
		return err
	}
	out := c.env.Stdout
	fmt.Fprintf(out, "%s: %s\n", path, describe(d))
	fmt.Fprintf(out, "units %d, erases %d: min %d, max %d (unit %d), mean %.2f\n", len(sc.Wear), ws.total, ws.min, ws.max, ws.maxUnit, ws.mean)
	if end > 0 {
		n := 0
		for _, c := range sc.Wear {
			if uint64(c) >= end {
				n++
			}
		}
		fmt.Fprintf(out, "at or past the endurance of %d cycles: %d %s\n", end, n, plural(n, "unit", "units"))
	}
	for _, f := range []string{"svg", "csv"} {
		if p := c.p.str(f, ""); p != "" {
			fmt.Fprintf(out, "wrote %s\n", p)
		}
	}
	return nil
}

// describe names a device: "nrf52840 nor 32K (8x4K)".
func describe(d *emu.Device) string {
	var units []string
	for _, r := range d.Regions() {
		units = append(units, fmt.Sprintf("%dx%s", r.Count, api.FormatSize(int64(r.Size))))
	}
	name := d.Config().Name
	if name != "" {
		name += " "
	}
	return fmt.Sprintf("%s%s %s (%s)", name, d.Kind(), api.FormatSize(d.Size()), strings.Join(units, "+"))
}
