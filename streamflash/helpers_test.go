package streamflash_test

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/settings"
	"github.com/stretchr/testify/require"
)

// wrap turns an emu device into the api.Device the stream uses.
func wrap(d *emu.Device) api.Device { return api.FromEmu(d) }

// newNOR makes a uniform NOR device that counts violations instead of
// refusing them, so that a write onto unerased flash shows up in its stats.
func newNOR(t testing.TB, size int64, page, wbs int, ev byte) *emu.Device {
	t.Helper()
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: size, EraseUnit: page, WriteBlock: wbs,
		EraseValue: ev, Violations: emu.ViolationsCount})
	require.NoError(t, err)
	return d
}

// fillDevice programs every byte of d to v (from the erased state): the
// "fully programmed, nothing erased" start of the erase-mode vectors.
func fillDevice(t testing.TB, d *emu.Device, v byte) {
	t.Helper()
	buf := make([]byte, 4096)
	for i := range buf {
		buf[i] = v
	}
	for off := int64(0); off < d.Size(); off += int64(len(buf)) {
		require.NoError(t, d.Program(off, buf[:min(int64(len(buf)), d.Size()-off)]))
	}
}

// dump reads the whole device.
func dump(t testing.TB, d api.Device) []byte {
	t.Helper()
	img := make([]byte, d.Size())
	require.NoError(t, d.Read(0, img))
	return img
}

// streamBytes is the vectors' stream rule: byte i is (i*31+7) mod 256.
func streamBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + 7)
	}
	return b
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// flashOp is one recorded device operation, as in the vectors' flash_ops.
type flashOp struct {
	Op         string // "E", "W" (and "R" when reads are recorded)
	Off, Len   int64
	RC         int
	Violations int // bytes whose program asked a bit to return to erased
}

// recorder wraps an api.Device and records every erase and write with its
// result and the number of NOR-violating bytes (computed from the content
// before the write). Reads are passed through and counted.
type recorder struct {
	api.Device
	ops   []flashOp
	reads int
}

func (r *recorder) Erase(off, n int64) error {
	err := r.Device.Erase(off, n)
	r.ops = append(r.ops, flashOp{"E", off, n, errno.Of(err), 0})
	return err
}

func (r *recorder) Write(off int64, p []byte) error {
	viol := 0
	if off >= 0 && off+int64(len(p)) <= r.Device.Size() {
		old := make([]byte, len(p))
		if r.Device.Read(off, old) == nil {
			ev := r.Device.Parameters().EraseValue
			for i := range p {
				if (old[i]^ev)&^(p[i]^ev) != 0 {
					viol++
				}
			}
		}
	}
	err := r.Device.Write(off, p)
	if err != nil {
		viol = 0
	}
	r.ops = append(r.ops, flashOp{"W", off, int64(len(p)), errno.Of(err), viol})
	return err
}

func (r *recorder) Read(off int64, p []byte) error {
	r.reads++
	return r.Device.Read(off, p)
}

// erases counts the erase operations recorded from index i on.
func (r *recorder) erasesSince(i int) int {
	n := 0
	for _, op := range r.ops[i:] {
		if op.Op == "E" {
			n++
		}
	}
	return n
}

// memStore is an in-memory streamflash.Store.
type memStore map[string][]byte

func (m memStore) Save(key string, v []byte) error {
	m[key] = append([]byte(nil), v...)
	return nil
}

func (m memStore) Load(key string) ([]byte, bool, error) {
	v, ok := m[key]
	return v, ok, nil
}

func (m memStore) Delete(key string) error {
	delete(m, key)
	return nil
}

// newSettingsStore is a settings FCB store on its own 16 KiB flash
// (4 sectors of 4 KiB), like Zephyr's storage_partition.
func newSettingsStore(t testing.TB) *settings.Store {
	t.Helper()
	d := newNOR(t, 16<<10, 4096, 4, 0xff)
	a, err := api.NewArea(wrap(d), "storage", 0, d.Size())
	require.NoError(t, err)
	s, err := settings.New(a, settings.Options{})
	require.NoError(t, err)
	return s
}

// fakeDev wraps a device and replaces some of its operations, like the
// fake_api devices of Zephyr's stream_flash tests.
type fakeDev struct {
	api.Device
	read  func(off int64, p []byte) error
	write func(off int64, p []byte) error
	erase func(off, n int64) error
}

func (f *fakeDev) Read(off int64, p []byte) error {
	if f.read != nil {
		return f.read(off, p)
	}
	return f.Device.Read(off, p)
}

func (f *fakeDev) Write(off int64, p []byte) error {
	if f.write != nil {
		return f.write(off, p)
	}
	return f.Device.Write(off, p)
}

func (f *fakeDev) Erase(off, n int64) error {
	if f.erase != nil {
		return f.erase(off, n)
	}
	return f.Device.Erase(off, n)
}
