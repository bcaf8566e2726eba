package api_test

import (
	"errors"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dtsDev(t *testing.T) api.Device {
	_, dev := newEmu(t, emu.Config{Size: 1 << 20, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xFF})
	return dev
}

func TestParseDTSNativeSim(t *testing.T) {
	_, dev := newEmu(t, emu.Config{Size: 2 << 20, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xFF})
	m, err := api.ParseDTS(dev, readDTS(t, "native_sim.dts"))
	require.NoError(t, err)
	type want struct {
		id        int
		label     string
		node      string
		off, size int64
	}
	for _, w := range []want{
		{0, "mcuboot", "boot_partition", 0, 0xC000},
		{1, "image-0", "slot0_partition", 0xC000, 0x69000},
		{2, "image-1", "slot1_partition", 0x75000, 0x69000},
		{3, "image-scratch", "scratch_partition", 0xde000, 0x1e000},
		{4, "storage", "storage_partition", 0xfc000, 0x4000},
	} {
		a, err := m.Open(w.id)
		require.NoError(t, err)
		assert.Equal(t, w.label, a.Label())
		assert.Equal(t, w.off, a.Offset())
		assert.Equal(t, w.size, a.Size())
		b, err := m.OpenLabel(w.node)
		require.NoError(t, err)
		assert.Same(t, a, b)
		c, err := m.OpenLabel(w.label)
		require.NoError(t, err)
		assert.Same(t, a, c)
	}
	assert.Equal(t, 5, m.Len())
}

func TestParseDTSSyntax(t *testing.T) {
	src := `/dts-v1/;
#include <zephyr/dt-bindings/memory.h>
#define UNUSED 1
/ {
	/* a block
	   comment */
	chosen { zephyr,code-partition = &slot0; };
};
&flash0 {
	partitions {
		compatible = "zephyr,something", "fixed-partitions";
		#address-cells = <1>;
		#size-cells = <1>;
		ranges;
		a: partition@0 { label = "a"; reg = <0x0 DT_SIZE_K(64)>; read-only; };
		b: partition@10000 { reg = <(0x10000) ((4096 * 4) + 0x1000 - 4096)>; };  // expressions
		partition@14000 { reg = <0x14000 0x4000UL>; };                             // no labels at all
		b2: partition@18000 { label = "twocell"; reg = <0x18000 010000>; bytes = [00 11 22]; };
	};
};
`
	m, err := api.ParseDTS(dtsDev(t), src)
	require.NoError(t, err)
	var got [][3]any
	for _, a := range m.Areas() {
		got = append(got, [3]any{a.Label(), a.Offset(), a.Size()})
	}
	assert.Equal(t, [][3]any{
		{"a", int64(0), int64(0x10000)},
		{"b", int64(0x10000), int64(0x4000)},
		{"partition@14000", int64(0x14000), int64(0x4000)},
		{"twocell", int64(0x18000), int64(0x1000)},
	}, got)

	// Two-cell addresses and sizes.
	m, err = api.ParseDTS(dtsDev(t), `partitions { compatible = "fixed-partitions"; #address-cells = <2>; #size-cells = <2>;
		p: partition@0 { reg = <0x0 0x8000 0x0 0x8000>; }; };`)
	require.NoError(t, err)
	a, err := m.OpenLabel("p")
	require.NoError(t, err)
	assert.Equal(t, int64(0x8000), a.Offset())
	assert.Equal(t, int64(0x8000), a.Size())
}

func TestParseDTSSubpartitions(t *testing.T) {
	m, err := api.ParseDTS(dtsDev(t), `partitions {
		compatible = "fixed-partitions"; #address-cells = <1>; #size-cells = <1>;
		outer: partition@10000 {
			compatible = "fixed-subpartitions"; #address-cells = <1>; #size-cells = <1>;
			reg = <0x10000 0x10000>;
			in1: partition@0 { reg = <0x0 0x8000>; };
			in2: partition@8000 { reg = <0x8000 0x8000>; };
		};
	};`)
	require.NoError(t, err)
	for name, off := range map[string]int64{"outer": 0x10000, "in1": 0x10000, "in2": 0x18000} {
		a, err := m.OpenLabel(name)
		require.NoError(t, err, name)
		assert.Equal(t, off, a.Offset(), name)
	}
}

func TestParseDTSErrors(t *testing.T) {
	head := "partitions {\n compatible = \"fixed-partitions\";\n #address-cells = <1>;\n #size-cells = <1>;\n"
	tests := []struct {
		name string
		src  string
		line int
		msg  string
	}{
		{"missing semicolon", head + " p: partition@0 { reg = <0 0x1000> };\n};", 5, `expected ";"`},
		{"unclosed node", head + " p: partition@0 { reg = <0 0x1000>;\n", 5, "not closed"},
		{"unterminated string", head + " p: partition@0 { label = \"x;\n };\n};", 5, "unterminated string"},
		{"unterminated comment", head + "/* oops\n};", 5, "unterminated comment"},
		{"bad number", head + " p: partition@0 { reg = <0x1g 0x1000>; };\n};", 5, "bad number"},
		{"unknown macro", head + " p: partition@0 { reg = <0 SIZE(4)>; };\n};", 5, "unknown identifier"},
		{"cell count", head + " p: partition@0 { reg = <0 0x1000 4>; };\n};", 5, "3 cells"},
		{"bad cells", "partitions { compatible = \"fixed-partitions\"; #size-cells = <3>;\n p@0 { reg = <0 1 2 3>; }; };", 1, "#size-cells"},
		{"outside device", head + " p: partition@ff000 { reg = <0xff000 0x2000>; };\n};", 5, "outside the device"},
		{"overlap", head + " a: partition@0 { reg = <0 0x2000>; };\n b: partition@1000 { reg = <0x1000 0x1000>; };\n};", 6, "overlaps"},
		{"sub outside parent", head + " o: partition@0 { compatible = \"fixed-subpartitions\"; reg = <0 0x2000>;\n i: partition@0 { reg = <0x1000 0x2000>; }; };\n};", 6, "outside partition"},
		{"duplicate label", head + " a: partition@0 { label = \"x\"; reg = <0 0x1000>; };\n b: partition@1000 { label = \"x\"; reg = <0x1000 0x1000>; };\n};", 6, "already"},
		{"no partitions", "/ { flash { }; };", 1, "fixed-partitions"},
		{"garbage", head + " $;\n};", 5, "unexpected character"},
		{"delete-node", head + " /delete-node/ &x;\n};", 5, "not supported"},
		{"division by zero", head + " p: partition@0 { reg = <0 (1/0)>; };\n};", 5, "division by zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := api.ParseDTS(dtsDev(t), tt.src)
			require.Error(t, err)
			var de *api.DTSError
			require.True(t, errors.As(err, &de), "%v", err)
			assert.Equal(t, tt.line, de.Line, "%v", err)
			assert.Contains(t, err.Error(), tt.msg)
			assert.ErrorIs(t, err, api.ErrDTS)
			assert.Equal(t, neg(errno.EINVAL), rc(err))
		})
	}
}

func TestParseDTSDisabled(t *testing.T) {
	// Disabled partitions may describe another device: they are not checked
	// against this one, keep their ids and open with ENOENT.
	_, dev := newEmu(t, emu.Config{Size: 64 << 10, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xFF})
	m, err := api.ParseDTS(dev, readDTS(t, "disabled.dts")+`
	partitions { compatible = "fixed-partitions"; #address-cells = <1>; #size-cells = <1>;
		off: partition@0 { status = "disabled"; reg = <0x0 0x100000>; };
		on: partition@1000 { reg = <0x1000 0x1000>; }; };`)
	require.NoError(t, err)
	assert.Equal(t, 8, m.Len())
	_, err = m.OpenLabel("off")
	assert.Equal(t, neg(errno.ENOENT), rc(err))
	a, err := m.OpenLabel("on")
	require.NoError(t, err)
	assert.Equal(t, 7, a.ID())
	assert.Len(t, m.Areas(), 1)
}
