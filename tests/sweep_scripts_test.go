package tests

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/flashemu/flashemu/cmd/flashemu/cli"
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
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
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
