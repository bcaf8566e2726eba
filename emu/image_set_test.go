package emu

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flashemu/flashemu/internal/testseed"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 13 item 2: an old sidecar next to a new image (a crash between the
// renames, or a hand copy) is refused, not combined.
func TestImageMixedSetRefused(t *testing.T) {
	for _, c := range []Config{norCfg(), nandCfg()} {
		t.Run(c.Kind.String(), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "img.bin")
			d := mustNew(t, c)
			require.NoError(t, d.SaveImage(path, ImageOptions{Sidecar: true}))
			oldSide, err := os.ReadFile(SidecarPath(path))
			require.NoError(t, err)
			oldOOB, _ := os.ReadFile(OOBPath(path))
			require.NoError(t, d.Erase(0, 4096))
			if d.Kind() == NAND {
				require.NoError(t, d.ProgramPage(0, pattern(512, 1), []byte{0xff, 9}))
			} else {
				require.NoError(t, d.Program(0, pattern(64, 1)))
			}
			require.NoError(t, d.SaveImage(path, ImageOptions{Sidecar: true}))
			_, err = Load(path, nil, ImageOptions{})
			require.NoError(t, err)

			require.NoError(t, os.WriteFile(SidecarPath(path), oldSide, 0o644))
			_, err = Load(path, nil, ImageOptions{})
			require.ErrorIs(t, err, ErrCorruptImage)
			assert.Contains(t, err.Error(), "different saves")
			_, err = CheckImage(path)
			assert.ErrorIs(t, err, ErrCorruptImage)

			if d.Kind() == NAND { // new image and sidecar, old OOB file
				require.NoError(t, d.SaveImage(path, ImageOptions{Sidecar: true}))
				require.NoError(t, os.WriteFile(OOBPath(path), oldOOB, 0o644))
				_, err = Load(path, nil, ImageOptions{})
				require.ErrorIs(t, err, ErrCorruptImage)
				assert.Contains(t, err.Error(), ".oob does not match")
			}
		})
	}
}

// Issue 13 item 2: one strict sidecar check for load, wear and image info.
func TestSidecarValidate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "img.bin")
	d := mustNew(t, nandCfg())
	require.NoError(t, d.SaveImage(path, ImageOptions{Sidecar: true}))
	sc, err := CheckImage(path)
	require.NoError(t, err)
	require.NoError(t, sc.Validate())

	bad := []struct {
		name string
		mod  func(*Sidecar)
		msg  string
	}{
		{"short wear", func(s *Sidecar) { s.Wear = s.Wear[:1] }, "wear for 1 erase units"},
		{"negative clock", func(s *Sidecar) { s.ClockNs = -1 }, "clock -1"},
		{"protect outside", func(s *Sidecar) { s.Protected = []int{99} }, "protects erase unit 99"},
		{"grown bad outside", func(s *Sidecar) { s.GrownBad = []int{-1} }, "grown-bad block -1"},
		{"content", func(s *Sidecar) { s.Content = "maybe" }, "content"},
		{"digest", func(s *Sidecar) { s.ImageSHA256 = "xyz" }, "digest"},
		{"negative stats", func(s *Sidecar) { s.Stats.EraseNs = -5 }, "negative"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			c := *sc
			c.Wear = append([]uint32(nil), sc.Wear...)
			tc.mod(&c)
			err := c.Validate()
			require.ErrorIs(t, err, ErrCorruptImage)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	// unknown fields are refused too (a typo must not pass silently)
	b, err := os.ReadFile(SidecarPath(path))
	require.NoError(t, err)
	_, err = ParseSidecar(bytes.Replace(b, []byte(`"seq"`), []byte(`"sequence"`), 1))
	assert.ErrorIs(t, err, ErrCorruptImage)

	// a missing .oob is an error for CheckImage as for Load
	require.NoError(t, os.Remove(OOBPath(path)))
	_, err = CheckImage(path)
	require.ErrorIs(t, err, ErrCorruptImage)
	assert.Contains(t, err.Error(), "OOB file")

	// bounded: /dev/zero as a sidecar or image is refused quickly
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err = ReadSidecar("/dev/zero")
		assert.ErrorIs(t, err, ErrCorruptImage)
		c := norCfg()
		_, err = Load("/dev/zero", &c, ImageOptions{})
		assert.ErrorIs(t, err, ErrCorruptImage)
		_, err = LoadHex("/dev/zero", c, 0)
		assert.ErrorIs(t, err, ErrCorruptImage)
	}
}

// Issue 13 item 6: an image saves the stored bits or, with AsRead, what a
// read returns; the sidecar says which.
func TestImageAsRead(t *testing.T) {
	d := mustNew(t, norCfg(func(c *Config) { c.WriteBlock = 1 }))
	require.NoError(t, d.Program(0, []byte{0xAA}))
	require.NoError(t, d.XorFlips(0, []byte{0x01}))
	dir := t.TempDir()
	stored, asRead := filepath.Join(dir, "s.bin"), filepath.Join(dir, "r.bin")
	require.NoError(t, d.SaveImage(stored, ImageOptions{Sidecar: true}))
	require.NoError(t, d.SaveImage(asRead, ImageOptions{Sidecar: true, AsRead: true}))
	s, err := os.ReadFile(stored)
	require.NoError(t, err)
	r, err := os.ReadFile(asRead)
	require.NoError(t, err)
	assert.Equal(t, byte(0xAA), s[0])
	assert.Equal(t, byte(0xAB), r[0])
	want, _, _ := d.DumpAsRead()
	assert.Equal(t, want, r)
	for p, content := range map[string]string{stored: ContentStored, asRead: ContentAsRead} {
		sc, err := CheckImage(p)
		require.NoError(t, err)
		assert.Equal(t, content, sc.Content)
	}
}

// Issue 13 item 2: kill -9 during a large save leaves the old set or the
// new one (a save killed during its renames is finished by Load from its
// journal); never old data with new wear, never a set that does not load. The child
// (this test binary re-run) saves generation 1, 2, ... of a 64 MiB device,
// each generation with its own data byte and wear; the parent kills it at
// a random instant (seeded) and loads what is left.
func TestImageSaveKill(t *testing.T) {
	if os.Getenv("FLASHEMU_SAVE_CHILD") != "" {
		saveChild(os.Getenv("FLASHEMU_SAVE_CHILD"))
		return
	}
	if testing.Short() {
		t.Skip("large save in a subprocess")
	}
	seed := testseed.Seed(t, *propSeed, "emu.seed", "EMU_SEED")
	rng := rand.New(rand.NewPCG(seed, 0))
	dir := t.TempDir()
	path := filepath.Join(dir, "big.bin")
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestImageSaveKill$")
		cmd.Env = append(os.Environ(), "FLASHEMU_SAVE_CHILD="+path)
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		// wait for the first complete save (round 0 also kills before it)
		if round > 0 {
			line := make([]byte, 64)
			n, err := stdout.Read(line)
			require.NoError(t, err, "the child saves")
			require.Contains(t, string(line[:n]), "saved generation", "the child saves")
		}
		delay := time.Duration(rng.IntN(1500)) * time.Millisecond
		time.Sleep(delay)
		require.NoError(t, cmd.Process.Kill())
		_ = cmd.Wait()
		d, err := Load(path, nil, ImageOptions{})
		if err != nil {
			if round == 0 && strings.Contains(err.Error(), "no such file") {
				t.Logf("round 0: killed after %v, before the first set existed", delay)
				continue
			}
			t.Fatalf("round %d: killed after %v: the set does not load (a killed save must leave the old set or, through its journal, the new one): %v", round, delay, err)
		}
		// data and wear of the same generation
		b := make([]byte, 1)
		require.NoError(t, d.Peek(0, b))
		gen := int(^b[0])
		assert.Equal(t, uint32(gen), d.Wear()[0], "round %d after %v: data of generation %d with wear %d", round, delay, gen, d.Wear()[0])
		t.Logf("round %d: killed after %v, loaded generation %d", round, delay, gen)
	}
	// stale temps of the killed children are removed by the next save
	d := mustNew(t, Config{Kind: NOR, Size: 1 << 16, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
	require.NoError(t, d.SaveImage(path, ImageOptions{Sidecar: true}))
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		assert.NotContains(t, e.Name(), ".tmp.", "stale temp left")
	}
}

// saveChild saves generations of a 64 MiB NOR device until killed:
// generation g has byte ^g at 0 and erase count g on unit 0.
func saveChild(path string) {
	d, err := New(Config{Kind: NOR, Size: 64 << 20, EraseUnit: 4096, WriteBlock: 1, EraseValue: 0xff})
	if err != nil {
		panic(err)
	}
	for g := 1; g < 250; g++ {
		if err := d.Erase(0, 4096); err != nil {
			panic(err)
		}
		// fill a lot so the image is large and the save takes a while
		if g == 1 {
			for off := int64(1 << 20); off < d.Size(); off += 1 << 20 {
				if err := d.Program(off, bytes.Repeat([]byte{0x5a}, 1<<20)); err != nil {
					panic(err)
				}
			}
		}
		if err := d.Program(0, []byte{^byte(g)}); err != nil {
			panic(err)
		}
		if err := d.SaveImage(path, ImageOptions{Sidecar: true}); err != nil {
			panic(err)
		}
		fmt.Println("saved generation " + strconv.Itoa(g))
	}
}
