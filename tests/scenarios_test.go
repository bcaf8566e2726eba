package tests

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flashemu/flashemu/cmd/flashemu/cli"
	"github.com/flashemu/flashemu/lua"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The wear-endurance and field-dump scenarios: their outputs, their data
// files, and that each fails when what it checks breaks.

// repoScripts is the scripts directory, found before any test changes the
// working directory.
var repoScripts, _ = filepath.Abs(filepath.Join("..", "scripts"))

// scriptWork makes a scratch working directory with a copy of the scripts
// directory and changes into it.
func scriptWork(t *testing.T) string {
	t.Helper()
	work := t.TempDir()
	copyScripts(t, repoScripts, work)
	t.Chdir(work)
	return work
}

// runArgs runs a script (a path relative to the working directory) with
// arguments, as flashemu run does, and returns its output and error.
func runArgs(t *testing.T, path string, args ...string) (string, error) {
	t.Helper()
	prog, err := lua.Compile(path)
	require.NoError(t, err)
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = prog.Exec(ctx, lua.Options{Stdout: &out, Args: args})
	return out.String(), err
}

// patchInto writes scripts/name with old replaced by new to dir/name.
func patchInto(t *testing.T, dir, name, old, new string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(repoScripts, name))
	require.NoError(t, err)
	require.Contains(t, string(src), old, "the patch no longer applies to %s", name)
	path := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(src), old, new, 1)), 0o644))
	return path
}

func TestWearEnduranceOutputs(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		dir      string
		wantLine string
	}{
		{name: "fcb ring", args: nil, dir: "out/wear_endurance",
			wantLine: "fcb on nor 32K (4K sectors, wb 4): 19711 records written, first erase failure at sector 7 after 272 completed cycles"},
		{name: "settings store", args: []string{"out/s", "300", "0.2", "1", "settings"}, dir: "out/s",
			wantLine: "first erase failure at sector 7 after 272 completed cycles"},
		{name: "other seed and endurance", args: []string{"o3", "120", "0.3", "3"}, dir: "o3"},
		{name: "naive hot spot", args: []string{"out/naive", "300", "0.2", "1", "naive"}, dir: "out/naive",
			wantLine: "naive on nor 32K (4K sectors, wb 4): 2680 records written, first erase failure at sector 0 after 335 completed cycles"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			scriptWork(t)
			out, err := runArgs(t, "scripts/wear_endurance.lua", tc.args...)
			t.Log(strings.TrimSpace(out))
			require.NoError(t, err)
			if tc.wantLine != "" {
				assert.Contains(t, out, tc.wantLine)
			}
			// The CSV has one row per sector; every count is in the printed list.
			f, err := os.Open(filepath.Join(tc.dir, "wear.csv"))
			require.NoError(t, err)
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			require.NoError(t, err)
			require.Len(t, rows, 9)
			assert.Equal(t, []string{"unit", "offset", "size", "erases"}, rows[0])
			var counts []string
			for i, r := range rows[1:] {
				assert.Equal(t, strconv.Itoa(i), r[0])
				assert.Equal(t, strconv.Itoa(i*4096), r[1])
				counts = append(counts, r[3])
			}
			assert.Contains(t, out, "erase counts per sector: "+strings.Join(counts, " "))
			for _, svg := range []string{"wear.svg", "endurance.svg"} {
				b, err := os.ReadFile(filepath.Join(tc.dir, svg))
				require.NoError(t, err)
				assert.NoError(t, wellFormedXML(b), svg)
			}
		})
	}
}

// wellFormedXML parses b as XML.
func wellFormedXML(b []byte) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func TestFieldDumpDataIsReproducible(t *testing.T) {
	scriptWork(t)
	out, err := runArgs(t, "scripts/testdata/field_dump_gen.lua", "gen")
	require.NoError(t, err, out)
	for _, f := range []string{"field_dump.bin", "field_dump.jsonl"} {
		got, err := os.ReadFile(filepath.Join("gen", f))
		require.NoError(t, err)
		want, err := os.ReadFile(filepath.Join("scripts", "testdata", f))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, got), "scripts/testdata/%s is stale: regenerate it with flashemu run scripts/testdata/field_dump_gen.lua", f)
	}
}

func TestFieldDumpCLIWalk(t *testing.T) {
	scriptWork(t)
	// The command line the script shows.
	var out, errb bytes.Buffer
	code := cli.Main(strings.Fields("fcb walk scripts/testdata/field_dump.bin --sector-size 4096 --json"), cli.Env{Stdout: &out, Stderr: &errb})
	require.Equal(t, 0, code, errb.String())
	var entries []struct {
		Sector  int    `json:"sector"`
		ElemOff int    `json:"elem_off"`
		Len     int    `json:"len"`
		Data    string `json:"data"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &entries))
	require.Len(t, entries, 99)
	seen := map[string]bool{}
	for _, e := range entries {
		b, err := hex.DecodeString(e.Data)
		require.NoError(t, err)
		seen[string(b[:8])] = true
	}
	assert.True(t, seen["rec 0060"] && seen["rec 0062"])
	assert.False(t, seen["rec 0061"], "the torn record is not a valid entry")
	// The script's own walk agrees.
	sout, err := runArgs(t, "scripts/field_dump.lua")
	require.NoError(t, err, sout)
	assert.Contains(t, sout, "CLI:  flashemu fcb walk scripts/testdata/field_dump.bin --sector-size 4096 --json\n")
	assert.Contains(t, sout, "walked 99 entries, every CRC32 good: rec 0001 .. rec 0100\n")
	assert.Contains(t, sout, "rec 0061 is missing: FCB skipped the entry at area offset 1328")
	assert.Contains(t, sout, "replayed the whole trace: it matches the dump except 8 bytes at 1329..1336")
}

// TestEnduranceAndFieldDumpCatchTheirBugs breaks each scenario (its code or its
// data) and requires the script's own checks to fail.
func TestEnduranceAndFieldDumpCatchTheirBugs(t *testing.T) {
	tests := []struct {
		name, script, old, new string
		args                   []string
		// setup prepares data in the working directory (may be nil).
		setup func(t *testing.T)
		want  string
	}{
		{
			name:   "wear_endurance miscounts the endurance curve",
			script: "wear_endurance.lua",
			old:    "while fresh:erase(u * SECTOR, SECTOR) do n = n + 1 end",
			new:    "while fresh:erase(u * SECTOR, SECTOR) do n = n + 2 end",
			want:   "outside [240, 360]",
		},
		{
			name:   "wear_endurance with a hot spot next to the ring",
			script: "wear_endurance.lua",
			old:    "      local ok, msg, errno = log:rotate()",
			new:    "      local ok, msg, errno = log:rotate()\n      if ok then ok, msg, errno = dev:erase(0, SECTOR) end",
			want:   "the first failure came at",
		},
		{
			name:   "field_dump replays one operation too few",
			script: "field_dump.lua",
			old:    "{before = cut.seq}",
			new:    "{before = cut.seq - 1}",
			want:   "the flash before the cut differs from the dump",
		},
		{
			name:   "field_dump on a dump with an entry whose CRC-8 is good and CRC32 bad",
			script: "field_dump.lua",
			old:    "local DUMP = arg[1]",
			new:    "local DUMP = arg[1]",
			args:   []string{"crc/field_dump.bin", "crc/field_dump.jsonl"},
			setup: func(t *testing.T) {
				// A dump whose payload landed whole but its CRC32 is wrong:
				// FCB walks it, only the application check catches it.
				gen := patchInto(t, "crcgen", "testdata/field_dump_gen.lua", "  return body .. u32le(check.crc32(body))",
					"  return body .. u32le(i == 42 and 0 or check.crc32(body))")
				out, err := runArgs(t, rel(t, gen), "crc")
				require.NoError(t, err, out)
			},
			want: `application CRC32 mismatch ("rec 0042 t=24.4C")`,
		},
		{
			name:   "field_dump on a dump whose record landed whole",
			script: "field_dump.lua",
			old:    "local DUMP = arg[1]",
			new:    "local DUMP = arg[1]",
			args:   []string{"whole/field_dump.bin"},
			setup: func(t *testing.T) {
				gen := patchInto(t, "wholegen", "testdata/field_dump_gen.lua", "fraction = 0.4", "fraction = 1.0")
				out, err := runArgs(t, rel(t, gen), "whole")
				require.NoError(t, err, out)
			},
			want: "the torn payload passes its CRC32",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			work := scriptWork(t)
			if tc.setup != nil {
				tc.setup(t)
			}
			path := patchInto(t, filepath.Join(work, "patched"), tc.script, tc.old, tc.new)
			args := tc.args
			if tc.script == "field_dump.lua" && len(args) == 0 {
				args = []string{"scripts/testdata/field_dump.bin"}
			}
			out, err := runArgs(t, rel(t, path), args...)
			t.Log(strings.TrimSpace(out))
			require.Error(t, err, "the script's own check must fail")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// rel makes path relative to the working directory (the sandbox's rule).
func rel(t *testing.T, path string) string {
	t.Helper()
	if !filepath.IsAbs(path) {
		return path
	}
	wd, err := os.Getwd()
	require.NoError(t, err)
	r, err := filepath.Rel(wd, path)
	require.NoError(t, err)
	return r
}
