package faults_test

import (
	"errors"
	"fmt"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
)

// A power cut during the second program of an MCU's internal flash: the
// words before the cut point are programmed, the rest are not, and every
// operation fails until power comes back.
func Example() {
	d, _ := emu.New(emu.Config{Kind: emu.NOR, Size: 16 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff,
		Timing: emu.Timing{ClockHz: 64_000_000, BusBits: 32, ProgramPage: 4, ProgramNs: 41_000, ProgramScales: true}})
	plan := faults.Plan{Seed: 1, Faults: []faults.Fault{faults.CutAfterOps(2).WithFraction(0.5)}}
	inj, _ := faults.Attach(d, plan)

	_ = d.Program(0, []byte("boot"))
	err := d.Program(16, []byte("0123456789abcdef"))
	fmt.Println(errors.Is(err, faults.ErrPowerLoss), d.Powered())
	fmt.Println(errors.Is(d.Read(0, make([]byte, 4)), faults.ErrPowerLoss))

	d.PowerOn()
	buf := make([]byte, 16)
	_ = d.Read(16, buf)
	fmt.Printf("%q\n", buf[:8])
	for _, e := range inj.Events() {
		fmt.Println(e.What, e.Op, e.Off, e.Len)
	}
	fmt.Println(inj.Plan())
	// Output:
	// true false
	// true
	// "01234567"
	// torn_program program 24 4
	// cut program 16 16
	// seed=1;cut:after_ops=2,fraction=0.5
}

// Plans are data: render one, paste it back.
func ExampleParsePlan() {
	p, err := faults.ParsePlan("seed=42;cut:at_ns=1500000;wear:endurance=10000,spread=0.1,mode=erase_fail")
	if err != nil {
		panic(err)
	}
	fmt.Println(len(p.Faults), p.Faults[1].Mode)
	fmt.Println(p)
	fmt.Println(p.JSON())
	// Output:
	// 2 erase_fail
	// seed=42;cut:at_ns=1500000;wear:endurance=10000,spread=0.1,mode=erase_fail
	// {"seed":42,"faults":[{"kind":"cut","at_ns":1500000},{"kind":"wear","endurance":10000,"spread":0.1,"mode":"erase_fail"}]}
}

// Each device kind tears the way its silicon does unless a plan says otherwise.
func ExampleDefaultModels() {
	for _, name := range []string{"nrf52840", "w25q128jv", "mt29f1g08"} {
		d, _ := emu.NewChip(name)
		p, e := faults.DefaultModels(d)
		fmt.Println(name, p, e)
	}
	// Output:
	// nrf52840 prefix partial
	// w25q128jv scatter preprogram
	// mt29f1g08 scatter metastable
}
