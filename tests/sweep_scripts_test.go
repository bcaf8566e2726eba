package tests

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flashemu/flashemu/cmd/flashemu/cli"
	"github.com/flashemu/flashemu/emu"
	"github.com/flashemu/flashemu/lua"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The power-cut scenario scripts must fail when what they check breaks:
// each is run with one deliberate bug patched into its source.

// patchedScript writes scripts/name with old replaced by new into a
// scratch directory and returns its path.
func patchedScript(t *testing.T, name, old, new string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(scriptsDir(t), name))
	require.NoError(t, err)
	require.Contains(t, string(src), old, "the patch no longer applies to %s", name)
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(strings.Replace(string(src), old, new, 1)), 0o644))
	return path
}

// runScript runs a script as flashemu run does and returns its output.
func runScript(t *testing.T, path string) (string, error) {
	t.Helper()
	prog, err := lua.Compile(path)
	require.NoError(t, err)
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = prog.Exec(ctx, lua.Options{Stdout: &out})
	return out.String(), err
}

func TestPowerCutScriptsCatchTheirBugs(t *testing.T) {
	tests := []struct {
		name, script, old, new string
		// want is in the script's error, wantOut in what it printed.
		want, wantOut string
		long          bool // runs the whole unit sweep: skipped with -short
	}{
		{
			name:   "dfu acknowledges progress before saving it",
			script: "dfu_powercut.lua",
			old: `        assert(sf:save_progress(store, KEY))
        ack(sf:bytes_written()) -- durable: the update may resume from here`,
			new: `        ack(sf:bytes_written()) -- BUG: acknowledged before it is saved
        assert(sf:save_progress(store, KEY))`,
			want:    "dfu_w25q128jv: a branch did not resume to the right image",
			wantOut: "is behind the acknowledged",
		},
		{
			name:    "dfu resumes one buffer too far",
			script:  "dfu_powercut.lua",
			old:     `assert(sf:write(IMAGE:sub(done + 1), true))`,
			new:     `assert(sf:write(IMAGE:sub(done + 1 + BUF), true))`,
			want:    "dfu_w25q128jv: a branch did not resume to the right image",
			wantOut: "slot SHA-256",
		},
		{
			name:   "fcb log acknowledges a record before pushing it",
			script: "fcb_log_powercut.lua",
			old: `    assert(loc, msg)
    sector_of[seq] = loc.sector
    ack(seq) -- push returned: the record is durable`,
			new: `    assert(loc, msg)
    sector_of[seq] = loc.sector
    ack(seq + 1) -- BUG: acknowledges the next record too`,
			want:    "op cuts: a branch lost an acknowledged record",
			wantOut: "acknowledged record 2 lost",
		},
		{
			name:    "fcb log rotates without announcing the drop",
			script:  "fcb_log_powercut.lua",
			old:     `      ack("drop:" .. keep) -- records below keep may go now`,
			new:     `      -- BUG: the rotation drops records nobody agreed to lose`,
			want:    "op cuts: a branch lost an acknowledged record",
			wantOut: "lost (",
		},
		{
			name:   "fcb repair check trusts FCB's CRC-8",
			script: "fcb_log_powercut.lua",
			old:    `define("fcb_log_unit_repair", "unit", REPAIR, true)`,
			new:    `define("fcb_log_unit_repair", "unit", REPAIR, false)`,
			want:   "repair mode did not recover fcb_log_unit_repair:",
			long:   true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && testing.Short() {
				t.Skip("runs the whole unit sweep (-short)")
			}
			out, err := runScript(t, patchedScript(t, tc.script, tc.old, tc.new))
			t.Log(strings.TrimSpace(out))
			require.Error(t, err, "the script's own check must fail")
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.Contains(out, tc.wantOut), "output lacks %q", tc.wantOut)
		})
	}
}

// sweepJSON runs flashemu sweep with --json and returns the failure IDs
// and the summaries' checked/failed counts.
func sweepJSON(t *testing.T, args ...string) (ids []string, checked, failed int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := cli.Main(append([]string{"sweep", "--json"}, args...), cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
	require.Contains(t, []int{0, 1}, code, errb.String())
	sc := bufio.NewScanner(&out)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var o struct {
			Type    string `json:"type"`
			ID      string `json:"id"`
			Checked int    `json:"checked"`
			Failed  int    `json:"failed"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &o), sc.Text())
		switch o.Type {
		case "failure":
			ids = append(ids, o.ID)
		case "summary":
			checked += o.Checked
			failed += o.Failed
		}
	}
	sort.Strings(ids)
	return ids, checked, failed
}

func TestSweepCLIDeterministicAcrossJobsAndShards(t *testing.T) {
	// The DFU scenario with its progress acknowledged too early: 48 failing
	// branches on the nRF52840 to compare.
	path := patchedScript(t, "dfu_powercut.lua", `        assert(sf:save_progress(store, KEY))
        ack(sf:bytes_written()) -- durable: the update may resume from here`, `        ack(sf:bytes_written())
        assert(sf:save_progress(store, KEY))`)
	one, checked, failed := sweepJSON(t, path, "--name", "nrf", "--jobs", "1")
	require.NotEmpty(t, one)
	require.Equal(t, len(one), failed)
	two, checked2, _ := sweepJSON(t, path, "--name", "nrf", "--jobs", "2")
	assert.Equal(t, one, two, "same failures with 1 and 2 jobs")
	assert.Equal(t, checked, checked2)
	var union []string
	sum := 0
	for _, sh := range []string{"0/3", "1/3", "2/3"} {
		ids, c, _ := sweepJSON(t, path, "--name", "nrf", "--shard", sh)
		union = append(union, ids...)
		sum += c
	}
	sort.Strings(union)
	assert.Equal(t, one, union, "the shards' failures together are the whole sweep's, each once")
	assert.Equal(t, checked, sum)
}

// TestSweepDumpTraceReplaysToTheImages checks --dump's trace against its
// images: emu.Replay of the applied records of the workload (and of the
// recoveries cut at deeper levels) onto a fresh device gives before.bin,
// the state the final check started from; adding the final check's gives
// after.bin.
func TestSweepDumpTraceReplaysToTheImages(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "log.lua")
	require.NoError(t, os.WriteFile(script, []byte(`
local OPTS = {magic = 7, version = 1}
sweep.define("log", {
  device = function() return flash.nor{size = 16384, sector = 4096, write_block = 4} end,
  workload = function(dev, ack)
    local log = assert(fcb.new(dev:area{offset = 0, size = 16384}, OPTS))
    for i = 1, 150 do assert(log:push(("entry %04d ..."):format(i))) ack(i) end
  end,
  check = function(dev, acked)
    -- Recovery that writes: a boot record after the log's entries.
    local log = assert(fcb.new(dev:area{offset = 0, size = 16384}, OPTS))
    assert(log:push("boot"))
  end,
})
`), 0o644))
	for _, id := range []string{"log:200b:1", "log:311a:1", "log:40a/2b:1"} {
		t.Run(id, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := cli.Main([]string{"sweep", script, "--only", id, "--dump", dir}, cli.Env{Stdout: &out, Stderr: &errb})
			require.Equal(t, 0, code, out.String()+errb.String())
			d := filepath.Join(dir, strings.NewReplacer(":", "_", "/", "_").Replace(id))
			trace, err := os.ReadFile(filepath.Join(d, "trace.jsonl"))
			require.NoError(t, err)
			// Every run but the final check's leads to before.bin.
			final := fmt.Sprintf(`{"run":%d,`, strings.Count(id, "/")+1)
			var cuts bytes.Buffer
			for _, l := range strings.SplitAfter(string(trace), "\n") {
				if !strings.HasPrefix(l, final) {
					cuts.WriteString(l)
				}
			}
			for _, c := range []struct {
				image string
				trace []byte
			}{{"before.bin", cuts.Bytes()}, {"after.bin", trace}} {
				dev, err := emu.New(emu.Config{Kind: emu.NOR, Size: 16384, EraseUnit: 4096, WriteBlock: 4, EraseValue: 0xff})
				require.NoError(t, err)
				require.NoError(t, emu.Replay(dev, bytes.NewReader(c.trace)))
				got := make([]byte, dev.Size())
				require.NoError(t, dev.Peek(0, got))
				want, err := os.ReadFile(filepath.Join(d, c.image))
				require.NoError(t, err)
				assert.True(t, bytes.Equal(want, got), "%s: replaying the trace does not give the image", c.image)
			}
		})
	}
}
