package emu

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/flashemu/flashemu/errno"
)

// FuzzReplayTrace feeds arbitrary bytes to the trace replayer (flash.replay,
// flashemu image replay) on a small NOR and NAND device: it must return an
// error with an errno or apply what it read, never panic; the seeds are
// real traces (the field dump's and hand-written edge cases).
func FuzzReplayTrace(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("..", "scripts", "testdata", "field_dump.jsonl")); err == nil {
		lines := bytes.SplitAfter(b, []byte("\n"))
		f.Add(bytes.Join(lines[:min(40, len(lines))], nil), uint8(0))
	}
	f.Add([]byte(`{"test":"a","seq":0,"op":"program","off":0,"len":1,"page":-1,"applied":true,"data":"00"}`+"\n"), uint8(1))
	f.Add([]byte(`{"seq":0,"op":"erase","off":0,"len":4096,"page":-1,"applied":true}`+"\n"+`{"seq":1,"op":"program_oob","off":0,"len":2,"page":3,"applied":true,"data":"0000"}`), uint8(2))
	f.Add([]byte(`{"seq":5,"op":"program","off":-1,"len":-1,"page":99999999,"applied":true,"data":"zz"}`), uint8(3))
	f.Fuzz(func(t *testing.T, trace []byte, mode uint8) {
		var d *Device
		var err error
		if mode%2 == 0 {
			d, err = New(Config{Kind: NOR, Size: 16384, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
		} else {
			d, err = New(Config{Kind: NAND, PageSize: 512, OOBSize: 16, PagesPerBlock: 4, Blocks: 4})
		}
		if err != nil {
			t.Fatal(err)
		}
		o := ReplayOptions{Before: uint64(mode / 4), HasBefore: mode&2 != 0}
		if mode&4 != 0 {
			o.Test = "a"
		}
		n, err := ReplayTrace(d, bytes.NewReader(trace), o)
		if err != nil && (errno.Of(err) >= 0 || err.Error() == "") {
			t.Fatalf("error without errno or message: %v", err)
		}
		if n < 0 {
			t.Fatalf("applied %d", n)
		}
	})
}
