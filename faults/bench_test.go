package faults_test

import (
	"testing"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
)

// armedPlan arms one fault of each triggered kind far in the future: the
// per-operation bookkeeping runs, nothing fires.
func armedPlan() faults.Plan {
	return faults.Plan{Seed: 1, Faults: []faults.Fault{
		faults.CutAfterOps(1 << 62),
		faults.CutAtNs(1 << 62),
		faults.FailNth(faults.TargetProgram, 1<<62, -5),
		faults.FailNth(faults.TargetRead, 1<<62, -5),
		faults.WearOut(1<<31, 0.1, faults.ProgramFail),
	}}
}

func benchDevice(b *testing.B, plan string) *emu.Device {
	d := newNOR(b, 0xff, 1, spiTiming())
	var p faults.Plan
	switch plan {
	case "none":
		return d
	case "empty_hook":
		d.SetHook(emptyHook{})
		return d
	case "armed":
		p = armedPlan()
	case "armed_cut":
		p = faults.Plan{Seed: 1, Faults: []faults.Fault{faults.CutAfterOps(1 << 62)}}
	}
	if _, err := faults.Attach(d, p); err != nil {
		b.Fatal(err)
	}
	return d
}

// benchPlans: no hook; a hook that does nothing (the cost of emu's seam
// itself); every triggered kind armed; a lone cut (the common case).
var benchPlans = []string{"none", "empty_hook", "armed", "armed_cut"}

type emptyHook struct{}

func (emptyHook) Before(*emu.Device, *emu.Op) error               { return nil }
func (emptyHook) After(_ *emu.Device, _ *emu.Op, err error) error { return err }

func BenchmarkProgram4K(b *testing.B) {
	data := randBytes(1, 4096)
	for _, name := range benchPlans {
		b.Run(name, func(b *testing.B) {
			d := benchDevice(b, name)
			b.SetBytes(4096)
			b.ReportAllocs()
			for b.Loop() {
				// Re-programming the same data is legal (no bit returns to erased).
				if err := d.Program(8192, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkRead4K(b *testing.B) {
	for _, name := range benchPlans {
		b.Run(name, func(b *testing.B) {
			d := benchDevice(b, name)
			fill(b, d, 2)
			buf := make([]byte, 4096)
			b.SetBytes(4096)
			b.ReportAllocs()
			for b.Loop() {
				if err := d.Read(8192, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkArmedHookOnly is the injector's own cost per operation (Before
// plus After of an armed, non-firing plan), free of the device's work and
// so of most machine noise: compare it with the ns/op of Program4K/Read4K.
func BenchmarkArmedHookOnly(b *testing.B) {
	d := newNOR(b, 0xff, 1, spiTiming())
	inj, err := faults.Attach(d, armedPlan())
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range []emu.OpKind{emu.OpProgram, emu.OpRead} {
		b.Run(k.String(), func(b *testing.B) {
			op := &emu.Op{Kind: k, Off: 8192, Len: 4096, Page: -1, Dur: 1000}
			b.ReportAllocs()
			for b.Loop() {
				op.Start += 1000
				if err := inj.Before(d, op); err != nil {
					b.Fatal(err)
				}
				if err := inj.After(d, op, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
