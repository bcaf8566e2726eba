package api_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newChipCtl(t *testing.T, chip string) (*emu.Device, api.Device, *api.Ctl) {
	t.Helper()
	d, err := emu.NewChip(chip)
	require.NoError(t, err)
	dev := api.FromEmu(d)
	c, err := api.NewCtl(dev)
	require.NoError(t, err)
	return d, dev, c
}

func TestCtlInfo(t *testing.T) {
	tests := []struct {
		chip string
		want string
	}{
		{"w25q128jv", "0xef 0x4018 1 nor\n0x00000000 0x01000000 0x00001000\n"},
		{"stm32f4", "0x20 0x0413 1 nor\n" +
			"0x00000000 0x00010000 0x00004000\n0x00010000 0x00020000 0x00010000\n0x00020000 0x00100000 0x00020000\n"},
		{"mt29f1g08", "0x2c 0x00f1 1 nand\n0x00000000 0x08000000 0x00020000 0x00000840\n"},
	}
	for _, tt := range tests {
		t.Run(tt.chip, func(t *testing.T) {
			_, _, c := newChipCtl(t, tt.chip)
			assert.Equal(t, tt.want, c.Info())
		})
	}

	// A partition shows only its part of the regions, clipped.
	_, _, c := newChipCtl(t, "stm32f4")
	require.NoError(t, c.Exec("add mid 0x8000 0x40000"))
	p, err := c.Part("mid")
	require.NoError(t, err)
	assert.Equal(t, "0x20 0x0413 1 nor\n"+
		"0x00008000 0x00010000 0x00004000\n0x00010000 0x00020000 0x00010000\n0x00020000 0x00040000 0x00020000\n", p.Info())
}

func TestCtlAdd(t *testing.T) {
	_, _, c := newChipCtl(t, "w25q128jv")
	require.NoError(t, c.Exec("add boot 0 0x10000"))
	require.NoError(t, c.Exec("add data 0x10000 020000000\nadd rest 0xfe0000 end")) // octal; "end"; several lines
	require.NoError(t, c.Exec("add tail 0xff0000"))                                 // end omitted
	p, err := c.Part("data")
	require.NoError(t, err)
	assert.Equal(t, int64(0x10000), p.Offset())
	assert.Equal(t, int64(0x400000-0x10000), p.Size())
	rest, err := c.Part("rest")
	require.NoError(t, err)
	assert.Equal(t, int64(0x20000), rest.Size())
	tail, err := c.Part("tail")
	require.NoError(t, err)
	assert.Equal(t, int64(0x10000), tail.Size())

	// Inside a partition, numbers are relative to it.
	require.NoError(t, p.Exec("add sub 0x1000 0x3000"))
	sub, err := c.Part("sub")
	require.NoError(t, err)
	assert.Equal(t, int64(0x11000), sub.Offset())
	assert.Equal(t, int64(0x2000), sub.Size())
	names := []string{}
	for _, q := range c.Parts() {
		names = append(names, q.Name())
	}
	assert.Equal(t, []string{"flash", "boot", "data", "rest", "tail", "sub"}, names)
	require.NoError(t, c.Exec("add empty 0x20000 0x20000"), "an empty partition is allowed, as in Plan 9")

	bad := []struct {
		part *api.Partition
		cmd  string
	}{
		{nil, "add boot 0 0x1000"},         // exists
		{nil, "add x 0x800 0x1000"},        // not unit aligned
		{nil, "add x 0 0x1001"},            // not unit aligned
		{nil, "add x 0x2000 0x1000"},       // start > end
		{nil, "add x 0 0x2000000"},         // past the device
		{nil, "add x 0x1000000 0x1000000"}, // start at the end
		{nil, "add x 0x1000 0x2000 extra"}, // too many fields
		{nil, "add x"},                     // too few
		{nil, "add x 0x1g 0x2000"},         // not a number
		{nil, "add x 08 0x2000"},           // bad octal
		{nil, "add x -0x1000 0x2000"},      // negative
		{sub, "add y 0 0x3000"},            // past the sub-partition
		{nil, "frobnicate"},                // unknown
		{nil, "erase"},                     // usage
		{nil, "erase 0x800"},               // not a unit start
		{nil, "erase 0x1000000"},           // no region there
		{nil, "remove flash"},              // the whole device stays
	}
	for _, b := range bad {
		target := b.part
		if target == nil {
			target, _ = c.Part("flash")
		}
		err := target.Exec(b.cmd)
		assert.Error(t, err, b.cmd)
		assert.Equal(t, neg(errno.EINVAL), rc(err), b.cmd)
	}
	assert.Equal(t, neg(errno.ENOENT), rc(c.Exec("remove nosuch")))
	_, err = c.Part("nosuch")
	assert.Equal(t, neg(errno.ENOENT), rc(err))
	require.NoError(t, c.Exec("remove sub"))
	_, err = c.Part("sub")
	assert.Error(t, err)
	require.NoError(t, c.Exec("sync"))
	require.NoError(t, c.Exec("  \n\n"))
	n, err := c.Write([]byte("add w 0x20000 0x30000\n"))
	require.NoError(t, err)
	assert.Equal(t, 22, n)
}

func TestCtlProtectBoot(t *testing.T) {
	d, dev, c := newChipCtl(t, "w25q128jv")
	assert.True(t, c.Protected())
	assert.True(t, d.Protected(0), "unit 0 is hardware-protected by default")
	assert.False(t, d.Protected(1))
	flash, err := c.Part("flash")
	require.NoError(t, err)

	// Partition writes and erases of unit 0 fail with EACCES...
	_, err = flash.WriteAt([]byte{0}, 0x10)
	assert.ErrorIs(t, err, api.ErrProtected)
	assert.Equal(t, neg(errno.EACCES), rc(err))
	assert.Equal(t, neg(errno.EACCES), rc(c.Exec("erase 0")))
	// ... and so do direct device and flash_area writes.
	assert.Equal(t, neg(errno.EACCES), rc(dev.Write(0, []byte{0})))
	a := flash.Area()
	assert.Equal(t, neg(errno.EACCES), rc(a.Write(0, []byte{0})))

	// erase all on a partition holding the protected unit fails as
	// devflash.c does ("flash region protected") and erases nothing.
	_, err = flash.WriteAt([]byte{1, 2, 3}, 0x1000)
	require.NoError(t, err)
	require.NoError(t, d.Poke(0, []byte{0x42}))
	err = c.Exec("erase all")
	require.ErrorIs(t, err, api.ErrProtected)
	assert.Contains(t, err.Error(), "flash region protected")
	assert.Equal(t, neg(errno.EACCES), rc(err))
	got := make([]byte, 3)
	_, err = flash.ReadAt(got, 0x1000)
	require.NoError(t, err)
	assert.Equal(t, []byte{1, 2, 3}, got, "nothing erased")
	_, err = flash.ReadAt(got[:1], 0)
	require.NoError(t, err)
	assert.Equal(t, byte(0x42), got[0], "the boot unit is intact")
	// a partition without the boot unit erases fine
	require.NoError(t, c.Exec("add rest 0x1000"))
	rest, err := c.Part("rest")
	require.NoError(t, err)
	require.NoError(t, rest.Exec("erase all"))
	_, err = flash.ReadAt(got, 0x1000)
	require.NoError(t, err)
	assert.Equal(t, []byte{0xFF, 0xFF, 0xFF}, got)

	require.NoError(t, c.Exec("protectboot off"))
	assert.False(t, c.Protected())
	assert.False(t, d.Protected(0))
	require.NoError(t, dev.Write(0x20, []byte{0}))
	require.NoError(t, c.Exec("erase 0"))
	require.NoError(t, c.Exec("protectboot on")) // any other argument protects
	assert.True(t, d.Protected(0))
	require.NoError(t, c.Exec("protectboot off"))
	require.NoError(t, c.Exec("protectboot"))
	assert.True(t, c.Protected())
}

func TestPartitionReadWrite(t *testing.T) {
	for _, wbs := range []int{1, 8, 16} {
		for _, ev := range []byte{0xFF, 0x00} {
			d, dev := newEmu(t, emu.Config{Size: 64 << 10, EraseUnit: 4096, WriteBlock: wbs, EraseValue: ev, AlignedReads: true})
			c, err := api.NewCtl(dev)
			require.NoError(t, err)
			require.NoError(t, c.Exec("add data 0x1000 0x3000"))
			p, err := c.Part("data")
			require.NoError(t, err)
			erased := fillBytes(int(p.Size()), ev)

			// Byte-granular writes program exactly the bytes given.
			msg := []byte("hello, flash")
			for i := range msg {
				msg[i] ^= ^ev & 0x0F // keep it programmable on either flash
				msg[i] = ((msg[i] ^ ev) | 0x01) ^ ev
			}
			n, err := p.WriteAt(msg, 3)
			require.NoError(t, err)
			assert.Equal(t, len(msg), n)
			want := bytes.Clone(erased)
			copy(want[3:], msg)
			got := make([]byte, p.Size())
			_, err = p.ReadAt(got, 0)
			require.NoError(t, err)
			require.Equal(t, want, got, "wbs %d ev %#x", wbs, ev)

			// Clearing more bits of programmed bytes is fine.
			more := []byte{ev ^ 0xFF}
			_, err = p.WriteAt(more, 5)
			require.NoError(t, err)
			want[5] = ev ^ 0xFF

			// A write that would return a programmed bit to the erased state
			// fails and changes nothing.
			_, err = p.WriteAt([]byte{ev}, 5)
			assert.ErrorIs(t, err, api.ErrBitSet)
			assert.Equal(t, neg(errno.EIO), rc(err))
			_, err = p.ReadAt(got, 0)
			require.NoError(t, err)
			require.Equal(t, want, got)

			// Unaligned reads work on a device that refuses them.
			small := make([]byte, 5)
			_, err = p.ReadAt(small, 4)
			require.NoError(t, err)
			assert.Equal(t, want[4:9], small)
			if wbs > 1 {
				assert.Equal(t, neg(errno.EINVAL), rc(dev.Read(p.Offset()+1, small)))
			}

			// Past the end: short with io.EOF.
			n, err = p.ReadAt(make([]byte, 10), p.Size()-4)
			assert.Equal(t, 4, n)
			assert.ErrorIs(t, err, io.EOF)
			n, err = p.WriteAt(fillBytes(10, ev^0xFF), p.Size()-4)
			assert.Equal(t, 4, n)
			assert.ErrorIs(t, err, io.EOF)
			n, err = p.ReadAt(small, p.Size())
			assert.Zero(t, n)
			assert.ErrorIs(t, err, io.EOF)
			_, err = p.ReadAt(small, -1)
			assert.Equal(t, neg(errno.EINVAL), rc(err))

			// The partition is a flash area too.
			a := p.Area()
			assert.Equal(t, "data", a.Label())
			assert.Equal(t, int64(0x1000), a.Offset())
			assert.Equal(t, int64(0x2000), a.Size())
			require.NoError(t, p.Exec("erase 0x1000"))
			assert.Equal(t, uint32(1), d.Wear()[2])
			assert.Zero(t, d.Stats().Violations)
		}
	}
}

func TestPartitionWriteVerify(t *testing.T) {
	// A stuck cell makes the read-back differ: Plan 9's "fails to be
	// programmed correctly".
	d, dev := newEmu(t, emu.Config{Size: 16 << 10, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xFF})
	require.NoError(t, d.SetStuck(0x1000, 0, true))
	c, err := api.NewCtl(dev)
	require.NoError(t, err)
	p, err := c.Part("flash")
	require.NoError(t, err)
	_, err = p.WriteAt([]byte{0x00}, 0x1000)
	assert.ErrorIs(t, err, api.ErrVerify)
	assert.Equal(t, neg(errno.EIO), rc(err))
}

func TestNewCtlErrors(t *testing.T) {
	_, err := api.NewCtl(nil)
	assert.Equal(t, neg(errno.ENODEV), rc(err))
}

func TestCtlForArea(t *testing.T) {
	_, dev, c := newChipCtl(t, "w25q128jv")
	a, err := api.NewArea(dev, "storage", 0x10000, 0x8000)
	require.NoError(t, err)
	p, err := c.ForArea(a)
	require.NoError(t, err)
	assert.Equal(t, "storage", p.Name())
	assert.Equal(t, int64(0x10000), p.Offset())
	again, err := c.ForArea(a)
	require.NoError(t, err)
	assert.Same(t, p, again)
	require.NoError(t, p.Exec("erase 0x1000"))

	// Same label, other range: a generated name.
	b, err := api.NewArea(dev, "storage", 0x20000, 0x1000)
	require.NoError(t, err)
	q, err := c.ForArea(b)
	require.NoError(t, err)
	assert.Equal(t, "area@0x20000", q.Name())

	odd, err := api.NewArea(dev, "odd", 0x100, 0x1000)
	require.NoError(t, err)
	_, err = c.ForArea(odd)
	assert.Equal(t, neg(errno.EINVAL), rc(err))
	twin, err := api.NewArea(api.FromEmu(mustEmu(t, dev)), "storage", 0x10000, 0x8000)
	require.NoError(t, err)
	p2, err := c.ForArea(twin)
	require.NoError(t, err, "another adapter of the same emu device")
	assert.Same(t, p, p2)
	_, other := newEmu(t, emu.Config{Size: 64 << 10, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xFF})
	elsewhere, err := api.NewArea(other, "x", 0, 4096)
	require.NoError(t, err)
	_, err = c.ForArea(elsewhere)
	assert.Equal(t, neg(errno.EINVAL), rc(err))
}

func mustEmu(t *testing.T, dev api.Device) *emu.Device {
	d, ok := api.EmuOf(dev)
	require.True(t, ok)
	return d
}
