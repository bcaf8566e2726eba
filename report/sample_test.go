package report

import (
	"fmt"
	"math/rand/v2"
)

// syntheticSweep is a log-append workload of n mutating operations on a
// 64 KiB NOR (16 sectors of 4 KiB): appends of 16–48 bytes, an erase
// before each sector is reused, one value acknowledged per two programs;
// two branches per operation (before/after) and four per erase (units).
// Three kinds of failures: a lost entry after cuts inside erases, a torn
// sector header after cuts right after an erase, and a rare CRC mismatch.
// The same seed gives the same sweep.
func syntheticSweep(name string, n int, seed uint64) Sweep {
	r := rand.New(rand.NewPCG(seed, 7))
	s := Sweep{Name: name, Script: "scripts/log_powercut.lua", Cuts: "unit", Depth: 1, Seed: seed, Ops: n, WallNs: int64(n) * 41_000,
		PerOp: make([]OpOutcome, n), Timeline: make([]OpInfo, n)}
	const sector, sectors = 4096, 16
	var addr, t int64
	acked := 0
	justErased := false
	for i := range n {
		var o OpInfo
		if addr%sector == 0 && !justErased {
			o = OpInfo{Kind: "erase", Addr: addr % (sector * sectors), Len: sector, DurNs: 45_000_000}
			justErased = true
		} else {
			l := int64(16 + 16*r.IntN(3))
			l = min(l, sector-addr%sector)
			o = OpInfo{Kind: "program", Addr: addr % (sector * sectors), Len: l, DurNs: 30_000 + l*1_900}
			addr += l
			justErased = false
			if i%2 == 0 {
				acked++
			}
		}
		o.TimeNs = t
		o.Acked = acked
		t += o.DurNs + 2_000
		s.Timeline[i] = o
		br := 2
		if o.Kind == "erase" {
			br += 4
		}
		s.PerOp[i].Branches = br
		s.Branches += br
		fail := func(tok, msg, shrunk string) {
			s.PerOp[i].Failed++
			s.Failed++
			s.Failures = append(s.Failures, Failure{ID: fmt.Sprintf("%s:%s:%d", name, tok, seed), Op: i, Error: msg, Shrunk: shrunk})
		}
		switch {
		case o.Kind == "erase" && r.IntN(3) == 0:
			fail(fmt.Sprintf("%du%d", i, r.IntN(4)), fmt.Sprintf("scripts/log_powercut.lua:31: entry %d lost after recovery (acked %d)", acked-r.IntN(3), acked), "")
		case o.Kind == "program" && i > 0 && s.Timeline[i-1].Kind == "erase":
			fail(fmt.Sprintf("%db", i), fmt.Sprintf("scripts/log_powercut.lua:47: sector %d header torn: magic 0x%08x", o.Addr/sector, r.Uint32()),
				fmt.Sprintf("%s:%da:%d", name, i-1, seed))
		case r.IntN(500) == 0:
			fail(fmt.Sprintf("%da", i), fmt.Sprintf("scripts/log_powercut.lua:58: crc mismatch at 0x%x: got 0x%04x want 0x%04x", o.Addr, r.IntN(1<<16), r.IntN(1<<16)), "")
		}
	}
	return s
}
