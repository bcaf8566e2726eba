package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/flashemu/flashemu/emu"
)

// Ctl is the Plan 9 flash(3) control of one flash bank (device): named
// partitions that start and end on erase-unit boundaries, a control
// read-out, the commands
//
//	add name start [end]    create a partition inside the current one
//	remove name             delete a partition (not "flash")
//	erase all               erase every unit of the partition (an error if one is protected)
//	erase offset            erase the unit starting at offset
//	protectboot [off]       protect (default) or unprotect erase unit 0
//	sync                    flush buffers (nothing to do)
//
// and byte-granular reads and writes of partitions that hide the write
// block alignment. The partition "flash" covers the whole device. Numbers
// follow strtoul (decimal, 0x hex, 0 octal) and are relative to the
// partition the command is written to.
//
// As in Plan 9, erase unit 0 is protected by default: partition writes and
// erases of it fail with ErrProtected (EACCES), and on devices that
// implement Protector (emu devices) the unit is also hardware-protected, so
// direct device and flash_area writes fail the same way until
// "protectboot off".
//
// Unlike Plan 9, where an erased byte is logically 0xFF, bytes are the
// device's own: "erased" means the device's erase value, and a write may
// only move bits away from it.
type Ctl struct {
	mu      sync.Mutex
	dev     Device
	parts   []*Partition
	protect bool
}

// Partition is one named partition of a Ctl.
type Partition struct {
	c          *Ctl
	name       string
	start, end int64 // device offsets
}

// NewCtl returns the partition control of dev with the single partition
// "flash" and boot protection on.
func NewCtl(dev Device) (*Ctl, error) {
	if dev == nil || dev.PageCount() == 0 {
		return nil, fmt.Errorf("%w: no device", ErrNoDevice)
	}
	c := &Ctl{dev: dev}
	c.parts = []*Partition{{c: c, name: "flash", start: 0, end: dev.Size()}}
	c.setProtect(true)
	return c, nil
}

// Device is the bank's device.
func (c *Ctl) Device() Device { return c.dev }

// Protected reports whether boot protection (protectboot) is on.
func (c *Ctl) Protected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.protect
}

func (c *Ctl) setProtect(on bool) {
	c.protect = on
	p, ok := c.dev.(Protector)
	if !ok {
		return
	}
	u0, err := c.dev.PageByIndex(0)
	if err != nil {
		return
	}
	if on {
		p.Protect(u0.Start, u0.Size)
	} else {
		p.Unprotect(u0.Start, u0.Size)
	}
}

// Exec runs control commands on the whole-device partition "flash".
func (c *Ctl) Exec(cmd string) error { return c.parts[0].Exec(cmd) }

// Write implements io.Writer: p holds control commands, one per line.
func (c *Ctl) Write(p []byte) (int, error) {
	if err := c.Exec(string(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Info is the control read-out of the whole device (see Partition.Info).
func (c *Ctl) Info() string { return c.parts[0].Info() }

// Part returns the partition named name (ErrNoPart, ENOENT, if none).
func (c *Ctl) Part(name string) (*Partition, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.parts {
		if p.name == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrNoPart, name)
}

// Parts returns the partitions in creation order, "flash" first.
func (c *Ctl) Parts() []*Partition {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Partition(nil), c.parts...)
}

// Name is the partition name.
func (p *Partition) Name() string { return p.name }

// Offset is the device offset where the partition starts.
func (p *Partition) Offset() int64 { return p.start }

// Size is the partition size in bytes.
func (p *Partition) Size() int64 { return p.end - p.start }

// Area returns a flash area (flash_area) over the partition, labelled with
// its name.
func (p *Partition) Area() *Area {
	a, err := NewArea(p.c.dev, p.name, p.start, p.end-p.start)
	if err != nil { // cannot happen: partitions lie inside the device
		panic(err)
	}
	return a
}

// String is "name [start, end)".
func (p *Partition) String() string { return fmt.Sprintf("%s [%#x, %#x)", p.name, p.start, p.end) }

// regions groups the device pages into runs of equal erase units.
func regions(dev Device) []PageInfo {
	var out []PageInfo // Start, Size = unit size, Index = end (exclusive)
	PageForeach(dev, func(pg PageInfo) bool {
		if n := len(out); n > 0 && out[n-1].Size == pg.Size && int64(out[n-1].Index) == pg.Start {
			out[n-1].Index = int(pg.Start + pg.Size)
			return true
		}
		out = append(out, PageInfo{Start: pg.Start, Size: pg.Size, Index: int(pg.Start + pg.Size)})
		return true
	})
	return out
}

// Info is the control read-out, as reading a Plan 9 partctl file gives it:
// the first line has the manufacturer id, the device id, the memory width in
// bytes and "nor" or "nand"; then one line per group of equal erase units
// that lies in the partition: start and end (device byte addresses, clipped
// to the partition) and the erase-unit size, followed for NAND by the page
// size including the spare (OOB) bytes. Numbers are hexadecimal as in
// Plan 9's devflash.c:
//
//	0xef 0x4018 1 nor
//	0x00000000 0x01000000 0x00001000
func (p *Partition) Info() string {
	id := Identity{Width: 1}
	if i, ok := p.c.dev.(Identifier); ok {
		id = i.Identity()
	}
	kind := "nor"
	if id.NAND {
		kind = "nand"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%#02x %#04x %d %s\n", id.ManufacturerID, id.DeviceID, id.Width, kind)
	for _, r := range regions(p.c.dev) {
		start, end := r.Start, int64(r.Index)
		if start >= p.end || p.start >= end {
			continue
		}
		start, end = max(start, p.start), min(end, p.end)
		fmt.Fprintf(&b, "%#08x %#08x %#08x", start, end, r.Size)
		if id.NAND && id.PageSize > 0 {
			fmt.Fprintf(&b, " %#08x", id.PageSize)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Exec runs control commands (one per line) on the partition; the first
// failing command's error is returned.
func (p *Partition) Exec(cmd string) error {
	for _, line := range strings.Split(cmd, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if err := p.exec(f); err != nil {
			return err
		}
	}
	return nil
}

func (p *Partition) exec(f []string) error {
	c := p.c
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: %s: %s", ErrCtl, strings.Join(f, " "), fmt.Sprintf(format, a...))
	}
	switch f[0] {
	case "erase":
		if len(f) != 2 {
			return bad("usage: erase all | erase offset")
		}
		if f[1] == "all" {
			return p.eraseAll()
		}
		off, err := p.addr(f[1])
		if err != nil {
			return bad("%v", err)
		}
		pg, err := c.dev.PageByOffset(off)
		if err != nil || off >= p.end {
			return bad("nonexistent flash region")
		}
		if pg.Start != off {
			return bad("invalid erase block address")
		}
		return p.eraseUnit(pg)
	case "add":
		if len(f) < 3 || len(f) > 4 {
			return bad("usage: add name start [end]")
		}
		start, err := p.addr(f[2])
		if err != nil {
			return bad("%v", err)
		}
		end := p.end
		if len(f) == 4 && f[3] != "end" {
			if end, err = p.addr(f[3]); err != nil {
				return bad("%v", err)
			}
		}
		if start > end || start >= p.end || end > p.end {
			return bad("range [%#x, %#x) outside %s", start, end, p)
		}
		return c.add(f[1], start, end)
	case "remove":
		if len(f) != 2 {
			return bad("usage: remove name")
		}
		return c.remove(f[1])
	case "protectboot":
		c.mu.Lock()
		c.setProtect(!(len(f) > 1 && f[1] == "off"))
		c.mu.Unlock()
		return nil
	case "sync":
		return nil
	}
	return bad("unknown command")
}

// addr is Plan 9's flashaddr: a number relative to the partition, inside
// it, on an erase-unit boundary (the device end counts as one).
func (p *Partition) addr(s string) (int64, error) {
	v, err := parseOffset(s)
	if err != nil {
		return 0, err
	}
	a := p.start + v
	if a < p.start || a > p.end {
		return 0, fmt.Errorf("address %s outside %s", s, p)
	}
	if a < p.c.dev.Size() {
		pg, err := p.c.dev.PageByOffset(a)
		if err != nil {
			return 0, err
		}
		if pg.Start != a {
			return 0, fmt.Errorf("invalid erase unit address %#x (unit %#x+%#x)", a, pg.Start, pg.Size)
		}
	}
	return a, nil
}

func (c *Ctl) add(name string, start, end int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name == "" || strings.ContainsAny(name, "/ \t\n") {
		return fmt.Errorf("%w: bad partition name %q", ErrCtl, name)
	}
	for _, q := range c.parts {
		if q.name == name {
			return fmt.Errorf("%w: %q", ErrExist, name)
		}
	}
	c.parts = append(c.parts, &Partition{c: c, name: name, start: start, end: end})
	return nil
}

func (c *Ctl) remove(name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, q := range c.parts {
		if q.name == name {
			if i == 0 {
				return fmt.Errorf("%w: cannot remove %q", ErrCtl, name)
			}
			c.parts = append(c.parts[:i], c.parts[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("%w: %q", ErrNoPart, name)
}

// bootProtected reports whether [off, off+n) touches protected unit 0.
func (c *Ctl) bootProtected(off, n int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.protect || n <= 0 {
		return false
	}
	u0, err := c.dev.PageByIndex(0)
	return err == nil && off < u0.Start+u0.Size && u0.Start < off+n
}

func (p *Partition) eraseUnit(pg PageInfo) error {
	if p.c.bootProtected(pg.Start, pg.Size) {
		return fmt.Errorf("%w: erase unit at %#x", ErrProtected, pg.Start)
	}
	return p.c.dev.Erase(pg.Start, pg.Size)
}

// eraseAll erases every unit of the partition in address order. As in
// devflash.c, a protected unit is an error ("flash region protected",
// ErrProtected), not skipped: when the boot unit is protected and inside
// the partition nothing is erased; a hardware-protected unit further on
// stops the erase there with the device's error (the units before it are
// erased, as devflash.c's loop leaves them).
func (p *Partition) eraseAll() error {
	if p.c.bootProtected(p.start, p.end-p.start) {
		return fmt.Errorf("%w: erase all: the partition holds the protected boot unit (protectboot off first)", ErrProtected)
	}
	for off := p.start; off < p.end; {
		pg, err := p.c.dev.PageByOffset(off)
		if err != nil {
			return err
		}
		if err := p.eraseUnit(pg); err != nil {
			return fmt.Errorf("erase all: %w", err)
		}
		off = pg.Start + pg.Size
	}
	return nil
}

// ReadAt reads len(b) bytes at partition offset off (io.ReaderAt). Any
// alignment works; reads past the end are cut short with io.EOF.
func (p *Partition) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%w: negative offset", ErrInvalid)
	}
	if off >= p.Size() {
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.Size()-off))
	if err := p.readAligned(p.start+off, b[:n]); err != nil {
		return 0, err
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// span returns the write-block aligned range covering [off, off+n).
func (p *Partition) span(off int64, n int) (int64, int64) {
	wbs := int64(max(p.c.dev.Parameters().WriteBlockSize, 1))
	lo := off - off%wbs
	hi := off + int64(n)
	if r := hi % wbs; r != 0 {
		hi += wbs - r
	}
	return lo, hi
}

// readAligned reads device bytes at off through write-block aligned reads,
// so it works on devices that refuse unaligned reads.
func (p *Partition) readAligned(off int64, b []byte) error {
	lo, hi := p.span(off, len(b))
	if lo == off && hi == off+int64(len(b)) {
		return p.c.dev.Read(off, b)
	}
	buf := make([]byte, hi-lo)
	if err := p.c.dev.Read(lo, buf); err != nil {
		return err
	}
	copy(b, buf[off-lo:])
	return nil
}

// WriteAt programs b at partition offset off (io.WriterAt). The surrounding
// write blocks are read, b is laid over them and the blocks are programmed
// in one device write, so only the bytes given change. A write that would
// move a programmed bit back to the erased state fails with ErrBitSet (EIO)
// before anything is programmed; a write into protected unit 0 fails with
// ErrProtected (EACCES); a write past the end is cut short with io.EOF
// (io.ErrShortWrite semantics: the rest is not written). The result is
// read back: a mismatch (a failing cell) is an EIO error. On NAND the write
// block is the page, so a partial-page write re-programs the whole page and
// meets the device's NOP and in-order page rules (EIO when they refuse).
func (p *Partition) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("%w: negative offset", ErrInvalid)
	}
	if off >= p.Size() {
		if len(b) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	n := int(min(int64(len(b)), p.Size()-off))
	dev := p.start + off
	if p.c.bootProtected(dev, int64(n)) {
		return 0, fmt.Errorf("%w: write at %#x", ErrProtected, dev)
	}
	lo, hi := p.span(dev, n)
	old := make([]byte, hi-lo)
	if err := p.c.dev.Read(lo, old); err != nil {
		return 0, err
	}
	buf := bytes.Clone(old)
	copy(buf[dev-lo:], b[:n])
	ev := p.c.dev.Parameters().EraseValue
	if i := emu.FirstViolation(old, buf, ev); i >= 0 {
		return 0, fmt.Errorf("%w: byte at %#x: %#02x over %#02x (erase value %#02x)", ErrBitSet, lo+int64(i), buf[i], old[i], ev)
	}
	if err := p.c.dev.Write(lo, buf); err != nil {
		return 0, err
	}
	if err := p.c.dev.Read(lo, old); err != nil {
		return 0, err
	}
	if !bytes.Equal(old, buf) {
		return 0, fmt.Errorf("%w: at %#x", ErrVerify, lo)
	}
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// ForArea returns the partition covering exactly the flash area a (on the
// Ctl's device), creating it with the area's label if there is none, so that
// an area can take control commands (Lua's area:ctl and area:ctlinfo).
// The area must start and end on erase-unit boundaries (ErrCtl otherwise);
// if its label is empty or taken by another range the partition is named
// "area@<offset>".
func (c *Ctl) ForArea(a *Area) (*Partition, error) {
	if a == nil || !sameDevice(a.Device(), c.dev) {
		return nil, fmt.Errorf("%w: area is not on this device", ErrInvalid)
	}
	start, end := a.Offset(), a.Offset()+a.Size()
	c.mu.Lock()
	for _, p := range c.parts {
		if p.start == start && p.end == end && (p.name == a.Label() || a.Label() == "") {
			c.mu.Unlock()
			return p, nil
		}
	}
	name := a.Label()
	for _, p := range c.parts {
		if p.name == name {
			name = ""
		}
	}
	c.mu.Unlock()
	if name == "" || strings.ContainsAny(name, "/ \t\n") {
		name = fmt.Sprintf("area@%#x", start)
	}
	flash := c.parts[0]
	for _, v := range []int64{start, end} {
		if _, err := flash.addr(strconv.FormatInt(v, 10)); err != nil {
			return nil, fmt.Errorf("%w: area %v: %v", ErrCtl, a, err)
		}
	}
	if start >= end && start >= flash.end {
		return nil, fmt.Errorf("%w: area %v is empty at the end of the device", ErrCtl, a)
	}
	if err := c.add(name, start, end); err != nil && !errors.Is(err, ErrExist) {
		return nil, err
	}
	return c.Part(name)
}
