package emu

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/errno"
	"github.com/flashemu/flashemu/internal/golden"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func imageDevice(t *testing.T, c Config) *Device {
	d := mustNew(t, c)
	if d.Kind() == NOR {
		require.NoError(t, d.Program(4096, pattern(4096, 1)))
		require.NoError(t, d.Program(d.Size()-8, pattern(8, 2)))
		require.NoError(t, d.Erase(8192, 4096))
		return d
	}
	require.NoError(t, d.ProgramPage(9, pattern(512, 3), []byte{0xff, 1, 2, 3}))
	require.NoError(t, d.ProgramPage(10, pattern(512, 4), nil))
	require.NoError(t, d.Erase(4096*3, 4096))
	require.NoError(t, d.MarkBad(7))
	return d
}

func TestImageRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		opts ImageOptions
	}{
		{"nor raw", norCfg(), ImageOptions{}},
		{"nor sidecar", norCfg(func(c *Config) { c.EraseValue = 0; c.MaxPrograms = 2 }), ImageOptions{Sidecar: true}},
		{"nand separate", nandCfg(func(c *Config) { c.BadBlocks = []int{4} }), ImageOptions{Sidecar: true, OOB: OOBSeparate}},
		{"nand interleaved", nandCfg(), ImageOptions{Sidecar: true, OOB: OOBInterleaved}},
		{"nand no oob", nandCfg(func(c *Config) { c.BadBlocks = []int{4} }), ImageOptions{OOB: OOBNone}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := imageDevice(t, tc.cfg)
			d.Protect(0, 1)
			path := filepath.Join(t.TempDir(), "flash.bin")
			require.NoError(t, d.SaveImage(path, tc.opts))
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			var want bytes.Buffer
			_, err = d.WriteTo(&want)
			require.NoError(t, err)
			if d.Kind() == NOR || tc.opts.OOB != OOBInterleaved {
				assert.Equal(t, d.Dump(), raw, "flash.bin layout: the data, no header")
				assert.Equal(t, want.Bytes(), raw)
			} else {
				assert.Len(t, raw, d.Pages()*(512+16))
				assert.Equal(t, d.Dump()[9*512:10*512], raw[9*528:9*528+512])
				assert.Equal(t, []byte{0xff, 1, 2, 3}, raw[9*528+512:9*528+516])
			}
			if d.Kind() == NAND && tc.opts.OOB == OOBSeparate {
				oob, err := os.ReadFile(OOBPath(path))
				require.NoError(t, err)
				assert.Equal(t, d.DumpOOB(), oob)
			}
			_, err = os.Stat(SidecarPath(path))
			assert.Equal(t, tc.opts.Sidecar, err == nil, "sidecar written only when asked")
			entries, _ := os.ReadDir(filepath.Dir(path))
			for _, e := range entries {
				assert.False(t, strings.Contains(e.Name(), ".tmp"), "no temp file left: %s", e.Name())
			}

			var cfg *Config
			if !tc.opts.Sidecar {
				c := tc.cfg
				cfg = &c
			}
			e, err := Load(path, cfg, tc.opts)
			require.NoError(t, err)
			assert.Equal(t, d.Dump(), e.Dump())
			if tc.opts.OOB != OOBNone {
				assert.Equal(t, d.DumpOOB(), e.DumpOOB())
				// The OOB marks come back (DumpOOB above); the grown-bad chip
				// state (MarkBad of block 7) comes back from the sidecar.
				if tc.opts.Sidecar {
					assert.Equal(t, d.BadBlocks(), e.BadBlocks())
					assert.Equal(t, d.Kind() == NAND, e.IsBad(7))
				} else {
					assert.Equal(t, factoryBad(d.BadBlocks()), e.BadBlocks())
				}
			} else {
				assert.Equal(t, []BadBlock{{4, BadFactory}}, e.BadBlocks(), "factory-bad blocks of the config stay")
			}
			if tc.opts.OOB != OOBNone {
				assert.Equal(t, d.StateHash(), e.StateHash()) // overlays are not saved, none here
			}
			if tc.opts.Sidecar {
				assert.Equal(t, d.Wear(), e.Wear())
				assert.Equal(t, d.Now(), e.Now())
				assert.Equal(t, d.Seq(), e.Seq())
				assert.Equal(t, d.Stats(), e.Stats())
				assert.True(t, e.Protected(0))
				assert.Equal(t, d.Config(), e.Config())
			}
			// The loaded device obeys the physics of what it holds.
			if d.Kind() == NOR {
				assert.NoError(t, e.Program(4096, pattern(4096, 1)[:4]), "the same data again is legal")
				assert.ErrorIs(t, e.Program(4096+4, rep(d.EraseValue(), 4)), ErrProgramViolation)
			} else {
				assert.NoError(t, e.ProgramPage(10, pattern(512, 4), nil), "NOP 2: one more")
				assert.ErrorIs(t, e.ProgramPage(10, pattern(512, 4), nil), ErrProgramLimit, "loaded pages count one program")
				assert.ErrorIs(t, e.ProgramPage(9, nil, nil), ErrPageOrder, "pages up to 10 count as programmed")
			}
		})
	}
}

func TestImageErrors(t *testing.T) {
	dir := t.TempDir()
	d := imageDevice(t, nandCfg())
	path := filepath.Join(dir, "n.bin")
	require.NoError(t, d.SaveImage(path, ImageOptions{Sidecar: true}))
	cfg := nandCfg()
	size := d.Size()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o644))
		return p
	}
	raw, _ := os.ReadFile(path)
	oob, _ := os.ReadFile(OOBPath(path))
	side, _ := os.ReadFile(SidecarPath(path))
	short := write("short.bin", raw[:len(raw)-1])
	write("short.bin.oob", oob)
	long := write("long.bin", append(raw, 0))
	write("long.bin.oob", oob)
	badoob := write("badoob.bin", raw)
	write("badoob.bin.oob", oob[:10])
	nooob := write("nooob.bin", raw)
	noside := write("noside.bin", raw)
	corrupt := write("corrupt.bin", raw)
	write("corrupt.bin.json", side[:len(side)/2])
	version := write("version.bin", raw)
	write("version.bin.json", []byte(strings.Replace(string(side), `"version": 1`, `"version": 9`, 1)))
	geo := write("geo.bin", raw)
	write("geo.bin.oob", oob)
	write("geo.bin.json", []byte(strings.Replace(string(side), `"blocks": 16`, `"blocks": 32`, 1)))
	wear := write("wear.bin", raw)
	write("wear.bin.oob", oob)
	write("wear.bin.json", []byte(strings.Replace(string(side), `"wear": [`, `"wear": [1,`, 1)))

	tests := []struct {
		name string
		path string
		cfg  *Config
		opts ImageOptions
		msg  string
	}{
		{"short image", short, &cfg, ImageOptions{}, "short: " + itoa(size-1) + " bytes, expected " + itoa(size)},
		{"long image", long, &cfg, ImageOptions{}, "long: " + itoa(size+1) + " bytes, expected " + itoa(size)},
		{"short oob", badoob, &cfg, ImageOptions{}, "expected " + itoa(int64(d.Pages()*16))},
		{"missing oob", nooob, &cfg, ImageOptions{}, "OOB file"},
		{"interleaved size", path, &cfg, ImageOptions{OOB: OOBInterleaved}, "expected " + itoa(int64(d.Pages()*528))},
		{"no sidecar no config", noside, nil, ImageOptions{}, "sidecar is needed"},
		{"corrupt sidecar", corrupt, nil, ImageOptions{}, "sidecar"},
		{"sidecar version", version, nil, ImageOptions{}, "version 9"},
		{"sidecar geometry mismatch", geo, &cfg, ImageOptions{Sidecar: true}, "sidecar: configuration"},
		{"sidecar geometry inconsistent", geo, nil, ImageOptions{}, "sidecar: configuration"},
		{"sidecar wear length", wear, nil, ImageOptions{}, "wear for 17 erase units"},
		{"missing image", filepath.Join(dir, "none.bin"), &cfg, ImageOptions{}, "no such file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Load(tc.path, tc.cfg, tc.opts)
			assert.Nil(t, e)
			require.ErrorIs(t, err, ErrCorruptImage)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Equal(t, -22, errno.Of(err))
		})
	}
	// ReadImage over a reader.
	n := mustNew(t, norCfg())
	assert.ErrorIs(t, n.ReadImage(bytes.NewReader(make([]byte, 100)), OOBNone), ErrCorruptImage)
	assert.ErrorIs(t, n.ReadImage(bytes.NewReader(make([]byte, n.Size()+1)), OOBNone), ErrCorruptImage)
	require.NoError(t, n.ReadImage(bytes.NewReader(pattern(int(n.Size()), 5)), OOBNone))
	assert.Equal(t, pattern(int(n.Size()), 5), n.Dump())
	// Saving into a missing directory makes it; saving onto a directory
	// fails before writing anything.
	deep := filepath.Join(dir, "no", "such", "x.bin")
	require.NoError(t, d.SaveImage(deep, ImageOptions{}))
	assert.FileExists(t, deep)
	assert.ErrorContains(t, d.SaveImage(dir, ImageOptions{}), "is a directory")
	assert.ErrorContains(t, d.SaveHex(dir, 0, nil), "is a directory")
	assert.ErrorIs(t, d.SaveImage(path, ImageOptions{OOB: 9}), ErrInvalid)
}

func itoa(v int64) string { return strings.TrimSpace(strings.Repeat(" ", 0) + formatInt(v)) }

func formatInt(v int64) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

func TestImageAtomicReplace(t *testing.T) {
	// Saving over an existing image replaces it whole.
	path := filepath.Join(t.TempDir(), "f.bin")
	a := mustNew(t, norCfg())
	require.NoError(t, a.Program(0, rep(1, 4)))
	require.NoError(t, a.SaveImage(path, ImageOptions{}))
	b := mustNew(t, norCfg())
	require.NoError(t, b.Program(0, rep(2, 4)))
	require.NoError(t, b.SaveImage(path, ImageOptions{}))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, b.Dump(), raw)
}

func TestHex(t *testing.T) {
	d := mustNew(t, norCfg())
	require.NoError(t, d.Program(0x10, pattern(40, 1)))
	require.NoError(t, d.Program(0xfff0, pattern(16, 2)))
	var buf bytes.Buffer
	require.NoError(t, d.WriteHex(&buf, 0x08000000))
	s := buf.String()
	assert.True(t, strings.HasPrefix(s, ":020000040800F2\n"), s)
	assert.True(t, strings.HasSuffix(s, ":00000001FF\n"))

	e := mustNew(t, norCfg())
	require.NoError(t, e.ReadHex(strings.NewReader(s), 0x08000000))
	assert.Equal(t, d.Dump(), e.Dump())

	path := filepath.Join(t.TempDir(), "x.hex")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	f, err := LoadHex(path, norCfg(), 0x08000000)
	require.NoError(t, err)
	assert.Equal(t, d.Dump(), f.Dump())

	bad := []struct {
		name, text, msg string
	}{
		{"checksum", ":0100000001FF\n:00000001FF\n", "checksum"},
		{"no colon", "0100000001FE\n", "':'"},
		{"length", ":05000000010203FF\n", "length"},
		{"no eof", ":0100000001FE\n", "end-of-file"},
		{"outside", ":020000040001F9\n:0100000001FE\n:00000001FF\n", "outside"},
		{"below base", ":0100000001FE\n:00000001FF\n", "outside"},
		{"type", ":0100000701F7\n", "record type"},
		{"hex digits", ":01000000zzFE\n", "hex line 1"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			base := uint32(0)
			if tc.name == "below base" {
				base = 0x100
			}
			err := mustNew(t, norCfg()).ReadHex(strings.NewReader(tc.text), base)
			require.ErrorIs(t, err, ErrCorruptImage)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	assert.ErrorIs(t, d.WriteHex(&buf, 3), ErrInvalid)
}

// FuzzLoadImage feeds arbitrary sidecars and images to Load: it must return
// a device or an error, never panic. Seeded from testdata/image.
func FuzzLoadImage(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "image", "*.json"))
	for _, s := range seeds {
		side, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		img, _ := os.ReadFile(strings.TrimSuffix(s, ".json"))
		oob, _ := os.ReadFile(strings.TrimSuffix(s, ".json") + ".oob")
		f.Add(side, img, oob)
	}
	f.Add([]byte(`{"version":1,"config":{"kind":"nor","size":4096,"erase_unit":4096,"write_block":1}}`), make([]byte, 4096), []byte(nil))
	f.Fuzz(func(t *testing.T, side, img, oob []byte) {
		if len(img) > 1<<20 || len(oob) > 1<<20 {
			return
		}
		// Keep fuzzed geometries small: big sizes are rejected by the file size check anyway.
		dir := t.TempDir()
		path := filepath.Join(dir, "f.bin")
		for name, b := range map[string][]byte{path: img, OOBPath(path): oob, SidecarPath(path): side} {
			if err := os.WriteFile(name, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		d, err := Load(path, nil, ImageOptions{})
		if err != nil {
			if d != nil {
				t.Fatal("device with error")
			}
			return
		}
		if int64(len(d.Dump())) != d.Size() {
			t.Fatal("size")
		}
		_ = d.Read(0, make([]byte, min(d.Size(), 64)))
	})
}

// TestImageSeeds keeps the fuzz seeds in testdata/image loadable (rewrite
// them with -update): a small NOR image with its sidecar and a small NAND
// image with separate OOB.
func TestImageSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "image")
	seeds := map[string]*Device{}
	nor := mustNew(t, Config{Kind: NOR, Size: 8192, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff, MaxPrograms: 2})
	require.NoError(t, nor.Program(16, pattern(32, 1)))
	require.NoError(t, nor.Erase(4096, 4096))
	seeds["nor.bin"] = nor
	nand := mustNew(t, Config{Kind: NAND, PageSize: 256, OOBSize: 8, PagesPerBlock: 4, Blocks: 4, EraseValue: 0xff, NOP: 2, ECCBits: 1, ECCStep: 256, BadBlocks: []int{3}})
	require.NoError(t, nand.ProgramPage(1, pattern(256, 2), []byte{0xff, 9}))
	seeds["nand.bin"] = nand
	for name, d := range seeds {
		path := filepath.Join(dir, name)
		if golden.Update() {
			require.NoError(t, os.MkdirAll(dir, 0o755))
			require.NoError(t, d.SaveImage(path, ImageOptions{Sidecar: true}))
		}
		e, err := Load(path, nil, ImageOptions{})
		require.NoError(t, err, "run with -update to create %s", path)
		assert.Equal(t, d.Dump(), e.Dump(), name)
		assert.Equal(t, d.DumpOOB(), e.DumpOOB(), name)
		assert.Equal(t, d.Wear(), e.Wear(), name)
	}
}

// factoryBad keeps the factory-bad entries of bad.
func factoryBad(bad []BadBlock) []BadBlock {
	var out []BadBlock
	for _, b := range bad {
		if b.Kind == BadFactory {
			out = append(out, b)
		}
	}
	return out
}
