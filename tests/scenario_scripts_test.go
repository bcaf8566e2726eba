package tests

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/flashemu/flashemu/cmd/flashemu/cli"
	"github.com/flashemu/flashemu/luatest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The scenario scripts (plan9_partitions, devicetree_map, nand_bitflips)
// and their *_test.lua companions must fail when what they claim breaks:
// each case below patches one expected value or one step of a script (as
// TestPowerCutScriptsCatchTheirBugs does for the power-cut scripts) and
// requires the patched copy to fail with the script's own message: flashemu
// run exits 1, flashemu test reports exactly the patched test as failed.

func TestScenarioScriptsCatchTheirBugs(t *testing.T) {
	tests := []struct {
		name, script, old, new string
		// want is in the script's error.
		want string
	}{
		// plan9_partitions.lua
		{
			name:   "plan9: wrong region line expected",
			script: "plan9_partitions.lua",
			old:    `assert(info[2] == "0x00000000 0x01000000 0x00001000", "region: " .. info[2])`,
			new:    `assert(info[2] == "0x00000000 0x01000000 0x00002000", "region: " .. info[2])`,
			want:   "region: 0x00000000 0x01000000 0x00001000",
		},
		{
			name:   "plan9: boot protection left off",
			script: "plan9_partitions.lua",
			old:    `assert(dev:ctl("protectboot"))              -- on again (the default)`,
			new:    `-- BUG: protection never turned back on`,
			want:   "boot:write again, protected: expected a failure, got success",
		},
		{
			name:   "plan9: a 1->0 write taken for a 0->1 one",
			script: "plan9_partitions.lua",
			old:    `EIO, kernel:write(0x101, hex("0f"))`,
			new:    `EIO, kernel:write(0x101, hex("00"))`,
			want:   `kernel:write(0x101, hex("0f")): expected a failure, got success`,
		},
		{
			name:   "plan9: NAND page size without the spare bytes",
			script: "plan9_partitions.lua",
			old:    `assert(n[2] == "0x00000000 0x08000000 0x00020000 0x00000840", n[2])`,
			new:    `assert(n[2] == "0x00000000 0x08000000 0x00020000 0x00000800", n[2])`,
			want:   "0x00000000 0x08000000 0x00020000 0x00000840",
		},
		{
			name:   "plan9: a refused erase all expected to erase anyway",
			script: "plan9_partitions.lua",
			old:    `assert(dev:stats().erases == before, "a refused erase all erased something")`,
			new:    `assert(dev:stats().erases == before + 4095, "erase count")`,
			want:   "erase count",
		},
		// devicetree_map.lua
		{
			name:   "devicetree: subpartition taken as absolute",
			script: "devicetree_map.lua",
			old:    `{"keys", 7, 0x108000, 0x08000},`,
			new:    `{"keys", 7, 0x008000, 0x08000},`,
			want:   "keys: id 7 at 0x108000+0x8000, want id 7 at 0x8000+0x8000",
		},
		{
			name:   "devicetree: disabled partition enabled",
			script: "devicetree_map.lua",
			old:    "\t\t\t\tstatus = \"disabled\";\n",
			new:    "",
			want:   "9 areas, want 8",
		},
		{
			name:   "devicetree: records stored with a wrong CRC32",
			script: "devicetree_map.lua",
			old:    `return text .. u32le(check.crc32(text)), text`,
			new:    `return text .. u32le((check.crc32(text) + 1) % 0x100000000), text`,
			want:   "CRC32 mismatch in sector",
		},
		{
			name:   "devicetree: overlap blamed on the wrong partition",
			script: "devicetree_map.lua",
			old:    `msg:find('overlaps "storage"', 1, true)`,
			new:    `msg:find('overlaps "image-1"', 1, true)`,
			want:   "the error must name line 36 and the partition it overlaps",
		},
		// nand_bitflips.lua
		{
			name:   "nand: an 8-bit ECC chip",
			script: "nand_bitflips.lua",
			old:    `ecc_bits = ECC_BITS, ecc_step = STEP, seed = SEED}`,
			new:    `ecc_bits = 8, ecc_step = STEP, seed = SEED}`,
			want:   "5 bits in one step must be uncorrectable",
		},
		{
			name:   "nand: scrubbing never triggers",
			script: "nand_bitflips.lua",
			old:    `if scrub and r.worst >= THRESHOLD then`,
			new:    `if scrub and r.worst > ECC_BITS then`,
			want:   "scrubbing must keep every record",
		},
		{
			name:   "nand: the scrub copy corrupts a byte",
			script: "nand_bitflips.lua",
			old:    `assert(dev:write(page_off(to, p), page))`,
			new:    `assert(dev:write(page_off(to, p), page:sub(1, -2) .. "\0"))`,
			want:   "ECC said good but the CRC32 fails",
		},
		{
			name:   "nand: FCB expected to mount on NAND",
			script: "nand_bitflips.lua",
			old:    `assert(log == nil and ferrno == -22,`,
			new:    `assert(log ~= nil,`,
			want:   "FCB's u8 alignment cannot hold a 2048-byte page",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// As CI runs it: flashemu run exits 1 with the script's message.
			var out, errb bytes.Buffer
			code := cli.Main([]string{"run", patchedScript(t, tc.script, tc.old, tc.new)},
				cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
			t.Log(strings.TrimSpace(out.String()))
			require.Equal(t, 1, code, "the script's own check must fail: %s", errb.String())
			assert.Contains(t, errb.String(), tc.want)
		})
	}
}

// failures collects the failed tests of a Lua test run.
type failures struct{ names, msgs []string }

func (f *failures) FileStart(string)         {}
func (f *failures) TestStart(string, string) {}
func (f *failures) TestDone(r luatest.TestResult) {
	if r.Status == luatest.Fail {
		f.names = append(f.names, r.Name)
		f.msgs = append(f.msgs, r.Msg)
	}
}
func (f *failures) FileDone(string, bool, time.Duration) {}
func (f *failures) Done(luatest.Summary)                 {}

func TestScenarioTestScriptsCatchTheirBugs(t *testing.T) {
	tests := []struct {
		name, script, old, new string
		// test is the one Lua test that must fail; want is in its message.
		test, want string
	}{
		{
			name:   "plan9: octal taken for decimal",
			script: "plan9_partitions_test.lua",
			old:    `{"add a 010000 030000", off = 0x1000, size = 0x2000},`,
			new:    `{"add a 010000 030000", off = 010000, size = 0x2000},`, // Lua has no octal literals
			test:   "add/add_a_010000_030000",
			want:   "expected 10000, got 4096",
		},
		{
			name:   "plan9: protection expected to cover the whole boot partition",
			script: "plan9_partitions_test.lua",
			old:    `expect(dev:write(4096, "x")):eq(true)`,
			new:    `expect(dev:write(4096, "x")):err(-13)`,
			test:   "protectboot/covers_erase_unit_0_only",
			want:   "expected a failure",
		},
		{
			name:   "devicetree: subpartition taken as absolute",
			script: "devicetree_map_test.lua",
			old:    `expect(area(m, "keys")):same{2, 0xc000, 0x4000}`,
			new:    `expect(area(m, "keys")):same{2, 0x4000, 0x4000}`,
			test:   "flash.map/places_subpartitions_relative_to_their_parent",
			want:   "",
		},
		{
			name:   "devicetree: error line off by one",
			script: "devicetree_map_test.lua",
			old:    `]], 6, "outside the device"},`,
			new:    `]], 7, "outside the device"},`,
			test:   "flash.map_errors/reports_a_partition_past_the_device_with_its_line",
			want:   `matching "line 7:"`,
		},
		{
			name:   "nand: ECC expected to correct a 5th bit",
			script: "nand_bitflips_test.lua",
			old:    `for i = 1, 4 do faults.flip(dev, 10 * i, i) end`,
			new:    `for i = 1, 5 do faults.flip(dev, 10 * i, i) end`,
			test:   "ECC/corrects_up_to_ecc_bits_errors_in_a_step",
			want:   "",
		},
		{
			name:   "nand: retention expected to program bits",
			script: "nand_bitflips_test.lua",
			old: `    expect(up > 0):truthy()
    expect(down):eq(0)`,
			new:  `    expect(down > 0):truthy()`,
			test: "bit-flip_faults_(on_a_NAND_without_ECC,_to_see_them_raw)/retention_moves_programmed_bits_back_to_erased,_with_time",
			want: "",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := patchedScript(t, tc.script, tc.old, tc.new)
			var f failures
			sum := luatest.RunTests(context.Background(), []string{path}, luatest.TestOptions{Timeout: time.Minute}, &f)
			t.Logf("%s; failed: %q", sum, f.names)
			require.Equal(t, []string{tc.test}, f.names, "exactly the patched test must fail")
			assert.Contains(t, f.msgs[0], tc.want)
			assert.Positive(t, sum.Passed, "the other tests still pass")
		})
	}
}
