package faults_test

import (
	"context"
	"fmt"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
)

// A sweep of a "log" that acknowledges a value before writing its commit
// byte: the check finds an acknowledged value without its commit exactly at
// the cut before each commit, and the ID replays that branch alone.
func ExampleRun() {
	s := &faults.Sweep{
		Name: "ack_too_early",
		Device: func() (*emu.Device, error) {
			return emu.New(emu.Config{Kind: emu.NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
		},
		Workload: func(d *emu.Device, ack func(any)) error {
			for i := 0; i < 3; i++ {
				if err := d.Program(int64(2*i), []byte{byte(i)}); err != nil { // the value
					return err
				}
				ack(i)                                                        // BUG: too early
				if err := d.Program(int64(2*i+1), []byte{0x00}); err != nil { // its commit
					return err
				}
			}
			return nil
		},
		Check: func(d *emu.Device, acked []any) error {
			b := make([]byte, 6)
			if err := d.Read(0, b); err != nil {
				return err
			}
			for _, v := range acked {
				if i := v.(int); b[2*i+1] != 0x00 {
					return fmt.Errorf("value %d acked but not committed", i)
				}
			}
			return nil
		},
		Seed: 7,
	}
	res, err := faults.Run(context.Background(), s, faults.Options{Jobs: 2})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d ops, %d branches, %d unique, %d failed\n", res.WorkloadOps, res.Branches, res.Unique, res.Failed)
	for _, f := range res.Failures {
		fmt.Println(f.ID, "->", f.Error)
	}
	rep, _ := faults.Replay(s, res.Failures[0].ID, faults.ReplayOptions{})
	fmt.Println("replay:", rep.Err)
	// Output:
	// 6 ops, 13 branches, 10 unique, 3 failed
	// ack_too_early:1b:7 -> value 0 acked but not committed
	// ack_too_early:3b:7 -> value 1 acked but not committed
	// ack_too_early:5b:7 -> value 2 acked but not committed
	// replay: value 0 acked but not committed
}

// Cut schedules as the Lua binding and the command line spell them.
func ExampleParseCuts() {
	for _, s := range []string{"op", "unit", "bit", "every_ns=250000"} {
		c, _ := faults.ParseCuts(s)
		fmt.Printf("%s %q\n", c.Mode, c.String())
	}
	// Output:
	// op "op"
	// unit "unit"
	// bit "bit"
	// every_ns "every_ns=250000"
}

// Verify runs a sweep and replays every branch alone: a deterministic
// check agrees with itself everywhere.
func ExampleVerify() {
	s := &faults.Sweep{
		Name: "kv",
		Device: func() (*emu.Device, error) {
			return emu.New(emu.Config{Kind: emu.NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
		},
		Workload: func(d *emu.Device, ack func(any)) error {
			for i := 0; i < 3; i++ {
				if err := d.Program(int64(i), []byte{byte(i)}); err != nil {
					return err
				}
				ack(i)
			}
			return nil
		},
		Check: func(d *emu.Device, acked []any) error {
			b := make([]byte, 3)
			if err := d.Read(0, b); err != nil {
				return err
			}
			for _, v := range acked {
				if i := v.(int); b[i] != byte(i) {
					return fmt.Errorf("value %d lost", i)
				}
			}
			return nil
		},
	}
	vr, err := faults.Verify(context.Background(), s, faults.Options{Jobs: 2}, faults.VerifyOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d branches replayed, %d disagree, sweep ok: %v\n", vr.Replayed, len(vr.Disagreements), vr.Sweep.OK())
	// Output:
	// 7 branches replayed, 0 disagree, sweep ok: true
}
