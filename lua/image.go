package lua

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/flashemu/flashemu/devspec"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	glua "github.com/yuin/gopher-lua"
)

// Images: dev:save and flash.load over emu's image API (SaveImage, Load,
// WriteHex): the native_sim flash.bin layout, an optional JSON sidecar
// (PATH.json: configuration, wear, protection, clock, counters) and NAND
// spare areas in PATH.oob, interleaved, or left out. Every file is written
// atomically.

// oobLayout reads a spare-area layout option ("separate", "interleaved",
// "none") called key: dev:save's oob, flash.load's oob_layout (there oob is
// the NAND spare size, as in flash.nand).
func oobLayout(f *fields, key string) (emu.OOBLayout, bool) {
	if !f.has(key) {
		return emu.OOBSeparate, false
	}
	var l emu.OOBLayout
	name := f.str(key, "")
	if err := l.UnmarshalText([]byte(name)); err != nil || name == "" {
		f.fail(key, fmt.Sprintf("%q is not \"separate\", \"interleaved\" or \"none\"", name))
	}
	return l, true
}

func devSave(s *State, L *glua.LState) int {
	d, a := checkDevice(L, "save")
	path := s.checkPath(a, 2)
	f := a.opts(3)
	format := "raw"
	if emu.IsHexName(path) {
		format = "hex"
	}
	format = f.str("format", format)
	if format != "raw" && format != "hex" {
		f.fail("format", fmt.Sprintf("%q is not \"raw\" or \"hex\"", format))
	}
	base := f.int("base", 0)
	if base < 0 || base > 0xffffffff || base%16 != 0 {
		f.fail("base", fmt.Sprintf("%d is not a 16-aligned 32-bit address", base))
	}
	var opts emu.ImageOptions
	opts.Sidecar = f.boolean("sidecar", false)
	opts.AsRead = f.boolean("as_read", false)
	opts.OOB, _ = oobLayout(f, "oob")
	f.done()
	if format == "hex" && (opts.Sidecar || d.Dev.Kind() == emu.NAND) {
		return s.pushFailure(L, fmt.Errorf("%w: Intel HEX holds the data area of a NOR device only (no sidecar, no spare areas)", emu.ErrInvalid))
	}
	opts, err := s.imageOptions(path, opts, false)
	if err != nil {
		return s.pushFailure(L, err)
	}
	if format == "hex" {
		err = d.Dev.SaveHex(path, uint32(base), opts.FS)
	} else {
		err = d.Dev.SaveImage(path, opts)
	}
	if err != nil {
		return s.pushFailure(L, imageError(err))
	}
	L.Push(glua.LTrue)
	return 1
}

// imageError gives file errors an errno; emu's errors keep theirs.
func imageError(err error) error {
	var en errno.Errnoer
	if errors.As(err, &en) {
		return err
	}
	return fileError(err)
}

// imageKind reads flash.load's and flash.open's type option ("nor" or
// "nand").
func imageKind(f *fields) emu.Kind {
	switch t := f.str("type", "nor"); strings.ToLower(t) {
	case "nor":
		return emu.NOR
	case "nand":
		return emu.NAND
	default:
		f.fail("type", fmt.Sprintf("%q is not \"nor\" or \"nand\"", t))
	}
	return emu.NOR
}

// geometryGiven reports whether flash.load's options describe the device
// (any field but sidecar, oob_layout, type and base).
func geometryGiven(t *glua.LTable) bool {
	given := false
	if t == nil {
		return false
	}
	t.ForEach(func(k, _ glua.LValue) {
		if ks, ok := k.(glua.LString); ok && ks != "sidecar" && ks != "oob_layout" && ks != "type" && ks != "base" {
			given = true
		}
	})
	return given
}

// flashLoad is flash.load(path [, opts]).
func flashLoad(s *State, L *glua.LState) int {
	a := argsOf(L, "load")
	path := s.checkPath(a, 1)
	raw, err := s.readFile(path)
	if err != nil {
		return s.pushFailure(L, err)
	}
	fsys, err := s.fsys()
	if err != nil {
		return s.pushFailure(L, err)
	}
	f := a.opts(2)
	useSidecar := false
	if f.has("sidecar") {
		useSidecar = f.boolean("sidecar", false)
	} else if s.exists(emu.SidecarPath(path)) && !emu.IsHexName(path) {
		useSidecar = true
	}
	layout, layoutGiven := oobLayout(f, "oob_layout")
	kind := imageKind(f)
	if useSidecar && !geometryGiven(f.t) {
		f.done()
		d, err := emu.Load(path, nil, emu.ImageOptions{Sidecar: true, FS: fsys})
		if err != nil {
			return s.pushFailure(L, imageError(err))
		}
		L.Push(s.NewDevice(d))
		return 1
	}
	if emu.IsHexName(path) && (useSidecar || layoutGiven) {
		a.argError(2, "an Intel HEX image has no sidecar or spare areas")
	}
	data, isHex, err := emu.ImageData(raw, 0xff)
	if err != nil {
		err = fmt.Errorf("%s: %w", path, err)
		return s.pushFailure(L, imageError(err))
	}
	var dataOff int64 // where data goes on the device
	if f.has("base") {
		// An Intel HEX image's addresses minus base are device offsets
		// (dev:save's base); without it the lowest address is offset 0.
		base := f.int("base", 0)
		if !isHex {
			f.fail("base", "only for Intel HEX images")
		}
		if base < 0 || base > 0xffffffff {
			f.fail("base", fmt.Sprintf("%d is not a 32-bit address", base))
		}
		h, err := emu.ParseHex(bytes.NewReader(raw))
		if err != nil {
			return s.pushFailure(L, imageError(err))
		}
		if int64(h.Base()) < base {
			return s.pushFailure(L, fmt.Errorf("%w: %s has data at 0x%08x, below base 0x%08x", emu.ErrCorruptImage, path, h.Base(), base))
		}
		dataOff = int64(h.Base()) - base
	}
	src := imageSource{tableSource: tableSource{f}, imageSize: dataOff + int64(len(data))}
	c := devspec.Build(kind, src)
	if useSidecar || (!isHex && c.Kind == emu.NAND && (layoutGiven || s.exists(emu.OOBPath(path)))) {
		// The exact image layout through emu (sidecar, spare areas).
		d, err := emu.Load(path, &c, emu.ImageOptions{Sidecar: useSidecar, OOB: layout, FS: fsys})
		if err != nil {
			return s.pushFailure(L, imageError(err))
		}
		L.Push(s.NewDevice(d))
		return 1
	}
	d, err := emu.New(c)
	if err != nil {
		a.raise("load: %v", err)
	}
	if dataOff+int64(len(data)) > d.Size() {
		return s.pushFailure(L, fmt.Errorf("%w: %s holds %d bytes, the device %d", emu.ErrCorruptImage, path, dataOff+int64(len(data)), d.Size()))
	}
	if err := d.Poke(dataOff, data); err != nil {
		return s.pushFailure(L, err)
	}
	L.Push(s.NewDevice(d))
	return 1
}

// flashOpen is flash.open(path [, opts]): a write-through device
// (emu.OpenFile) over a raw image in the state's file system.
func flashOpen(s *State, L *glua.LState) int {
	a := argsOf(L, "open")
	path := s.checkPath(a, 1)
	f := a.opts(2)
	kind := imageKind(f)
	layout, _ := oobLayout(f, "oob_layout")
	fsys, err := s.fsys()
	if err != nil {
		return s.pushFailure(L, err)
	}
	var size int64
	if st, err := fsys.Stat(path); err == nil {
		size = st.Size()
	}
	c := devspec.Build(kind, imageSource{tableSource: tableSource{f}, imageSize: size})
	d, err := emu.OpenFile(path, c, emu.ImageOptions{OOB: layout, FS: fsys})
	if err != nil {
		return s.pushFailure(L, imageError(err))
	}
	L.Push(s.NewDevice(d))
	return 1
}
