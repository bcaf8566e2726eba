package luasweep_test

import (
	"context"
	"fmt"
	"os"

	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/lua"
	"github.com/flashemu/flashemu/luasweep"
)

// flashemu sweep in a few lines: run a script's definition pass, bind a
// sweep to the engine, run it, replay a failure.
func ExampleLoad() {
	prog, err := lua.CompileString("early.lua", `
sweep.define("early", {
  device = function() return flash.nor{size = 8192, sector = 4096, write_block = 1} end,
  workload = function(dev, ack)
    for i = 0, 2 do
      assert(dev:write(2 * i, string.char(i)))
      ack(i)                              -- BUG: before the commit byte
      assert(dev:write(2 * i + 1, "\0"))
    end
  end,
  check = function(dev, acked)
    local b = dev:read(0, 6)
    for _, i in ipairs(acked) do
      if b:byte(2 * i + 2) ~= 0 then error(("value %d acked but not committed"):format(i)) end
    end
  end,
})
print("defined")
sweep.run("early") -- the definition pass stops here
print("not printed by Load")
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	s, err := luasweep.Load(ctx, prog, lua.Options{Stdout: os.Stdout})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	for _, def := range luasweep.Defined(s) {
		b, err := luasweep.Bind(ctx, s, def, luasweep.Config{})
		if err != nil {
			fmt.Println(err)
			return
		}
		res, err := faults.Run(ctx, b.Sweep, faults.Options{Jobs: 2})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%s at %s: %d ops, %d branches checked, %d failed\n", def.Name, def.Where, res.WorkloadOps, res.Checked, res.Failed)
		for _, f := range res.Failures {
			fmt.Println(f.ID, f.Error)
		}
		rep, err := faults.Replay(b.Sweep, res.Failures[0].ID, faults.ReplayOptions{})
		if err == nil {
			fmt.Println("replay:", rep.Err, "after", b.LastAcked(), "acks")
		}
		b.Close()
	}
	// Output:
	// defined
	// early at early.lua:2: 6 ops, 10 branches checked, 3 failed
	// early:1b:1 early.lua:14: value 0 acked but not committed
	// early:3b:1 early.lua:14: value 1 acked but not committed
	// early:5b:1 early.lua:14: value 2 acked but not committed
	// replay: early.lua:14: value 0 acked but not committed after 1 acks
}
