package emu

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriteThrough: every operation reaches the image file as it ends
// (the file matches the array without a Close), and reopening gives the
// same content; NAND spare areas too, in both layouts.
func TestWriteThrough(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		opts ImageOptions
	}{
		{"nor", norCfg(), ImageOptions{}},
		{"nor ev 0", norCfg(func(c *Config) { c.EraseValue = 0 }), ImageOptions{}},
		{"nand separate", nandCfg(func(c *Config) { c.BadBlocks = []int{4} }), ImageOptions{OOB: OOBSeparate}},
		{"nand interleaved", nandCfg(), ImageOptions{OOB: OOBInterleaved}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "flash.bin")
			d, err := OpenFile(path, tc.cfg, tc.opts)
			require.NoError(t, err)
			assert.True(t, d.WriteThrough())
			onDisk := func() ([]byte, []byte) {
				b, err := os.ReadFile(path)
				require.NoError(t, err)
				if d.Kind() == NAND && tc.opts.OOB == OOBInterleaved {
					var data, oob []byte
					for p := 0; p < d.Pages(); p++ {
						data = append(data, b[p*528:p*528+512]...)
						oob = append(oob, b[p*528+512:(p+1)*528]...)
					}
					return data, oob
				}
				var oob []byte
				if d.Kind() == NAND {
					oob, err = os.ReadFile(OOBPath(path))
					require.NoError(t, err)
				}
				return b, oob
			}
			check := func(what string) {
				data, oob := onDisk()
				require.Equal(t, d.Dump(), data, "%s: data on disk", what)
				require.Equal(t, d.DumpOOB(), oob, "%s: spare areas on disk", what)
			}
			check("created erased")
			if d.Kind() == NOR {
				require.NoError(t, d.Program(4096, pattern(4096, 1)))
				check("program")
				require.NoError(t, d.Program(100, []byte{1, 2, 3, 4}))
				check("small program")
				require.NoError(t, d.Erase(4096, 4096))
				check("erase")
				require.NoError(t, d.Program(8192-8, pattern(16, 2)))
				check("program across units")
			} else {
				require.NoError(t, d.ProgramPage(9, pattern(512, 3), []byte{0xff, 1, 2, 3}))
				check("page program")
				require.NoError(t, d.Program(10*512, pattern(1024, 4)))
				check("two pages")
				require.NoError(t, d.WriteOOB(12, []byte{0, 7}))
				check("write oob")
				require.NoError(t, d.Erase(4096, 4096))
				check("erase")
				require.NoError(t, d.WriteOOB(20, []byte{0x5a}))
			}
			// A program cut by a hook part-way: what landed is on disk too.
			d.SetHook(cutHook{})
			assert.Error(t, d.Program(16384, pattern(64, 5)))
			d.SetHook(nil)
			check("cut program")
			want, wantOOB := d.Dump(), d.DumpOOB()
			require.NoError(t, d.Close())
			assert.False(t, d.WriteThrough())

			e, err := OpenFile(path, tc.cfg, tc.opts)
			require.NoError(t, err)
			assert.Equal(t, want, e.Dump())
			assert.Equal(t, wantOOB, e.DumpOOB())
			require.NoError(t, e.Close())
			// The file is a plain image: Load reads it too.
			f, err := Load(path, &tc.cfg, tc.opts)
			require.NoError(t, err)
			assert.Equal(t, want, f.Dump())
		})
	}
	t.Run("sync after restore", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "flash.bin")
		d, err := OpenFile(path, norCfg(), ImageOptions{})
		require.NoError(t, err)
		s := d.Snapshot()
		require.NoError(t, d.Program(0, []byte{1, 2, 3, 4}))
		require.NoError(t, d.Restore(s))
		require.NoError(t, d.Sync())
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, d.Dump(), b)
		require.NoError(t, d.Close())
	})
	t.Run("errors", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "short.bin")
		require.NoError(t, os.WriteFile(path, []byte{1, 2, 3}, 0o644))
		_, err := OpenFile(path, norCfg(), ImageOptions{})
		assert.ErrorIs(t, err, ErrCorruptImage)
		_, err = OpenFile(filepath.Join(dir, "x.bin"), norCfg(), ImageOptions{Sidecar: true})
		assert.ErrorIs(t, err, ErrInvalid)
		_, err = OpenFile(filepath.Join(dir, "no", "such", "dir.bin"), norCfg(), ImageOptions{})
		assert.Error(t, err)
		assert.NoError(t, mustNew(t, norCfg()).Close(), "nothing to close")
	})
}

// cutHook stops every program half-way, programming its first half.
type cutHook struct{}

func (cutHook) Before(d *Device, op *Op) error {
	if op.Kind == OpProgram {
		_ = d.ApplyProgram(op.Off, op.Data[:op.Len/2])
		return ErrPowerLoss
	}
	return nil
}

func (cutHook) After(d *Device, op *Op, err error) error { return err }

// TestWriteThroughKill: a process killed with SIGKILL between operations
// leaves every completed operation in the image.
func TestWriteThroughKill(t *testing.T) {
	if os.Getenv("EMU_WT_CHILD") != "" {
		writeThroughChild()
		return
	}
	path := filepath.Join(t.TempDir(), "flash.bin")
	cmd := exec.Command(os.Args[0], "-test.run=^TestWriteThroughKill$")
	cmd.Env = append(os.Environ(), "EMU_WT_CHILD="+path)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	done := -1
	for sc.Scan() {
		if n, err := strconv.Atoi(sc.Text()); err == nil {
			done = n
			if n == 20 {
				break
			}
		}
	}
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no Close, no deferred code
	_ = cmd.Wait()
	require.Equal(t, 20, done, "child reported its operations")
	d, err := OpenFile(path, norCfg(), ImageOptions{})
	require.NoError(t, err)
	defer d.Close()
	for i := 0; i <= done; i++ {
		assert.Equal(t, []byte{byte(i), byte(i + 1), byte(i + 2), byte(i + 3)}, read(t, d, int64(i)*4, 4), "op %d", i)
	}
}

// writeThroughChild programs word i and prints i, then waits to be killed.
func writeThroughChild() {
	d, err := OpenFile(os.Getenv("EMU_WT_CHILD"), norCfg(), ImageOptions{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		if i < 1000 {
			if err := d.Program(int64(i)*4, []byte{byte(i), byte(i + 1), byte(i + 2), byte(i + 3)}); err != nil {
				fmt.Println("error", err)
				os.Exit(1)
			}
		}
		fmt.Println(i)
		if i >= 20 {
			time.Sleep(time.Hour) // wait for the kill
		}
	}
}

// A write-through device keeps flash.bin up to date after every operation,
// like native_sim's --flash: a crash loses at most the operation in flight.
func ExampleOpenFile() {
	dir, _ := os.MkdirTemp("", "flash")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "flash.bin")
	cfg := Config{Kind: NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff}
	d, _ := OpenFile(path, cfg, ImageOptions{})
	_ = d.Program(0, []byte("DATA"))
	b, _ := os.ReadFile(path) // no Close needed to see it
	fmt.Printf("%q %d\n", b[:4], len(b))
	_ = d.Close()
	e, _ := OpenFile(path, cfg, ImageOptions{})
	defer e.Close()
	p := make([]byte, 4)
	_ = e.Read(0, p)
	fmt.Printf("%q\n", p)
	// Output:
	// "DATA" 8192
	// "DATA"
}
