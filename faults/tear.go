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

// opRec describes a mutating operation to tear: the fields of an emu.Op a
// torn state depends on. A NAND page command (ProgramPage: kind OpProgram
// with page >= 0; WriteOOB: OpProgramOOB) carries its spare bytes in oob
// (WriteOOB's data is its spare data).
type opRec struct {
	kind   emu.OpKind
	off, n int64
	page   int
	data   []byte
	oob    []byte
}

// recOf describes op without copying its buffers (the injector tears it
// while the operation is in flight).
func recOf(op *emu.Op) opRec {
	r := opRec{kind: op.Kind, off: op.Off, n: op.Len, page: op.Page, data: op.Data, oob: op.OOB}
	if op.Kind == emu.OpProgramOOB {
		r.data, r.oob = nil, op.Data
	}
	return r
}

// pageCmd reports whether the operation is one NAND page program command
// (ProgramPage or WriteOOB): all its bits, data and spare, move in one
// tPROG, so it is one torn unit whatever the model.
func (o *opRec) pageCmd() bool {
	return o.kind == emu.OpProgramOOB || o.kind == emu.OpProgram && o.page >= 0
}

// locateProgram maps a fraction f of a program's duration (total ns) to the
// unit being programmed then and the fraction of that unit done. Time is
// charged per program page as the device does (emu Pieces); within a page
// it is taken as linear in bytes.
func (inf *devInfo) locateProgram(d *emu.Device, off, n, total int64, f float64, m Model) (int, float64) {
	us := inf.unitSize(m)
	pos := f * float64(n)
	if total > 0 {
		t := f * float64(total)
		acc := 0.0
		d.Pieces(emu.OpProgram, off, n, func(ps, pe, ns int64) bool {
			c := float64(ns)
			if t < acc+c || pe == off+n {
				lf := 0.0
				if c > 0 {
					lf = min(max((t-acc)/c, 0), 1)
				}
				pos = float64(ps-off) + lf*float64(pe-ps)
				return false
			}
			acc += c
			return true
		})
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

// erasePieces calls fn for each erase command covering [off, off+n), as
// the device issues and charges them (emu Pieces: the largest aligned
// block erase that fits, else one erase unit): its index, range and cost.
func (inf *devInfo) erasePieces(d *emu.Device, off, n int64, fn func(i int, ps, pe, ns int64) bool) {
	i := 0
	d.Pieces(emu.OpErase, off, n, func(ps, pe, ns int64) bool {
		ok := fn(i, ps, pe, ns)
		i++
		return ok
	})
}

func (inf *devInfo) erasePieceCount(d *emu.Device, off, n int64) int {
	cnt := 0
	inf.erasePieces(d, off, n, func(int, int64, int64, int64) bool { cnt++; return true })
	return cnt
}

// locateErase maps a fraction of an erase's duration to the erase command
// running then and the fraction of it done.
func (inf *devInfo) locateErase(d *emu.Device, off, n, total int64, f float64) (int, float64) {
	t := f * float64(total)
	acc := 0.0
	idx, lf := 0, f
	inf.erasePieces(d, off, n, func(i int, ps, pe, ns int64) bool {
		c := float64(ns)
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

// locate resolves where a fraction f of op (total ns long) falls: the torn
// unit and the fraction of it done.
func (inf *devInfo) locate(d *emu.Device, o *opRec, total int64, f float64, m Model) (int, float64) {
	switch {
	case o.pageCmd():
		return 0, f
	case o.kind == emu.OpProgram:
		return inf.locateProgram(d, o.off, o.n, total, f, m)
	case o.kind == emu.OpErase:
		return inf.locateErase(d, o.off, o.n, total, f)
	}
	return 0, f
}

// unitsOf is the number of torn units of an operation under model m.
func (inf *devInfo) unitsOf(d *emu.Device, o *opRec, m Model) int {
	switch {
	case o.pageCmd():
		return 1
	case o.kind == emu.OpProgram:
		return unitCount(o.off, o.n, inf.unitSize(m))
	case o.kind == emu.OpErase:
		return inf.erasePieceCount(d, o.off, o.n)
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

// program leaves on d the result of program o interrupted as tr. It
// returns the torn span (device offsets; for a spare-only page program the
// page's offset and the spare length).
func (t *tearer) program(d *emu.Device, o *opRec, tr tear, r *rng) (s, e int64) {
	inf := t.inf
	if o.pageCmd() {
		return t.programPage(d, o, tr, r)
	}
	off, data := o.off, o.data
	n := int64(len(data))
	if inf.strict && !inf.noErase {
		old := grow(&t.c, len(data))
		if d.Peek(off, old) != nil || emu.Violates(old, data, inf.ev) {
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
		missed(pend, sel)
		_ = d.SetUnstable(s, sel)
	case inf.ecc:
		// NAND ECC was computed over the intended data: bits that did not
		// land are bit errors the ECC engine sees.
		_ = d.ApplyProgram(s, nw)
		missed(pend, sel)
		_ = d.XorFlips(s, sel)
	default:
		emu.XorBytes(old, sel)
		_ = d.ApplyProgram(s, old)
	}
	return s, e
}

// missed turns sel (the transitions that landed) into those of pend that
// did not.
func missed(pend, sel []byte) {
	for i := range sel {
		sel[i] = pend[i] &^ sel[i]
	}
}

// programPage tears one NAND page program command (ProgramPage with data
// and spare, or WriteOOB): every pending transition of the data and the
// spare area moves in parallel, so both are torn together, with one draw
// over their union, and the command consumes one of the page's NOP
// programs (emu ApplyProgramPage). Metastable leaves the intended bits
// stored and the missed ones unstable, in both areas; on NAND with ECC the
// missed data bits are bit errors against the intended data, while the
// spare area (not covered by the ECC model) keeps the raw torn bits.
func (t *tearer) programPage(d *emu.Device, o *opRec, tr tear, r *rng) (int64, int64) {
	inf := t.inf
	data, oob := o.data, o.oob
	nd := len(data)
	all := grow(&t.a, nd+len(oob)) // the old bits, data then spare
	if d.Peek(o.off, all[:nd]) != nil || d.PeekOOB(o.page, all[nd:]) != nil {
		return o.off, o.off
	}
	if inf.strict && (emu.Violates(all[:nd], data, inf.ev) || emu.Violates(all[nd:], oob, inf.ev)) {
		// A strict device refuses such a program before it starts.
		return o.off, o.off
	}
	pend := grow(&t.b, len(all))
	for i, nw := range data {
		pend[i] = (nw ^ inf.ev) &^ (all[i] ^ inf.ev)
	}
	for i, nw := range oob {
		pend[nd+i] = (nw ^ inf.ev) &^ (all[nd+i] ^ inf.ev)
	}
	sel := grow(&t.c, len(all))
	selectBits(pend, sel, tr.frac, tr.sub, r)
	switch {
	case tr.model == Metastable:
		_ = d.ApplyProgramPage(o.page, data, oob)
		missed(pend, sel)
		_ = d.SetUnstable(o.off, sel[:nd])
		_ = d.SetUnstableOOB(o.page, sel[nd:])
	case inf.ecc:
		emu.XorBytes(all[nd:], sel[nd:])
		_ = d.ApplyProgramPage(o.page, data, all[nd:])
		missed(pend[:nd], sel[:nd])
		_ = d.XorFlips(o.off, sel[:nd])
	default:
		emu.XorBytes(all, sel)
		_ = d.ApplyProgramPage(o.page, all[:nd], all[nd:])
	}
	if nd == 0 {
		return o.off, o.off + int64(len(oob))
	}
	return o.off, o.off + int64(nd)
}

// erase leaves on d the result of erasing [off, off+n) interrupted as tr:
// commands before the torn one complete, every erase unit of the torn
// command is torn by the model (and costs a wear cycle), later ones are
// untouched. It returns the torn span.
func (t *tearer) erase(d *emu.Device, off, n int64, tr tear, r *rng) (s, e int64) {
	s, e = off, off
	t.inf.erasePieces(d, off, n, func(i int, ps, pe, _ int64) bool {
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
			if emu.AllZero(data[i:j]) {
				continue
			}
			xorByte(data[i:j], inf.ev)
			_ = d.Poke(start+i, data[i:j])
		}
	}
	// Spare areas keep their raw residue (no ECC over them); under
	// Metastable it reads randomly until erased, like the data's.
	for p := 0; p < pages; p++ {
		q := spare[p*oob : (p+1)*oob]
		if emu.AllZero(q) {
			continue
		}
		if tr.model == Metastable {
			_ = d.SetUnstableOOB(firstPage+p, q)
		}
		xorByte(q, inf.ev)
		_ = d.PokeOOB(firstPage+p, q)
	}
}

// apply tears operation o as tr.
func (t *tearer) apply(d *emu.Device, o *opRec, tr tear, r *rng) (s, e int64) {
	switch o.kind {
	case emu.OpProgram, emu.OpProgramOOB:
		return t.program(d, o, tr, r)
	case emu.OpErase:
		return t.erase(d, o.off, o.n, tr, r)
	}
	return o.off, o.off
}
