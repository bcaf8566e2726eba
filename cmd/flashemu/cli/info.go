package cli

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"

	"github.com/flashemu/flashemu/native"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
)

// Version is the flashemu version; release builds set it with
// -ldflags "-X github.com/flashemu/flashemu/cmd/flashemu/cli.Version=v1.2.3".
var Version = ""

func version() string {
	v := Version
	if v == "" {
		v = "devel"
		if bi, ok := debug.ReadBuildInfo(); ok {
			if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
				v = bi.Main.Version
			}
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" && len(s.Value) >= 12 {
					v += " " + s.Value[:12]
				}
			}
		}
	}
	return v
}

func cmdVersion(c *invocation) error {
	if len(c.p.pos) > 0 {
		return usagef("takes no arguments")
	}
	fmt.Fprintf(c.env.Stdout, "flashemu %s %s %s/%s\n", version(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

// duration prints ns as a short human duration (400us, 45ms, 2s).
func duration(ns int64) string {
	switch {
	case ns == 0:
		return "0"
	case ns%1_000_000_000 == 0:
		return fmt.Sprintf("%ds", ns/1_000_000_000)
	case ns >= 1_000_000 && ns%1_000 == 0 && ns%1_000_000 == 0:
		return fmt.Sprintf("%dms", ns/1_000_000)
	case ns >= 1_000_000:
		return fmt.Sprintf("%.2fms", float64(ns)/1e6)
	case ns >= 1_000:
		return fmt.Sprintf("%gus", float64(ns)/1e3)
	}
	return fmt.Sprintf("%dns", ns)
}

func cmdChips(c *invocation) error {
	if len(c.p.pos) > 0 {
		return usagef("takes no arguments")
	}
	chips := emu.Chips()
	if c.p.boolean("json") {
		enc := json.NewEncoder(c.env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(chips)
	}
	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tTYPE\tSIZE\tERASE UNIT\tWRITE\tCLOCK\tREAD\tPROGRAM\tERASE")
	for _, cfg := range chips {
		d, err := emu.New(cfg)
		if err != nil {
			return fmt.Errorf("chip %s: %v", cfg.Name, err)
		}
		var units []string
		for _, r := range d.Regions() {
			if r.Count == d.UnitCount() {
				units = append(units, api.FormatSize(int64(r.Size)))
			} else {
				units = append(units, fmt.Sprintf("%dx%s", r.Count, api.FormatSize(int64(r.Size))))
			}
		}
		write := api.FormatSize(int64(d.WriteBlock()))
		if d.Kind() == emu.NAND {
			write = fmt.Sprintf("%s+%d", api.FormatSize(int64(d.PageSize())), d.OOBSize())
		}
		t := cfg.Timing
		clock := "-"
		if t.ClockHz > 0 {
			clock = fmt.Sprintf("%gMHz", float64(t.ClockHz)/1e6)
		}
		read := "-"
		if t.ReadNs > 0 {
			read = duration(t.ReadNs)
		}
		prog := "-"
		if t.ProgramNs > 0 {
			pp := t.ProgramPage
			if pp == 0 {
				pp = d.WriteBlock()
			}
			prog = fmt.Sprintf("%s/%s", duration(t.ProgramNs), api.FormatSize(int64(pp)))
		}
		var erase []string
		for _, e := range t.EraseNs {
			erase = append(erase, fmt.Sprintf("%s/%s", duration(e.Ns), api.FormatSize(int64(e.Size))))
		}
		for _, e := range t.BlockErase {
			erase = append(erase, fmt.Sprintf("%s/%s", duration(e.Ns), api.FormatSize(int64(e.Size))))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cfg.Name, cfg.Kind, api.FormatSize(d.Size()), strings.Join(units, "+"),
			write, clock, read, prog, strings.Join(erase, " "))
	}
	return tw.Flush()
}

// cmdCCFlags is flashemu cc-flags: the C compiler arguments that build a
// native library against flashemu's headers and runtime (package native).
func cmdCCFlags(c *invocation) error {
	if len(c.p.pos) > 0 {
		return usagef("takes no arguments")
	}
	flags, err := native.CCFlags()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(c.env.Stdout, flags)
	return err
}
