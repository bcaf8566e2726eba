package cli

import (
	"context"
	"fmt"

	"github.com/flashemu/flashemu/devspec"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/internal/atomicfile"
	"github.com/flashemu/flashemu/lua"
)

// deviceChoice reads --chip, --nor, --nand and --image.
func (c *invocation) deviceChoice() devspec.Choice {
	return devspec.Choice{
		Chip:  c.p.str("chip", ""),
		NOR:   c.p.str("nor", ""),
		NAND:  c.p.str("nand", ""),
		Image: c.p.str("image", ""),
	}
}

// cmdRun is flashemu run SCRIPT.lua [args...].
func cmdRun(c *invocation) error {
	if len(c.p.pos) == 0 {
		return usagef("missing SCRIPT.lua")
	}
	script := c.p.pos[0]
	opts, err := c.stateOptions()
	if err != nil {
		return err
	}
	timeout, err := c.timeout()
	if err != nil {
		return err
	}
	opts.Args = c.p.rest
	prog, err := lua.Compile(script)
	if err != nil {
		return err
	}
	var dev *emu.Device
	if dc := c.deviceChoice(); !dc.IsZero() {
		if dev, err = devspec.Open(dc); err != nil {
			return usagef("%v", err)
		}
	}
	trace, err := c.startTrace(&opts)
	if err != nil {
		return err
	}
	s, err := prog.NewState(opts)
	if err != nil {
		trace.Abort()
		return err
	}
	if dev != nil {
		s.SetGlobal("dev", s.NewDevice(dev))
	}
	ctx, stop := c.interruptible(context.Background())
	defer stop()
	ctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	_, err = prog.Run(ctx, s)
	terr := s.FinishTraces()
	s.Close()
	if cerr := c.commitTrace(trace, terr); err == nil {
		err = cerr
	}
	return err
}

// startTrace opens --trace FILE (atomically: it appears when the run ends)
// and sets it as the state's trace sink. It returns nil without --trace.
func (c *invocation) startTrace(opts *lua.Options) (*atomicfile.File, error) {
	path := c.p.str("trace", "")
	if path == "" {
		return nil, nil
	}
	f, err := createOut(path)
	if err != nil {
		return nil, fmt.Errorf("--trace: %v", err)
	}
	opts.Trace = lua.NewTraceSink(f)
	return f, nil
}

// commitTrace writes the --trace file (also after a failed run: that trace
// is the one worth reading). terr is the states' trace error.
func (c *invocation) commitTrace(f *atomicfile.File, terr error) error {
	if f == nil {
		return nil
	}
	if terr != nil {
		f.Abort()
		return fmt.Errorf("--trace: %v", terr)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("--trace: %v", err)
	}
	return nil
}
