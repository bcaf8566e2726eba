package faults

import (
	"testing"

	"github.com/flashemu/flashemu/emu"
)

// BenchmarkTornVariant4K is the cost of producing one torn variant of a
// 4 KiB program, as a sweep worker does: a device from the pre-operation
// snapshot, the partial program applied, the branch snapshot taken.
func BenchmarkTornVariant4K(b *testing.B) {
	for _, m := range []Model{Prefix, Scatter, Metastable} {
		b.Run(string(m), func(b *testing.B) {
			d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 64 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff,
				Timing: emu.Timing{ClockHz: 100e6, BusBits: 1, ProgramPage: 256, ProgramNs: 400_000, ProgramScales: true,
					EraseNs: []emu.EraseTime{{Size: 4096, Ns: 45_000_000}}}})
			if err != nil {
				b.Fatal(err)
			}
			data := make([]byte, 4096)
			for i := range data {
				data[i] = byte(i * 7)
			}
			pre := d.Snapshot()
			t := tearer{inf: infoOf(d)}
			us := t.inf.unitSize(m)
			units := unitCount(0, 4096, us)
			r := newRNG(1)
			b.SetBytes(4096)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				v := emu.FromSnapshot(pre)
				t.program(v, &opRec{kind: emu.OpProgram, n: 4096, page: -1, data: data}, tear{unit: i % units, frac: 0.5, model: m}, &r)
				_ = v.Snapshot()
				i++
			}
		})
	}
}
