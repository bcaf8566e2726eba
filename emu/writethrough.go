package emu

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/flashemu/flashemu/internal/fsroot"
)

// A write-through device keeps its array in an image file (the flash.bin
// layout of SaveImage: the data area byte for byte; NAND spare areas in
// <image>.oob or interleaved, as ImageOptions.OOB says) and writes every
// change there as it happens, like Zephyr native_sim's --flash=flash.bin:
// when an operation ends (completed, failed, or stopped part-way by a hook
// such as a power cut), the bytes it may have changed are written to the
// file with one positioned write per chunk (a program: its range; an
// erase: its units, spare areas included; a NAND page program: the page
// and its spare area). So a crash of the process (kill -9) loses at most
// the operation in flight. Writes go to the operating system, not to the
// disk: Sync and Close flush them (an OS crash may lose more).
//
// Only the stored bits are kept (like SaveImage): wear, clock, counters,
// overlays and stuck bits are not. Changes made outside operations — Poke,
// MarkBad, the other raw accessors when no operation is running, Restore —
// reach the file at the next Sync.

// writeThrough is the backing store of a write-through device.
type writeThrough struct {
	f      *os.File
	oob    *os.File // NAND separate layout; nil otherwise
	layout OOBLayout
	buf    []byte // one chunk of stored data (NAND: page and spare)
}

// OpenFile opens the image at path as the write-through backing store of a
// new device of configuration cfg (see the layout above): an existing
// image is loaded as Load(path, &cfg, ImageOptions{OOB: opts.OOB}) does
// (and must have the size cfg implies), a missing one is created erased.
// opts.Sidecar is not supported (no metadata is kept). Close the device
// when done.
func OpenFile(path string, cfg Config, opts ImageOptions) (*Device, error) {
	if opts.Sidecar {
		return nil, fmt.Errorf("%w: a write-through image keeps no sidecar", ErrInvalid)
	}
	if int(opts.OOB) >= len(oobLayoutNames) {
		return nil, fmt.Errorf("%w: OOB layout %d", ErrInvalid, opts.OOB)
	}
	layout := opts.OOB
	d, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if d.g.kind != NAND || d.OOBSize() == 0 {
		layout = OOBNone
	}
	fsys := fsroot.Or(opts.FS)
	_, statErr := fsys.Stat(path)
	exists := statErr == nil
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return nil, fmt.Errorf("emu: open %s: %w", path, statErr)
	}
	if exists {
		if d, err = Load(path, &cfg, ImageOptions{OOB: layout, FS: opts.FS}); err != nil {
			return nil, err
		}
	}
	wt := &writeThrough{layout: layout, buf: make([]byte, d.g.store)}
	if wt.f, err = fsys.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644); err != nil {
		return nil, fmt.Errorf("emu: open %s: %w", path, err)
	}
	if layout == OOBSeparate {
		if wt.oob, err = fsys.OpenFile(OOBPath(path), os.O_RDWR|os.O_CREATE, 0o644); err != nil {
			_ = wt.f.Close()
			return nil, fmt.Errorf("emu: open %s: %w", OOBPath(path), err)
		}
	}
	d.wt = wt
	if !exists {
		if err := d.Sync(); err != nil {
			_ = d.Close()
			return nil, err
		}
	}
	return d, nil
}

// WriteThrough reports whether the device writes every change to an image
// file (OpenFile).
func (d *Device) WriteThrough() bool { return d.wt != nil }

// Sync writes the whole array to the backing image (after changes made
// outside operations, e.g. a Restore) and flushes it to disk. A device
// without a backing image has nothing to do.
func (d *Device) Sync() error {
	wt := d.wt
	if wt == nil {
		return nil
	}
	if err := wt.writeAll(d); err != nil {
		return fmt.Errorf("emu: write-through: %w", err)
	}
	for _, f := range []*os.File{wt.f, wt.oob} {
		if f != nil {
			if err := f.Sync(); err != nil {
				return fmt.Errorf("emu: write-through: %w", err)
			}
		}
	}
	return nil
}

// Close flushes and closes the backing image of a write-through device;
// the device keeps working in memory only. A device without one returns nil.
func (d *Device) Close() error {
	wt := d.wt
	if wt == nil {
		return nil
	}
	d.wt = nil
	var errs []error
	for _, f := range []*os.File{wt.f, wt.oob} {
		if f != nil {
			errs = append(errs, f.Sync(), f.Close())
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("emu: write-through: %w", err)
	}
	return nil
}

// writeAll rewrites both files whole and sets their sizes.
func (wt *writeThrough) writeAll(d *Device) error {
	g := d.g
	write := func(f *os.File, oobOnly bool, size int64) error {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 1<<16)
		if _, err := d.writeImage(bw, wt.layout, oobOnly); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		return f.Truncate(size)
	}
	size := g.size
	if wt.layout == OOBInterleaved {
		size = int64(g.nchunks) * int64(g.store)
	}
	if err := write(wt.f, false, size); err != nil {
		return err
	}
	if wt.oob != nil {
		return write(wt.oob, true, int64(g.nchunks)*int64(d.OOBSize()))
	}
	return nil
}

// persist writes what op may have changed to the backing image.
func (d *Device) persist(op *Op) error {
	g, wt := d.g, d.wt
	var err error
	switch {
	case op.Kind == OpErase:
		if op.Len > 0 && g.inRange(op.Off, op.Len) {
			c0, _ := g.split(op.Off)
			last, _ := g.split(op.Off + op.Len - 1)
			for ci := c0; ci <= last && err == nil; ci++ {
				err = wt.writeChunk(d, ci, 0, g.store)
			}
		}
	case op.Page >= 0: // NAND page program or spare-area program
		err = wt.writeChunk(d, op.Page, 0, g.store)
	case g.inRange(op.Off, op.Len):
		for p, n := op.Off, op.Len; n > 0 && err == nil; {
			ci, co := g.split(p)
			k := min(n, g.chunk-int64(co))
			err = wt.writeChunk(d, ci, co, co+int(k))
			p += k
			n -= k
		}
	}
	if err != nil {
		return fmt.Errorf("emu: write-through: %w", err)
	}
	return nil
}

// writeChunk writes storage bytes [lo, hi) of chunk ci (data, then NAND
// spare from the page size on) to their places in the backing files.
func (wt *writeThrough) writeChunk(d *Device, ci, lo, hi int) error {
	g := d.g
	b := wt.buf[:g.store]
	if c := d.chunkRO(ci); c != nil {
		copy(b, c.data)
	} else {
		fill(b, g.ev)
	}
	ps := int(g.chunk)
	if wt.layout == OOBInterleaved {
		_, err := wt.f.WriteAt(b[lo:hi], int64(ci)*int64(g.store)+int64(lo))
		return err
	}
	if lo < ps {
		if _, err := wt.f.WriteAt(b[lo:min(hi, ps)], int64(ci)*g.chunk+int64(lo)); err != nil {
			return err
		}
	}
	if wt.oob != nil && hi > ps {
		oob := g.store - ps
		s := max(lo, ps)
		if _, err := wt.oob.WriteAt(b[s:hi], int64(ci)*int64(oob)+int64(s-ps)); err != nil {
			return err
		}
	}
	return nil
}
