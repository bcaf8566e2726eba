package cli

import (
	"context"

	"github.com/flashemu/flashemu/lua"
)

// deviceChoice reads --chip, --nor, --nand and --image.
func (c *invocation) deviceChoice() lua.DeviceChoice {
	return lua.DeviceChoice{
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
	s, err := prog.NewState(opts)
	if err != nil {
		return err
	}
	defer s.Close()
	if dc := c.deviceChoice(); !dc.IsZero() {
		d, err := lua.OpenDevice(dc)
		if err != nil {
			return usagef("%v", err)
		}
		s.SetGlobal("dev", s.NewDevice(d))
	}
	ctx, stop := c.interruptible(context.Background())
	defer stop()
	ctx, cancel := withTimeout(ctx, timeout)
	defer cancel()
	_, err = prog.Run(ctx, s)
	return err
}
