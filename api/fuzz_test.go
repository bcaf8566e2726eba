package api_test

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/errno"
)

func allowedErr(err error, errnos ...errno.Errno) bool {
	if err == nil {
		return true
	}
	for _, e := range errnos {
		if errno.Of(err) == -int(e) {
			return true
		}
	}
	return false
}

// FuzzParseDTS feeds arbitrary text to the devicetree parser: no panic, and
// every error is a line-numbered *DTSError (EINVAL). Seeded from
// testdata/dts.
func FuzzParseDTS(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "dts", "*.dts"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add(`partitions { compatible = "fixed-partitions"; p: partition@0 { reg = <(1<<12) DT_SIZE_K(4)>; }; };`)
	d, err := emu.New(emu.Config{Kind: emu.NOR, Size: 2 << 20, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xFF})
	if err != nil {
		f.Fatal(err)
	}
	dev := api.FromEmu(d)
	f.Fuzz(func(t *testing.T, src string) {
		m, err := api.ParseDTS(dev, src)
		if err != nil {
			var de *api.DTSError
			if !asDTS(err, &de) || de.Line < 1 || errno.Of(err) != -int(errno.EINVAL) {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for _, a := range m.Areas() {
			if a.Offset() < 0 || a.Size() < 0 || a.Offset()+a.Size() > dev.Size() {
				t.Fatalf("area outside the device: %v", a)
			}
		}
	})
}

// FuzzCtl runs arbitrary control commands and partition I/O: no panic and
// only the documented errors.
func FuzzCtl(f *testing.F) {
	file, err := os.Open(filepath.Join("testdata", "ctl", "commands.txt"))
	if err != nil {
		f.Fatal(err)
	}
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		f.Add(sc.Text(), int64(0x1003), []byte{0x12, 0x34})
	}
	file.Close()
	f.Fuzz(func(t *testing.T, cmd string, off int64, data []byte) {
		d, err := emu.New(emu.Config{Kind: emu.NOR, Units: []emu.Run{{Count: 4, Size: 4096}, {Count: 2, Size: 16384}},
			WriteBlock: 4, EraseValue: 0xFF})
		if err != nil {
			t.Fatal(err)
		}
		c, err := api.NewCtl(api.FromEmu(d))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Exec(cmd); !allowedErr(err, errno.EINVAL, errno.ENOENT, errno.EACCES, errno.EIO) {
			t.Fatalf("exec %q: %v", cmd, err)
		}
		_ = c.Info()
		for _, p := range c.Parts() {
			if p.Offset() < 0 || p.Size() < 0 || p.Offset()+p.Size() > d.Size() {
				t.Fatalf("partition outside the device: %v", p)
			}
			_ = p.Info()
			if _, err := p.WriteAt(data, off); !allowedErr(err, errno.EINVAL, errno.EACCES, errno.EIO) && !errors.Is(err, io.EOF) {
				t.Fatalf("write: %v", err)
			}
			buf := make([]byte, min(len(data)+3, 64))
			if _, err := p.ReadAt(buf, off); !allowedErr(err, errno.EINVAL) && !errors.Is(err, io.EOF) {
				t.Fatalf("read: %v", err)
			}
		}
	})
}
