package native_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/faults"
	"github.com/flashemu/flashemu/native"
	"github.com/stretchr/testify/require"
)

const benchReads = 1000

// BenchmarkFlashReadFromC and BenchmarkFlashReadFromGo issue the same
// 16-byte reads; compare their ns/read (the difference is the cost of the
// C-to-Go callback and the host dispatch).
func BenchmarkFlashReadFromC(b *testing.B) {
	dir := b.TempDir()
	src := `#include <zephyr/drivers/flash.h>
int reads(void) {
	const struct device *dev = DEVICE_DT_GET(DT_CHOSEN(zephyr_flash_controller));
	unsigned char buf[16];
	for (int i = 0; i < 1000; i++) {
		if (flash_read(dev, (i % 64) * 16, buf, sizeof(buf)) != 0) return 1;
	}
	return 0;
}
`
	require.NoError(b, os.WriteFile(filepath.Join(dir, "r.c"), []byte(src), 0o644))
	l, err := native.Load(buildLib(b, dir, "libr.so", filepath.Join(dir, "r.c")), native.Options{})
	require.NoError(b, err)
	defer l.Close()
	d := newDev(b)
	b.ResetTimer()
	for b.Loop() {
		if err := l.Run("reads", native.Env{Dev: d}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchReads), "ns/read")
}

func BenchmarkFlashReadFromGo(b *testing.B) {
	d := newDev(b)
	buf := make([]byte, 16)
	for b.Loop() {
		for i := range benchReads {
			if err := d.Read(int64(i%64)*16, buf); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchReads), "ns/read")
}

// BenchmarkSweepCCheck sweeps kv.c with a 48-record log (the size of a
// small FCB sector's worth of entries) from Go, no Lua: the C check mounts
// (walks the whole log), verifies and appends. branches/s is the figure.
func BenchmarkSweepCCheck(b *testing.B) {
	dir := b.TempDir()
	path := buildLib(b, dir, "libkv48.so", "-DVALUES=48", filepath.Join(exampleDir(b), "kv.c"))
	main, err := native.Load(path, native.Options{})
	require.NoError(b, err)
	defer main.Close()
	var libs []*native.Lib
	defer func() {
		for _, l := range libs {
			l.Close()
		}
	}()
	sw := &faults.Sweep{
		Name: "ckv48",
		Device: func() (*emu.Device, error) {
			return emu.New(emu.Config{Kind: emu.NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff, MaxPrograms: 2})
		},
		Workload: main.Workload(),
		CheckFactory: func(int) (faults.CheckFunc, error) {
			l, err := native.Load(path, native.Options{})
			if err != nil {
				return nil, err
			}
			libs = append(libs, l)
			return l.Check(), nil
		},
		Cuts: faults.Cuts{Mode: faults.CutUnit},
	}
	var branches int
	var dur time.Duration
	for b.Loop() {
		t0 := time.Now()
		res, err := faults.Run(context.Background(), sw, faults.Options{Jobs: 2, NoDedup: true})
		dur += time.Since(t0)
		if err != nil || len(res.Failures) > 0 {
			b.Fatal(err, res.Failures)
		}
		branches += res.Levels[0].Checked
	}
	b.ReportMetric(float64(branches)/dur.Seconds(), "branches/s")
}
