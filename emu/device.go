package emu

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"sort"
)

// Device is one emulated flash chip. A Device is not safe for concurrent use;
// snapshots are, and many devices may be created from one snapshot.
type Device struct {
	g      *geometry
	gen    uint64
	chunks table[*chunk]
	units  table[unitMeta]
	reads  table[uint32] // reads per unit since erase; top nil until TrackReads
	track  bool          // count reads per unit (TrackReads)
	prot   []bool        // per unit; nil when nothing is protected; copied on change
	nprot  int
	stuck  []stuckBit // sorted by storage address; copied on change
	now    int64
	seq    uint64
	rng    uint64
	off    bool // powered off
	hook   Hook
	obs    Observer // hook, when it also implements Observer
	op     Op
	stats  Stats
	ecc    ECCReport
	page   []byte        // NAND scratch: one page of raw data for ECC decisions
	erased []byte        // NAND: one erased page (stored content of a nil chunk)
	memo   costMemos     // read and program costs seen (hot path)
	wt     *writeThrough // backing image written on every change (OpenFile); nil if none
}

// 1<<memoBits is the number of read (and of program) costs a device remembers:
// a file system's walk issues a handful of distinct lengths (a 2-byte
// length, a header, a payload), each of which would otherwise pay the
// timing formula's divisions on every read.
const memoBits = 4

// costMemos are a direct-mapped cache of read and program costs.
type costMemos [2][1 << memoBits]costMemo

// costMemo remembers the cost of a read or program: the cost depends on the
// length and on the offset only modulo the program (NAND: read) page.
type costMemo struct {
	ok     bool
	mod, n int64
	ns     int64
}

// Stats are a device's counters since creation (or since the snapshot it was
// restored from was taken).
type Stats struct {
	Reads           uint64 `json:"reads"`
	Programs        uint64 `json:"programs"`
	Erases          uint64 `json:"erases"`
	BytesRead       uint64 `json:"bytes_read"`
	BytesProgrammed uint64 `json:"bytes_programmed"`
	BytesErased     uint64 `json:"bytes_erased"`
	ReadNs          int64  `json:"read_ns"`
	ProgramNs       int64  `json:"program_ns"`
	EraseNs         int64  `json:"erase_ns"`
	// Violations counts bytes whose program asked a bit to return to the
	// erased state (stored physically in ViolationsCount mode; in strict mode
	// every such byte of a refused program).
	Violations uint64 `json:"violations"`
	// LimitViolations counts write blocks or pages programmed past
	// MaxPrograms or NOP, and NAND pages programmed out of order (strict
	// mode: one per refused program).
	LimitViolations   uint64 `json:"limit_violations"`
	Failed            uint64 `json:"failed"`      // operations that returned an error
	Interrupted       uint64 `json:"interrupted"` // operations stopped by a hook
	ECCCorrectedBits  uint64 `json:"ecc_corrected_bits"`
	ECCCorrectedSteps uint64 `json:"ecc_corrected_steps"`
	ECCFailedSteps    uint64 `json:"ecc_failed_steps"`
}

type stuckBit struct {
	addr int64 // storage address: NOR offset, NAND page*(page+oob)+column
	mask byte  // bits that are stuck
	val  byte  // their value
}

// New creates a device from a configuration: every cell erased, powered on,
// clock at 0. NAND factory bad blocks get their marks.
func New(c Config) (*Device, error) {
	g, err := newGeometry(c)
	if err != nil {
		return nil, err
	}
	d := &Device{g: g, gen: newGen()}
	d.SetRandSeed(c.Seed)
	d.chunks = newTable[*chunk](g.nchunks)
	d.units = newTable[unitMeta](g.units())
	if c.ProtectBoot {
		d.Protect(0, 1)
	}
	if g.kind == NAND {
		d.initScratch()
		for _, b := range g.cfg.BadBlocks {
			d.markBad(b)
		}
	}
	return d, nil
}

func (d *Device) initScratch() {
	d.page = make([]byte, d.g.store)
	d.erased = make([]byte, d.g.store)
	fill(d.erased, d.g.ev)
}

// begin starts accounting an operation that passed validation.
func (d *Device) begin(k OpKind, off, n int64, data []byte, page int) *Op {
	// Field by field: a composite literal would build a temporary and copy
	// it with write barriers (the hottest line of every operation).
	op := &d.op
	op.Kind, op.Off, op.Len, op.Page, op.Seq, op.Start = k, off, n, page, d.seq, d.now
	// Pointer stores cost write barriers: store only what changes (end
	// clears both, so a read normally stores none).
	if data != nil || op.Data != nil {
		op.Data = data
	}
	if op.OOB != nil {
		op.OOB = nil
	}
	op.OOBLen = 0
	op.Dur = d.opCost(k, off, n)
	d.seq++
	return op
}

// opCost is g.cost with a small cache for reads and programs.
func (d *Device) opCost(k OpKind, off, n int64) int64 {
	if k != OpRead && k != OpProgram {
		return d.g.cost(k, off, n)
	}
	period := d.g.costPeriod[k-OpRead]
	var mod int64
	switch {
	case period == 0:
	case period&(period-1) == 0:
		mod = off & (period - 1)
	default:
		mod = off % period
	}
	m := &d.memo[k-OpRead][(uint64(n)*0x9e3779b97f4a7c15+uint64(mod)*0xbf58476d1ce4e5b9)>>(64-memoBits)]
	if m.ok && m.mod == mod && m.n == n {
		return m.ns
	}
	*m = costMemo{ok: true, mod: mod, n: n, ns: d.g.cost(k, off, n)}
	return m.ns
}

// beginPage starts accounting a NAND page command (data and spare together).
func (d *Device) beginPage(k OpKind, page int, data []byte, n int64, oob []byte, oobLen int64) *Op {
	off := int64(page) * d.g.chunk
	d.op = Op{Kind: k, Off: off, Len: n, Page: page, Data: data, OOB: oob, OOBLen: oobLen, Seq: d.seq, Start: d.now,
		Dur: d.g.cost(pageCmdKind(k), off, n+oobLen)}
	d.seq++
	return &d.op
}

// pageCmdKind is the kind whose cost formula (one command) a page command uses.
func pageCmdKind(k OpKind) OpKind {
	if k == OpProgram || k == OpProgramOOB {
		return OpProgramOOB
	}
	return OpReadOOB
}

// run executes body between the hook's Before and After and accounts the op.
func (d *Device) run(op *Op, body func() error) error {
	if err := d.before(op); err != nil {
		return err
	}
	return d.finish(op, body())
}

// before runs the hook's Before. A non-nil result means the hook stopped
// the operation, which is then accounted (the caller returns the result).
// The hot operations call before and finish around their body directly
// rather than through run's closure; before inlines to one test without a
// hook.
func (d *Device) before(op *Op) error {
	if d.hook == nil {
		return nil
	}
	return d.hookBefore(op)
}

func (d *Device) hookBefore(op *Op) error {
	if err := d.hook.Before(d, op); err != nil {
		d.stats.Interrupted++
		return d.end(op, err)
	}
	return nil
}

// finish runs the hook's After on the body's result and accounts the op.
func (d *Device) finish(op *Op, err error) error {
	if d.hook != nil {
		err = d.hook.After(d, op, err)
	}
	return d.end(op, err)
}

func (d *Device) end(op *Op, err error) error {
	op.Dur = min(max(op.Dur, 0), maxNs)
	d.now = addNs(d.now, op.Dur)
	n := uint64(op.Len) + uint64(op.OOBLen)
	switch op.Kind {
	case OpRead, OpReadOOB:
		d.stats.Reads++
		d.stats.BytesRead += n
		d.stats.ReadNs = addNs(d.stats.ReadNs, op.Dur)
	case OpProgram, OpProgramOOB:
		d.stats.Programs++
		d.stats.BytesProgrammed += n
		d.stats.ProgramNs = addNs(d.stats.ProgramNs, op.Dur)
	case OpErase:
		d.stats.Erases++
		d.stats.BytesErased += n
		d.stats.EraseNs = addNs(d.stats.EraseNs, op.Dur)
	}
	if d.wt != nil && op.Kind.Mutates() {
		if e := d.persist(op); e != nil && err == nil {
			err = e
		}
	}
	if err != nil {
		d.stats.Failed++
	}
	if d.obs != nil {
		d.obs.Done(d, op, err)
	}
	if op.Data != nil || op.OOB != nil {
		op.Data, op.OOB = nil, nil // do not keep the caller's buffers alive
	}
	return err
}

func (d *Device) failed(err error) error {
	d.stats.Failed++
	return err
}

// Stats returns the device's counters.
func (d *Device) Stats() Stats { return d.stats }

// Seq is the number of operations issued to the device so far (the Seq the
// next operation will get).
func (d *Device) Seq() uint64 { return d.seq }

// ---- power ----

// PowerOff cuts the power: every operation fails with ErrPowerLoss until
// PowerOn. The array keeps its content.
func (d *Device) PowerOff() { d.off = true }

// PowerOn restores power. Volatile state (the last ECC report) is reset; the
// array never is.
func (d *Device) PowerOn() {
	d.off = false
	d.ecc = ECCReport{}
}

// Powered reports whether the device has power.
func (d *Device) Powered() bool { return !d.off }

// ---- protection ----

// Protect write- and erase-protects every erase unit touched by [off, off+n).
func (d *Device) Protect(off, n int64) { d.setProtect(off, n, true) }

// Unprotect removes protection from every erase unit touched by [off, off+n).
func (d *Device) Unprotect(off, n int64) { d.setProtect(off, n, false) }

func (d *Device) setProtect(off, n int64, on bool) {
	if n <= 0 || off < 0 || off >= d.g.size {
		return
	}
	end := d.g.size
	if n < d.g.size-off { // overflow-safe min(off+n, size)
		end = off + n
	}
	p := make([]bool, max(len(d.prot), d.g.units())) // keeps the grown-bad flags after the units
	copy(p, d.prot)
	for u := d.g.unitAt(off); u < d.g.units() && d.g.unitStart[u] < end; u++ {
		p[u] = on
	}
	d.prot, d.nprot = p, 0
	for _, v := range p[:d.g.units()] {
		if v {
			d.nprot++
		}
	}
}

// Protected reports whether erase unit u is protected.
func (d *Device) Protected(u int) bool {
	return d.nprot > 0 && u >= 0 && u < d.g.units() && u < len(d.prot) && d.prot[u]
}

func (d *Device) checkProtect(off, n int64) error {
	if d.nprot == 0 || n == 0 {
		return nil
	}
	for u := d.g.unitAt(off); u < d.g.units() && d.g.unitStart[u] < off+n; u++ {
		if d.prot[u] {
			return fmt.Errorf("%w: erase unit %d at 0x%x", ErrProtected, u, d.g.unitStart[u])
		}
	}
	return nil
}

// ---- read ----

// Read reads len(p) bytes at off. NOR reads take any alignment unless the
// device requires aligned reads. On NAND with ECC, steps with at most ECCBits
// errors are returned corrected (see LastECC); a step with more returns the
// raw data and ErrBadMsg.
func (d *Device) Read(off int64, p []byte) error {
	n := int64(len(p))
	if d.off {
		return d.failed(ErrPowerLoss)
	}
	if !d.g.inRange(off, n) {
		return d.failed(d.g.checkRange(off, n))
	}
	if d.g.cfg.AlignedReads && !d.g.aligned2(off, n) {
		return d.failed(fmt.Errorf("%w: read at %d length %d (write block %d)", ErrMisaligned, off, n, d.g.wb))
	}
	op := d.begin(OpRead, off, n, nil, -1)
	if err := d.before(op); err != nil {
		return err
	}
	return d.finish(op, d.read(off, p))
}

// read copies the array view of [off, off+len(p)) into p, counting reads
// per unit when the device tracks them.
func (d *Device) read(off int64, p []byte) error {
	g := d.g
	d.ecc = ECCReport{}
	var err error
	lastUnit := -1
	for len(p) > 0 {
		ci, co := g.split(off)
		k := min(len(p), int(g.chunk)-co)
		c := d.chunkRO(ci)
		switch {
		case c != nil && c.flip == nil && c.unst == nil && len(d.stuck) == 0:
			copy(p[:k], c.data[co:co+k])
		case c == nil && len(d.stuck) == 0:
			fill(p[:k], g.ev)
		default:
			if e := d.readOverlay(ci, c, co, p[:k]); e != nil && err == nil {
				err = e
			}
		}
		if d.track {
			if u := g.unitAt(off); u != lastUnit {
				*d.reads.ptr(u, d.gen)++
				lastUnit = u
			}
		}
		off += int64(k)
		p = p[k:]
	}
	return err
}

// SetRandSeed restarts the device's deterministic generator (Rand, and the
// values unstable bits read as) from seed: the same seed gives the same
// sequence, and SetRandSeed(Config.Seed) the sequence of a new device. Fault
// models call it so that their own seed decides every random value; the
// generator's state is part of snapshots.
func (d *Device) SetRandSeed(seed uint64) { d.rng = seed ^ 0x9e3779b97f4a7c15 }

// rand returns the next value of the device's deterministic generator
// (splitmix64), used for unstable bits.
func (d *Device) rand() uint64 {
	d.rng += 0x9e3779b97f4a7c15
	z := d.rng
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// rawView writes the raw bits of chunk ci in [co, co+len(p)) into p: the
// stored data (c nil: erased) with bit errors XORed in, unstable bits drawn
// at random and stuck bits forced.
func (d *Device) rawView(ci int, c *chunk, co int, p []byte) {
	if c == nil {
		fill(p, d.g.ev)
	} else {
		copy(p, c.data[co:co+len(p)])
		if c.flip != nil {
			XorBytes(p, c.flip[co:co+len(p)])
		}
		if c.unst != nil {
			var r uint64
			left := 0
			for i := range p {
				if m := c.unst[co+i]; m != 0 {
					if left == 0 {
						r, left = d.rand(), 8
					}
					p[i] = p[i]&^m | byte(r)&m
					r >>= 8
					left--
				}
			}
		}
	}
	if len(d.stuck) > 0 {
		d.applyStuck(ci, co, p)
	}
}

// diffBits counts the bits that differ between a and b (same length).
func diffBits(a, b []byte) int {
	b = b[:len(a)]
	n, i := 0, 0
	for ; i+8 <= len(a); i += 8 {
		n += bits.OnesCount64(le.Uint64(a[i:]) ^ le.Uint64(b[i:]))
	}
	for ; i < len(a); i++ {
		n += bits.OnesCount8(a[i] ^ b[i])
	}
	return n
}

// applyStuck forces the stuck bits of storage [ci*store+co, +len(p)) in p.
func (d *Device) applyStuck(ci, co int, p []byte) {
	base := int64(ci)*int64(d.g.store) + int64(co)
	st := d.stuck
	i := sort.Search(len(st), func(i int) bool { return st[i].addr >= base })
	for ; i < len(st) && st[i].addr < base+int64(len(p)); i++ {
		j := st[i].addr - base
		p[j] = p[j]&^st[i].mask | st[i].val&st[i].mask
	}
}

// readOverlay reads a piece of chunk ci (c nil: erased) that has bit
// errors, unstable or stuck bits. NAND with ECC decides per ECC step over the
// whole step: at most ECCBits raw errors against the stored data are
// corrected, more return the raw bits and ErrBadMsg.
func (d *Device) readOverlay(ci int, c *chunk, co int, p []byte) error {
	g := d.g
	if g.kind != NAND || g.cfg.ECCBits == 0 {
		d.rawView(ci, c, co, p)
		return nil
	}
	page := d.page[:g.chunk]
	d.rawView(ci, c, 0, page)
	stored := d.erased[:g.chunk]
	if c != nil {
		stored = c.data[:g.chunk]
	}
	step := g.cfg.ECCStep
	var err error
	for s := co / step * step; s < co+len(p); s += step {
		errs := diffBits(page[s:s+step], stored[s:s+step])
		lo, hi := max(s, co), min(s+step, co+len(p))
		switch {
		case errs == 0:
			copy(p[lo-co:hi-co], stored[lo:hi])
		case errs <= g.cfg.ECCBits:
			copy(p[lo-co:hi-co], stored[lo:hi])
			d.ecc.Corrected += errs
			d.ecc.CorrectedSteps++
			d.ecc.MaxBitflips = max(d.ecc.MaxBitflips, errs)
			d.stats.ECCCorrectedBits += uint64(errs)
			d.stats.ECCCorrectedSteps++
		default:
			copy(p[lo-co:hi-co], page[lo:hi])
			d.ecc.Failed++
			d.ecc.MaxBitflips = max(d.ecc.MaxBitflips, errs)
			d.stats.ECCFailedSteps++
			if err == nil {
				err = fmt.Errorf("%w: page %d step %d: %d bit errors > %d", ErrBadMsg, ci, s/step, errs, g.cfg.ECCBits)
			}
		}
	}
	return err
}

// ---- program ----

// Program programs data at off. Offset and length must be write-block
// aligned. Bits only move away from the erased state; see the package doc.
func (d *Device) Program(off int64, data []byte) error {
	n := int64(len(data))
	if d.off {
		return d.failed(ErrPowerLoss)
	}
	if !d.g.inRange(off, n) {
		return d.failed(d.g.checkRange(off, n))
	}
	if !d.g.aligned2(off, n) {
		return d.failed(fmt.Errorf("%w: program at %d length %d (write block %d)", ErrMisaligned, off, n, d.g.wb))
	}
	if err := d.checkProtect(off, n); err != nil {
		return d.failed(err)
	}
	if d.g.kind == NAND {
		if err := d.checkBad(off, n); err != nil {
			return d.failed(err)
		}
	}
	op := d.begin(OpProgram, off, n, data, -1)
	if err := d.before(op); err != nil {
		return err
	}
	return d.finish(op, d.program(off, data, d.strict()))
}

// strict reports whether rule violations refuse the program.
func (d *Device) strict() bool { return d.g.cfg.Violations == ViolationsStrict }

var le = binary.LittleEndian

// program applies a validated program. With strict set, any violation of the
// rules fails the whole program before anything changes.
func (d *Device) program(off int64, data []byte, strict bool) error {
	g := d.g
	if ci, co := g.split(off); g.kind == NOR && g.cfg.MaxPrograms == 0 && co+len(data) <= int(g.chunk) {
		// The common case, one NOR chunk without program limits: the check
		// (bits only) and the apply in one step.
		if strict {
			if err := d.checkBits(ci, d.chunkRO(ci), co, data); err != nil {
				d.countRefused(err, off, data)
				return err
			}
		}
		v, _ := d.applyPiece(d.chunkOwn(ci), co, data, strict)
		d.stats.Violations += uint64(v)
		return nil
	}
	if strict {
		if err := d.checkProgram(off, data); err != nil {
			d.countRefused(err, off, data)
			return err
		}
	}
	var viol, limit int
	for p, rest := off, data; len(rest) > 0; {
		ci, co := g.split(p)
		k := min(len(rest), int(g.chunk)-co)
		c := d.chunkOwn(ci)
		v, l := d.applyPiece(c, co, rest[:k], strict)
		viol += v
		limit += l
		if g.kind == NAND {
			limit += d.pageDone(ci, c)
		}
		p += int64(k)
		rest = rest[k:]
	}
	d.stats.Violations += uint64(viol)
	d.stats.LimitViolations += uint64(limit)
	return nil
}

// countRefused counts a program refused in strict mode: every violating byte
// of the whole program, or one broken limit.
func (d *Device) countRefused(err error, off int64, data []byte) {
	if !errors.Is(err, ErrProgramViolation) {
		d.stats.LimitViolations++
		return
	}
	g := d.g
	for p, rest := off, data; len(rest) > 0; {
		ci, co := g.split(p)
		k := min(len(rest), int(g.chunk)-co)
		if c := d.chunkRO(ci); c != nil && !c.blank {
			d.stats.Violations += uint64(CountViolations(c.data[co:co+k], rest[:k], g.ev))
		}
		p += int64(k)
		rest = rest[k:]
	}
}

// applyPiece programs src at data offset co of chunk c (owned by the
// device), counts the program per write block and stamps the chunk's program
// time. It returns the bytes that asked a bit to return to the erased state
// and the write blocks programmed past MaxPrograms. checked says a strict
// check found no such bit: then every bit programmed in the cells is
// programmed in src too, so the result ((old^ev)|(src^ev))^ev is src itself.
func (d *Device) applyPiece(c *chunk, co int, src []byte, checked bool) (viol, limit int) {
	g := d.g
	dst := c.data[co : co+len(src)]
	switch {
	case c.blank || g.cfg.NoExplicitErase || checked:
		// Erased cells take the data as is: ((ev^ev)|(x^ev))^ev = x.
		copy(dst, src)
	default:
		viol = ProgramBits(dst, src, g.ev)
	}
	c.blank = false
	c.progNs = d.now
	if c.progs != nil {
		wb := int(g.wb)
		for j := co / wb; j < (co+len(src))/wb; j++ {
			if int(c.progs[j]) >= g.cfg.MaxPrograms && !d.zeroOverwrite(src[j*wb-co:(j+1)*wb-co]) {
				limit++
			}
			if c.progs[j] < 255 {
				c.progs[j]++
			}
		}
	}
	return viol, limit
}

// pageDone accounts one NAND program of page (NOP, in-order rule) and
// returns how many of those rules it broke.
func (d *Device) pageDone(page int, c *chunk) (limit int) {
	g := d.g
	if g.cfg.NOP > 0 && int(c.nop) >= g.cfg.NOP {
		limit++
	}
	if c.nop < 65535 {
		c.nop++
	}
	m := d.unitRW(page / g.cfg.PagesPerBlock)
	pib := int32(page%g.cfg.PagesPerBlock) + 1
	if pib < m.hi {
		limit++
	}
	m.hi = max(m.hi, pib)
	return limit
}

// checkProgram is the read-only pass of a strict program: first the bits
// (ErrProgramViolation anywhere in the range wins), then the limits.
func (d *Device) checkProgram(off int64, data []byte) error {
	passes := 2
	if d.g.kind == NOR && d.g.cfg.MaxPrograms == 0 {
		passes = 1 // no limits to check
	}
	for pass := 0; pass < passes; pass++ {
		g := d.g
		for p, rest := off, data; len(rest) > 0; {
			ci, co := g.split(p)
			k := min(len(rest), int(g.chunk)-co)
			c := d.chunkRO(ci)
			if pass == 0 {
				if err := d.checkBits(ci, c, co, rest[:k]); err != nil {
					return err
				}
			} else {
				if err := d.checkLimit(ci, c, co, rest[:k]); err != nil {
					return err
				}
				if g.kind == NAND {
					if err := d.checkPage(ci, c); err != nil {
						return err
					}
				}
			}
			p += int64(k)
			rest = rest[k:]
		}
	}
	return nil
}

// checkBits refuses a program of src at co in chunk ci that asks a
// programmed bit to return to the erased state.
func (d *Device) checkBits(ci int, c *chunk, co int, src []byte) error {
	g := d.g
	if c == nil || c.blank || g.cfg.NoExplicitErase || !Violates(c.data[co:co+len(src)], src, g.ev) {
		return nil
	}
	for i := range src {
		if (c.data[co+i]^g.ev)&^(src[i]^g.ev) != 0 {
			return fmt.Errorf("%w: at 0x%x (0x%02x over 0x%02x, erase value 0x%02x)",
				ErrProgramViolation, int64(ci)*g.chunk+int64(co+i), src[i], c.data[co+i], g.ev)
		}
	}
	return nil
}

// checkLimit refuses programming src at co in chunk ci past MaxPrograms.
func (d *Device) checkLimit(ci int, c *chunk, co int, src []byte) error {
	g := d.g
	if c == nil || c.progs == nil {
		return nil
	}
	wb := int(g.wb)
	for j := co / wb; j < (co+len(src))/wb; j++ {
		if int(c.progs[j]) >= g.cfg.MaxPrograms && !d.zeroOverwrite(src[j*wb-co:(j+1)*wb-co]) {
			return fmt.Errorf("%w: write block at 0x%x programmed %d times (max %d)",
				ErrProgramLimit, int64(ci)*g.chunk+int64(j*wb), c.progs[j], g.cfg.MaxPrograms)
		}
	}
	return nil
}

// zeroOverwrite reports whether the write block b may be programmed past
// MaxPrograms: Config.ZeroOverwrite and every bit of b programmed (all
// zeros on 0xFF flash), as STM32L4 allows for a double word of zeros.
func (d *Device) zeroOverwrite(b []byte) bool {
	return d.g.cfg.ZeroOverwrite && isFilled(b, ^d.g.ev)
}

// checkPage enforces NAND's NOP limit and in-order page programming.
func (d *Device) checkPage(page int, c *chunk) error {
	g := d.g
	if c != nil && g.cfg.NOP > 0 && int(c.nop) >= g.cfg.NOP {
		return fmt.Errorf("%w: page %d programmed %d times (NOP %d)", ErrProgramLimit, page, c.nop, g.cfg.NOP)
	}
	b := page / g.cfg.PagesPerBlock
	pib := int32(page%g.cfg.PagesPerBlock) + 1
	if hi := d.unit(b).hi; pib < hi {
		return fmt.Errorf("%w: page %d of block %d after page %d", ErrPageOrder, pib-1, b, hi-1)
	}
	return nil
}

// ---- erase ----

// Erase erases [off, off+n), which must cover whole erase units (NAND:
// blocks). Every unit returns to the erase value and its wear count grows by
// one. A zero length is accepted and erases nothing.
func (d *Device) Erase(off, n int64) error {
	if d.off {
		return d.failed(ErrPowerLoss)
	}
	if err := d.g.checkRange(off, n); err != nil {
		return d.failed(err)
	}
	if n > 0 {
		u0, u1 := d.g.unitAt(off), d.g.unitAt(off+n-1)
		if d.g.unitStart[u0] != off || d.g.unitStart[u1+1] != off+n {
			return d.failed(fmt.Errorf("%w: erase at %d length %d does not cover whole erase units", ErrMisaligned, off, n))
		}
	}
	if err := d.checkProtect(off, n); err != nil {
		return d.failed(err)
	}
	if d.g.kind == NAND {
		if err := d.checkBad(off, n); err != nil {
			return d.failed(err)
		}
	}
	op := d.begin(OpErase, off, n, nil, -1)
	return d.run(op, func() error {
		if n == 0 {
			return nil
		}
		for u := d.g.unitAt(off); u < d.g.units() && d.g.unitStart[u] < off+n; u++ {
			d.eraseUnit(u)
		}
		return nil
	})
}

// eraseUnit erases unit u and counts one cycle of wear.
func (d *Device) eraseUnit(u int) {
	bad := d.IsBad(u) // factory and grown-bad blocks keep their marks
	for ci := d.g.chunksUnit[u]; ci < d.g.chunksUnit[u+1]; ci++ {
		d.eraseChunk(ci)
	}
	if bad {
		d.markBad(u)
	}
	m := d.unitRW(u)
	m.erases++
	m.hi = 0
	if d.reads.getOr(u) != 0 {
		*d.reads.ptr(u, d.gen) = 0
	}
}

// ---- wear ----

// Wear returns the erase count of every erase unit.
func (d *Device) Wear() []uint32 {
	w := make([]uint32, d.g.units())
	for i := range w {
		w[i] = d.unit(i).erases
	}
	return w
}

// EraseCount returns the erase count of unit u.
func (d *Device) EraseCount(u int) uint32 {
	if u < 0 || u >= d.g.units() {
		return 0
	}
	return d.unit(u).erases
}

// TrackReads turns per-unit read counting (ReadsSinceErase) on or off. It is
// off on a new device: counting makes every read write per-unit metadata,
// which on a device restored from a snapshot first copies a table leaf, so
// only fault models that need the count (read disturb) turn it on. The
// setting is part of the device state (snapshots keep it). Turning it off
// keeps the counts; they no longer grow, and an erase still resets its unit's.
func (d *Device) TrackReads(on bool) {
	if on && !d.reads.allocated() {
		d.reads = newTable[uint32](d.g.units())
	}
	d.track = on
}

// TracksReads reports whether the device counts reads per unit (TrackReads).
func (d *Device) TracksReads() bool { return d.track }

// ReadsSinceErase returns how many read operations (Read, ReadPage; not
// ReadOOB) touched unit u since its last erase while the device tracked reads
// (TrackReads): with tracking on since the erase, exactly the reads since the
// erase; with tracking never on, 0. Read disturb grows with it.
func (d *Device) ReadsSinceErase(u int) uint32 {
	if u < 0 || u >= d.g.units() {
		return 0
	}
	return d.reads.getOr(u)
}

// LastProgramNs returns the simulated time of the last program into unit u
// since its last erase (0 when nothing was programmed since; retention grows
// with the time since). Every program counts — Program, ProgramPage, WriteOOB
// and the raw ApplyProgram and ApplyProgramPage — whatever TrackReads says;
// Poke does not (it is not a program).
func (d *Device) LastProgramNs(u int) int64 {
	if u < 0 || u >= d.g.units() {
		return 0
	}
	var t int64
	for ci := d.g.chunksUnit[u]; ci < d.g.chunksUnit[u+1]; ci++ {
		if c := d.chunkRO(ci); c != nil {
			t = max(t, c.progNs)
		}
	}
	return t
}
