package faults

import (
	"encoding/binary"
	"math/bits"

	"github.com/flashemu/flashemu/emu"
)

// This file is the physics of interrupted operations. Bits are handled in
// "programmed polarity" (stored ^ erase value): 1 means programmed, so a
// program only sets bits and an erase only clears them, whatever the erase
// value of the device (0xFF or 0x00).

var le = binary.LittleEndian

// subset says which of the pending bit transitions of the torn unit landed.
type subset uint8

const (
	// subsetRandom: each transition independently, probability = frac.
	subsetRandom subset = iota
	// subsetOne: exactly one transition landed (chosen at random).
	subsetOne
	// subsetAllButOne: every transition but one landed.
	subsetAllButOne
)

// tear says where and how an operation was interrupted.
type tear struct {
	unit  int     // program: torn program unit; erase: torn erase command
	frac  float64 // fraction of the torn unit's work done, [0, 1]
	model Model   // resolved model (never "")
	sub   subset
}

// tearer produces torn states; it owns scratch space (not safe for
// concurrent use: one per injector or sweep worker).
type tearer struct {
	inf     *devInfo
	a, b, c []byte
}

func grow(p *[]byte, n int) []byte {
	if cap(*p) < n {
		*p = make([]byte, n)
	}
	return (*p)[:n]
}

// unitCount is the number of us-aligned units [off, off+n) touches.
func unitCount(off, n, us int64) int {
	if n <= 0 || us <= 0 {
		return 0
	}
	return int((off+n+us-1)/us - off/us)
}

// unitSpan is the i-th us-aligned piece of [off, off+n).
func unitSpan(off, n, us int64, i int) (s, e int64) {
	base := off / us * us
	s = max(off, base+int64(i)*us)
	e = min(off+n, base+int64(i+1)*us)
	return s, e
}

// locateProgram maps a fraction f of a program's duration (total ns) to the
// unit being programmed then and the fraction of that unit done. Time is
// charged per program page as the device does (Cost); within a page it is
// taken as linear in bytes.
func (inf *devInfo) locateProgram(d *emu.Device, off, n, total int64, f float64, m Model) (int, float64) {
	us := inf.unitSize(m)
	pp := inf.progPage
	pos := f * float64(n)
	if total > 0 {
		t := f * float64(total)
		acc := 0.0
		for p := off; p < off+n; {
			e := min((p/pp+1)*pp, off+n)
			c := float64(d.Cost(emu.OpProgram, p, e-p))
			if t < acc+c || e == off+n {
				lf := 0.0
				if c > 0 {
					lf = min(max((t-acc)/c, 0), 1)
				}
				pos = float64(p-off) + lf*float64(e-p)
				break
			}
			acc += c
			p = e
		}
	}
	cnt := unitCount(off, n, us)
	abs := float64(off) + pos
	i := int(int64(abs)/us - off/us)
	if i >= cnt {
		i = cnt - 1
	}
	i = max(i, 0)
	s, e := unitSpan(off, n, us, i)
	lf := min(max((abs-float64(s))/float64(e-s), 0), 1)
	return i, lf
}

// erasePieces calls fn for each erase command covering [off, off+n): the
// largest aligned block erase that fits, else one erase unit (emu's rule).
func (inf *devInfo) erasePieces(d *emu.Device, off, n int64, fn func(i int, ps, pe int64) bool) {
	i := 0
	for p := off; p < off+n; i++ {
		var cmd int64
		for _, b := range inf.blockErase {
			bs := int64(b.Size)
			if bs > cmd && p%bs == 0 && off+n-p >= bs {
				cmd = bs
			}
		}
		if cmd == 0 {
			_, _, sz, ok := d.UnitAt(p)
			if !ok {
				return
			}
			cmd = sz
		}
		if !fn(i, p, p+cmd) {
			return
		}
		p += cmd
	}
}

func (inf *devInfo) erasePieceCount(d *emu.Device, off, n int64) int {
	cnt := 0
	inf.erasePieces(d, off, n, func(int, int64, int64) bool { cnt++; return true })
	return cnt
}

// locateErase maps a fraction of an erase's duration to the erase command
// running then and the fraction of it done.
func (inf *devInfo) locateErase(d *emu.Device, off, n, total int64, f float64) (int, float64) {
	t := f * float64(total)
	acc := 0.0
	idx, lf := 0, f
	inf.erasePieces(d, off, n, func(i int, ps, pe int64) bool {
		c := float64(d.Cost(emu.OpErase, ps, pe-ps))
		idx = i
		if total <= 0 {
			// No timing: by bytes.
			pos := f * float64(n)
			if pos < float64(pe-off) || pe == off+n {
				lf = min(max((pos-float64(ps-off))/float64(pe-ps), 0), 1)
				return false
			}
			return true
		}
		if t < acc+c || pe == off+n {
			lf = 0
			if c > 0 {
				lf = min(max((t-acc)/c, 0), 1)
			}
			return false
		}
		acc += c
		return true
	})
	return idx, lf
}

// locate resolves where a fraction f of op falls.
func (inf *devInfo) locate(d *emu.Device, k emu.OpKind, off, n, total int64, f float64, m Model) (int, float64) {
	switch k {
	case emu.OpProgram:
		return inf.locateProgram(d, off, n, total, f, m)
	case emu.OpErase:
		return inf.locateErase(d, off, n, total, f)
	}
	return 0, f
}

// unitsOf is the number of torn units of an operation under model m.
func (inf *devInfo) unitsOf(d *emu.Device, k emu.OpKind, off, n int64, m Model) int {
	switch k {
	case emu.OpProgram:
		return unitCount(off, n, inf.unitSize(m))
	case emu.OpErase:
		return inf.erasePieceCount(d, off, n)
	case emu.OpProgramOOB:
		return 1
	}
	return 0
}

// selectBits writes into sel the transitions of pend that landed.
func selectBits(pend, sel []byte, frac float64, sub subset, r *rng) {
	switch sub {
	case subsetOne, subsetAllButOne:
		n := 0
		for _, b := range pend {
			n += bits.OnesCount8(b)
		}
		if sub == subsetOne {
			clear(sel)
		} else {
			copy(sel, pend)
		}
		if n == 0 {
			return
		}
		k := r.intn(n)
		for i, b := range pend {
			c := bits.OnesCount8(b)
			if k >= c {
				k -= c
				continue
			}
			for ; ; b &= b - 1 {
				if k == 0 {
					sel[i] ^= b & -b
					return
				}
				k--
			}
		}
	default:
		i := 0
		for ; i+8 <= len(pend); i += 8 {
			p := le.Uint64(pend[i:])
			if p != 0 {
				p &= r.mask(frac)
			}
			le.PutUint64(sel[i:], p)
		}
		if i < len(pend) {
			var w [8]byte
			copy(w[:], pend[i:])
			p := le.Uint64(w[:])
			if p != 0 {
				p &= r.mask(frac)
			}
			le.PutUint64(w[:], p)
			copy(sel[i:], w[:len(pend)-i])
		}
	}
}

func xorByte(b []byte, v byte) {
	if v == 0 {
		return
	}
	w := uint64(v) * 0x0101010101010101
	i := 0
	for ; i+8 <= len(b); i += 8 {
		le.PutUint64(b[i:], le.Uint64(b[i:])^w)
	}
	for ; i < len(b); i++ {
		b[i] ^= v
	}
}

func allZero(b []byte) bool {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if le.Uint64(b[i:]) != 0 {
			return false
		}
	}
	for ; i < len(b); i++ {
		if b[i] != 0 {
			return false
		}
	}
	return true
}

// violates reports whether programming data over old asks a programmed bit
// to return to the erased state.
func violates(old, data []byte, ev byte) bool {
	for i := range data {
		if (old[i]^ev)&^(data[i]^ev) != 0 {
			return true
		}
	}
	return false
}

// program leaves on d the result of programming data at off (OOB programs:
// into page's spare area) interrupted as tr. It returns the torn span
// (device offsets; for OOB the page's offset and the OOB length).
func (t *tearer) program(d *emu.Device, k emu.OpKind, off int64, page int, data []byte, tr tear, r *rng) (s, e int64) {
	inf := t.inf
	if k == emu.OpProgramOOB {
		return t.programOOB(d, off, page, data, tr, r)
	}
	n := int64(len(data))
	if inf.strict && !inf.noErase {
		old := grow(&t.c, len(data))
		if d.Peek(off, old) != nil || violates(old, data, inf.ev) {
			// A strict device refuses such a program before it starts.
			return off, off
		}
	}
	us := inf.unitSize(tr.model)
	s, e = unitSpan(off, n, us, tr.unit)
	if s > off {
		_ = d.ApplyProgram(off, data[:s-off])
	}
	old := grow(&t.a, int(e-s))
	_ = d.Peek(s, old)
	nw := data[s-off : e-off]
	pend := grow(&t.b, len(old))
	for i := range pend {
		if inf.noErase {
			pend[i] = old[i] ^ nw[i]
		} else {
			pend[i] = (nw[i] ^ inf.ev) &^ (old[i] ^ inf.ev)
		}
	}
	sel := grow(&t.c, len(old))
	selectBits(pend, sel, tr.frac, tr.sub, r)
	switch {
	case tr.model == Metastable:
		// The intended data is stored; transitions that did not firmly land
		// read randomly until erased.
		_ = d.ApplyProgram(s, nw)
		for i := range sel {
			sel[i] = pend[i] &^ sel[i]
		}
		_ = d.SetUnstable(s, sel)
	case inf.ecc:
		// NAND ECC was computed over the intended data: bits that did not
		// land are bit errors the ECC engine sees.
		_ = d.ApplyProgram(s, nw)
		for i := range sel {
			sel[i] = pend[i] &^ sel[i]
		}
		_ = d.XorFlips(s, sel)
	default:
		for i := range old {
			old[i] ^= sel[i]
		}
		_ = d.ApplyProgram(s, old)
	}
	return s, e
}

func (t *tearer) programOOB(d *emu.Device, off int64, page int, data []byte, tr tear, r *rng) (int64, int64) {
	inf := t.inf
	old := grow(&t.a, len(data))
	if d.PeekOOB(page, old) != nil {
		return off, off
	}
	if inf.strict && violates(old, data, inf.ev) {
		return off, off
	}
	pend := grow(&t.b, len(data))
	for i := range pend {
		pend[i] = (data[i] ^ inf.ev) &^ (old[i] ^ inf.ev)
	}
	sel := grow(&t.c, len(data))
	// The spare area has no unstable-bit overlay: Metastable tears like Scatter.
	selectBits(pend, sel, tr.frac, tr.sub, r)
	for i := range old {
		old[i] ^= sel[i]
	}
	_ = d.PokeOOB(page, old)
	// The interrupted page program still consumed one of the page's NOP
	// partial programs: re-program one byte with its own value.
	var one [1]byte
	_ = d.Peek(off, one[:])
	_ = d.ApplyProgram(off, one[:])
	return off, off + int64(len(data))
}

// erase leaves on d the result of erasing [off, off+n) interrupted as tr:
// commands before the torn one complete, every erase unit of the torn
// command is torn by the model (and costs a wear cycle), later ones are
// untouched. It returns the torn span.
func (t *tearer) erase(d *emu.Device, off, n int64, tr tear, r *rng) (s, e int64) {
	s, e = off, off
	t.inf.erasePieces(d, off, n, func(i int, ps, pe int64) bool {
		switch {
		case i < tr.unit:
			for p := ps; p < pe; {
				u, _, sz, _ := d.UnitAt(p)
				_ = d.ApplyErase(u)
				p += sz
			}
			return true
		case i == tr.unit:
			s, e = ps, pe
			for p := ps; p < pe; {
				u, _, sz, _ := d.UnitAt(p)
				t.eraseUnit(d, u, tr, r)
				p += sz
			}
		}
		return false
	})
	return s, e
}

// eraseUnit tears the erase of unit u.
func (t *tearer) eraseUnit(d *emu.Device, u int, tr tear, r *rng) {
	inf := t.inf
	start, size := d.Unit(u)
	pages, oob := 0, inf.oobSize
	if inf.kind == emu.NAND && oob > 0 {
		pages = int(size / inf.pageSize)
	}
	all := grow(&t.a, int(size)+pages*oob)
	data, spare := all[:size], all[size:]
	_ = d.Peek(start, data)
	firstPage := int(start / max(inf.pageSize, 1))
	for p := 0; p < pages; p++ {
		_ = d.PeekOOB(firstPage+p, spare[p*oob:(p+1)*oob])
	}
	xorByte(all, inf.ev) // programmed polarity: 1 = programmed

	frac := tr.frac
	if tr.model == Preprogram {
		if tr.sub == subsetRandom && frac < PreprogramShare {
			// Phase 1: programming to zeros from the end.
			tail := frac / PreprogramShare * float64(size)
			full := int64(tail)
			head := size - full
			for i := head; i < size; i++ {
				data[i] = 0xff
			}
			if head > 0 {
				data[head-1] |= byte(r.mask(tail - float64(full)))
			}
			for p := 0; p < pages; p++ {
				if int64(p+1)*inf.pageSize-1 >= head {
					for i := p * oob; i < (p+1)*oob; i++ {
						spare[i] = 0xff
					}
				}
			}
			frac = -1 // no erase pulses yet
		} else {
			// Phase 2: all programmed, erase pulses running.
			for i := range all {
				all[i] = 0xff
			}
			if tr.sub == subsetRandom {
				frac = (frac - PreprogramShare) / (1 - PreprogramShare)
			}
		}
	}
	if frac >= 0 {
		sel := grow(&t.b, len(all))
		selectBits(all, sel, frac, tr.sub, r) // bits that reached the erased state
		for i := range all {
			all[i] &^= sel[i]
		}
	}

	// The erase attempt resets the unit (and counts its wear cycle); what
	// did not get erased is put back.
	_ = d.ApplyErase(u)
	if inf.ecc {
		// ECC sees the residue as bit errors against the erased page.
		if tr.model == Metastable {
			_ = d.SetUnstable(start, data)
		} else {
			_ = d.XorFlips(start, data)
		}
	} else {
		if tr.model == Metastable {
			_ = d.SetUnstable(start, data)
		}
		const piece = 4096
		for i := int64(0); i < size; i += piece {
			j := min(i+piece, size)
			if allZero(data[i:j]) {
				continue
			}
			xorByte(data[i:j], inf.ev)
			_ = d.Poke(start+i, data[i:j])
		}
	}
	for p := 0; p < pages; p++ {
		q := spare[p*oob : (p+1)*oob]
		if allZero(q) {
			continue
		}
		xorByte(q, inf.ev)
		_ = d.PokeOOB(firstPage+p, q)
	}
}

// apply tears operation k at [off, off+n) (data for programs) as tr.
func (t *tearer) apply(d *emu.Device, k emu.OpKind, off, n int64, page int, data []byte, tr tear, r *rng) (s, e int64) {
	switch k {
	case emu.OpProgram, emu.OpProgramOOB:
		return t.program(d, k, off, page, data, tr, r)
	case emu.OpErase:
		return t.erase(d, off, n, tr, r)
	}
	return off, off
}
