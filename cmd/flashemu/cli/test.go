package cli

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/flashemu/flashemu/luatest"
	"github.com/flashemu/flashemu/shard"
)

// cmdTest is flashemu test [PATH...]: discover *_test.lua files and run
// each test in a fresh state.
func cmdTest(c *invocation) error {
	opts, err := c.stateOptions()
	if err != nil {
		return err
	}
	opts.Stdout = nil
	timeout, err := c.timeout()
	if err != nil {
		return err
	}
	to := luatest.TestOptions{State: opts, Timeout: timeout}
	if re := c.p.str("run", ""); re != "" {
		to.Run, err = regexp.Compile(re)
		if err != nil {
			return usagef("--run: %v", err)
		}
	}
	if to.Shard, err = c.shard(); err != nil {
		return err
	}
	files, err := luatest.DiscoverTests(c.p.pos)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		where := "."
		if len(c.p.pos) > 0 {
			where = strings.Join(c.p.pos, " ")
		}
		return fmt.Errorf("no *_test.lua files in %s", where)
	}
	var rep luatest.MultiReporter
	if c.p.boolean("json") {
		rep = append(rep, &luatest.JSONReporter{W: c.env.Stdout})
	} else {
		col := colorsFor(c.env.Stdout, c.env.Getenv)
		rep = append(rep, &luatest.TextReporter{W: c.env.Stdout, Style: col.status})
	}
	var junit *luatest.JUnitReporter
	if path := c.p.str("junit", ""); path != "" {
		junit = &luatest.JUnitReporter{}
		rep = append(rep, junit)
	}
	trace, err := c.startTrace(&to.State)
	if err != nil {
		return err
	}
	ctx, stop := c.interruptible(context.Background())
	defer stop()
	sum := luatest.RunTests(ctx, files, to, rep)
	if err := c.commitTrace(trace, nil); err != nil {
		return err
	}
	if junit != nil {
		if err := junit.WriteFile(c.p.str("junit", ""), sum); err != nil {
			return fmt.Errorf("--junit: %v", err)
		}
	}
	if ctx.Err() != nil {
		return exitError{code: 1, msg: "interrupted"}
	}
	if !sum.OK() {
		return exitError{code: 1}
	}
	return nil
}

// interruptible cancels ctx on Ctrl-C when the environment delivers
// interrupts (so a test run stops cleanly and still writes its reports).
func (c *invocation) interruptible(ctx context.Context) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	if c.env.Interrupts == nil {
		return ctx, cancel
	}
	ch, stop := c.env.Interrupts()
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			cancel()
		case <-done:
		}
	}()
	return ctx, func() { close(done); stop(); cancel() }
}

// shard reads --shard I/N (N alone: the index from the environment) or,
// without the flag, the sharding environment of a CI runner; the zero
// Shard (everything) when neither is set.
func (c *invocation) shard() (shard.Shard, error) {
	if sh := c.p.str("shard", ""); sh != "" {
		s, err := shard.Parse(sh, c.env.Getenv)
		if err != nil {
			return shard.Shard{}, usagef("--shard: %s", shard.Reason(err))
		}
		return s, nil
	}
	s, _, err := shard.FromEnv(c.env.Getenv)
	if err != nil {
		return shard.Shard{}, usagef("sharding environment: %s", shard.Reason(err))
	}
	return s, nil
}
