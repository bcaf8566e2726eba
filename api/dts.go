package api

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// DTSError is a devicetree fragment error with its 1-based line number. It
// wraps ErrDTS (EINVAL).
type DTSError struct {
	Line int
	Msg  string
}

// Error is "api: devicetree: line N: message".
func (e *DTSError) Error() string { return fmt.Sprintf("api: devicetree: line %d: %s", e.Line, e.Msg) }

// Unwrap makes errors.Is(err, ErrDTS) true.
func (e *DTSError) Unwrap() error { return ErrDTS }

// ParseDTS builds a flash map for dev from a devicetree fragment holding
// fixed partitions, the way Zephyr's flash map is generated from the
// devicetree:
//
//	partitions {
//		compatible = "fixed-partitions";
//		#address-cells = <1>;
//		#size-cells = <1>;
//		boot_partition: partition@0 {
//			label = "mcuboot";
//			reg = <0x0 DT_SIZE_K(64)>;
//		};
//		storage_partition: partition@f0000 {
//			label = "storage";
//			reg = <0xf0000 0x10000>;
//		};
//	};
//
// The fragment may be wrapped in other nodes (`/ { ... };`, `&flash0 { ... };`,
// `flash@0 { ... };`); every node whose compatible includes
// "fixed-partitions" contributes its children with a reg property, in
// order, with ids from 0. A partition whose compatible is
// "fixed-subpartitions" contributes its own children too, their reg being
// relative to it. A partition's label is its label property, else its node
// label, else its node name; FlashMap.OpenLabel accepts the node label too.
// Partitions under a node with status = "disabled" keep their id but open
// with ENOENT, as in Zephyr.
//
// Cells accept C integer literals (decimal, 0x hex, 0 octal, U/L suffixes),
// parenthesised integer expressions and Zephyr's DT_SIZE_K()/DT_SIZE_M();
// #address-cells and #size-cells may be 1 or 2. Comments and preprocessor
// lines (#include, #define, ...) are skipped. Errors are *DTSError values
// (wrapping ErrDTS, EINVAL) with the line of the problem: syntax errors,
// partitions outside the device, overlapping sibling partitions, and
// duplicate labels.
func ParseDTS(dev Device, src string) (*FlashMap, error) {
	p := &dtsParser{lx: newLexer(src)}
	root, err := p.parseFile()
	if err != nil {
		return nil, err
	}
	return buildMap(dev, root)
}

// The flash map builder: fixed-partitions nodes to FlashMap areas.

type dtsPart struct {
	node      *dtsNode
	label     string
	name      string // node label
	off, size int64
	disabled  bool
	children  []*dtsPart
}

func (pt *dtsPart) display() string {
	if pt.label != "" {
		return strconv.Quote(pt.label)
	}
	return pt.node.name + "@" + pt.node.unit
}

func isDisabled(n *dtsNode) bool {
	st := n.strings("status")
	return len(st) > 0 && (st[0] == "disabled" || st[0] == "fail")
}

func hasCompat(n *dtsNode, c string) bool { return slices.Contains(n.strings("compatible"), c) }

func cellsOf(n *dtsNode, name string, def int) (int, error) {
	p := n.prop(name)
	if p == nil {
		return def, nil
	}
	if len(p.vals) != 1 || len(p.vals[0].cells) != 1 || (p.vals[0].cells[0] != 1 && p.vals[0].cells[0] != 2) {
		return 0, &DTSError{Line: p.line, Msg: fmt.Sprintf("%s must be <1> or <2>", name)}
	}
	return int(p.vals[0].cells[0]), nil
}

// collect turns the children of a partitions container into partitions.
func collect(container *dtsNode, base int64, disabled bool) ([]*dtsPart, error) {
	ac, err := cellsOf(container, "#address-cells", 1)
	if err != nil {
		return nil, err
	}
	sc, err := cellsOf(container, "#size-cells", 1)
	if err != nil {
		return nil, err
	}
	var out []*dtsPart
	for _, ch := range container.children {
		reg := ch.prop("reg")
		if reg == nil {
			continue
		}
		var cells []uint64
		for _, v := range reg.vals {
			if v.cells == nil {
				return nil, &DTSError{Line: reg.line, Msg: "reg must be a cell list"}
			}
			cells = append(cells, v.cells...)
		}
		if len(cells) < ac+sc || len(cells)%(ac+sc) != 0 {
			return nil, &DTSError{Line: reg.line, Msg: fmt.Sprintf("reg has %d cells, want %d (#address-cells %d + #size-cells %d)", len(cells), ac+sc, ac, sc)}
		}
		join := func(c []uint64) uint64 {
			var v uint64
			for _, x := range c {
				v = v<<32 | (x & 0xffffffff)
			}
			return v
		}
		off, size := join(cells[:ac]), join(cells[ac:ac+sc])
		if off > 1<<62 || size > 1<<62 {
			return nil, &DTSError{Line: reg.line, Msg: "reg out of range"}
		}
		pt := &dtsPart{node: ch, off: base + int64(off), size: int64(size), disabled: disabled || isDisabled(ch)}
		if l := ch.strings("label"); len(l) > 0 {
			pt.label = l[0]
		}
		if len(ch.labels) > 0 {
			pt.name = ch.labels[0]
		}
		if pt.label == "" {
			pt.label = pt.name
		}
		if pt.label == "" {
			pt.label = ch.name
			if ch.unit != "" {
				pt.label += "@" + ch.unit
			}
		}
		if hasCompat(ch, "fixed-subpartitions") {
			if pt.children, err = collect(ch, pt.off, pt.disabled); err != nil {
				return nil, err
			}
		}
		out = append(out, pt)
	}
	return out, nil
}

// checkParts validates sibling partitions: inside [lo, hi) and no overlaps.
func checkParts(parts []*dtsPart, lo, hi int64, within string) error {
	for i, a := range parts {
		if a.disabled {
			continue
		}
		if a.off < lo || a.size > hi-a.off {
			return &DTSError{Line: a.node.line, Msg: fmt.Sprintf("partition %s [%#x, %#x) lies outside %s [%#x, %#x)",
				a.display(), a.off, a.off+a.size, within, lo, hi)}
		}
		for _, b := range parts[:i] {
			if b.disabled {
				continue
			}
			if a.off < b.off+b.size && b.off < a.off+a.size {
				return &DTSError{Line: a.node.line, Msg: fmt.Sprintf("partition %s [%#x, %#x) overlaps %s [%#x, %#x) at line %d",
					a.display(), a.off, a.off+a.size, b.display(), b.off, b.off+b.size, b.node.line)}
			}
		}
		if err := checkParts(a.children, a.off, a.off+a.size, "partition "+a.display()); err != nil {
			return err
		}
	}
	return nil
}

func buildMap(dev Device, root *dtsNode) (*FlashMap, error) {
	var all []*dtsPart
	var walk func(n *dtsNode, disabled bool) error
	walk = func(n *dtsNode, disabled bool) error {
		disabled = disabled || isDisabled(n)
		if hasCompat(n, "fixed-partitions") {
			parts, err := collect(n, 0, disabled)
			if err != nil {
				return err
			}
			var size int64 = 1<<62 - 1
			if dev != nil {
				size = dev.Size()
			}
			if err := checkParts(parts, 0, size, "the device"); err != nil {
				return err
			}
			all = append(all, parts...)
			return nil
		}
		for _, ch := range n.children {
			if err := walk(ch, disabled); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, false); err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, &DTSError{Line: 1, Msg: `no "fixed-partitions" node with partitions`}
	}
	m := NewFlashMap()
	id := 0
	var add func(parts []*dtsPart) error
	add = func(parts []*dtsPart) error {
		for _, pt := range parts {
			var d Device = dev
			_, err := m.Add(d, AreaSpec{ID: id, Label: pt.label, Name: pt.name, Offset: pt.off, Size: pt.size, Disabled: pt.disabled})
			if err != nil && pt.disabled && dev != nil && errors.Is(err, ErrInvalid) && !errors.Is(err, errInMap) {
				// A disabled partition of another (disabled) device may not fit
				// this one: keep its id and names with no device.
				_, err = m.Add(nil, AreaSpec{ID: id, Label: pt.label, Name: pt.name, Offset: pt.off, Size: pt.size, Disabled: true})
			}
			if err != nil {
				return &DTSError{Line: pt.node.line, Msg: strings.TrimPrefix(err.Error(), "api: ")}
			}
			id++
			if err := add(pt.children); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add(all); err != nil {
		return nil, err
	}
	return m, nil
}
