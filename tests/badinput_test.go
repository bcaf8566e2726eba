package tests

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flashemu/flashemu/cmd/flashemu/cli"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCLIBadInput feeds every command wrong, missing and extreme arguments:
// each must answer with exactly one line on stderr ("flashemu: <what>:
// <why>", or "file:line: message" for a script's error), the right exit
// status (2 usage, 1 failure) and never a Go panic or stack trace.
func TestCLIBadInput(t *testing.T) {
	// Files every case can use (made fresh in each case's directory).
	files := map[string]string{
		"ok.lua":      "print('ok')\n",
		"img.bin":     strings.Repeat("\xff", 16384),
		"empty.bin":   "",
		"app.hex":     ":0400000001020304F2\n:00000001FF\n",
		"bad.hex":     ":10000000000102030405060708090A0B0C0D0E0F00\n:00000001FF\n",
		"trace.jsonl": `{"seq":0,"op":"program","off":0,"len":1,"page":-1,"applied":true,"data":"00"}` + "\n",
		"far.jsonl":   `{"seq":0,"op":"program","off":99999,"len":1,"page":-1,"applied":true,"data":"00"}` + "\n",
		"junk.jsonl":  "{not json\n",
		"side.bin":    strings.Repeat("\xff", 16384),
		"short.bin":   strings.Repeat("\xff", 8192),
		"short.bin.json": `{"version":1,"config":{"kind":"nor","size":16384,"erase_unit":4096,"write_block":1,"erase_value":255,"timing":{}},` +
			`"wear":[0,0,0,0],"clock_ns":0,"seq":0,"stats":{}}`,
		"side.bin.json": `{"version":1,"config":{"kind":"nor","size":16384,"erase_unit":4096,"write_block":1,"erase_value":255,"timing":{}},` +
			`"wear":[0,0,0,0],"clock_ns":0,"seq":0,"stats":{}}`,
		"badside.bin":        strings.Repeat("\xff", 4096),
		"badside.bin.json":   `{"version":1,"config":`,
		"wearlen.bin":        strings.Repeat("\xff", 8192),
		"wearlen.bin.json":   `{"version":1,"config":{"kind":"nor","size":8192,"erase_unit":4096,"write_block":1,"erase_value":255,"timing":{}},"wear":[1],"clock_ns":0,"seq":0,"stats":{}}`,
		"v9.bin":             strings.Repeat("\xff", 4096),
		"v9.bin.json":        `{"version":9}`,
		"pastend.lua":        "local dev = flash.nor{size = 65536}\nassert(dev:ctl(\"add b 0x1000 0x30000\"))\n",
		"dtsoverlap.lua":     "local dev = flash.nor{size = 65536}\nlocal m = assert(flash.map(dev, [[\npartitions { compatible = \"fixed-partitions\"; #address-cells = <1>; #size-cells = <1>;\n a: partition@0 { label = \"a\"; reg = <0x0 0x2000>; };\n b: partition@1000 { label = \"b\"; reg = <0x1000 0x2000>; };\n};]]))\n",
		"sweepless.lua":      "print('no sweeps')\n",
		"dir/placeholder":    "",
		"scripts/x_test.lua": "it('x', function() end)\n",
	}
	tests := []struct {
		name string
		args string // split on spaces; no quoting needed
		code int
		// want matches the single stderr line.
		want string
	}{
		// global
		{"unknown command", "bogus", 2, `^flashemu: unknown command "bogus"`},
		{"unknown global flag", "--frobnicate", 2, `^flashemu: unknown flag --frobnicate; run 'flashemu help' for the commands \(with none, flashemu starts the REPL: 'flashemu help repl'\)$`},
		{"help for nothing", "help nosuch", 2, `^flashemu: help: unknown command "nosuch"$`},
		{"version with args", "version extra", 2, `^flashemu: version: takes no arguments$`},
		{"chips with args", "chips x", 2, `^flashemu: chips: takes no arguments$`},

		// repl / device flags
		{"repl extra argument", "repl extra", 2, `^flashemu: repl: unexpected argument "extra"$`},
		{"unknown chip", "repl --chip nosuch", 2, `^flashemu: repl: emu: unknown chip: "nosuch" \(known: w25q128jv, `},
		{"negative size", "repl --nor size=-1", 2, `^flashemu: repl: .*size`},
		{"huge size", "repl --nor size=1T", 2, `^flashemu: repl: `},
		{"enormous size", "repl --nor size=99999999999999999999", 2, `^flashemu: repl: `},
		{"non-numeric size", "repl --nor size=lots", 2, `^flashemu: repl: .*size`},
		{"sector not dividing size", "repl --nor size=10000,sector=4K", 2, `^flashemu: repl: `},
		{"zero NAND page", "repl --nand page=0", 2, `^flashemu: repl: `},
		{"two devices", "repl --chip w25q128jv --nor size=1M", 2, `choose one of --chip, --nor and --nand$`},
		{"missing image", "repl --image missing.bin", 2, `^flashemu: repl: .*missing.bin`},
		{"image is a directory", "repl --image dir", 2, `^flashemu: repl: .*dir`},
		{"image larger than the device", "repl --image img.bin --nor size=4K", 2, `^flashemu: repl: .*img.bin holds 16384 bytes, the device 4096$`},
		{"bad mem-limit", "repl --mem-limit lots", 2, `^flashemu: repl: --mem-limit: bad number "lots"$`},
		{"negative mem-limit", "repl --mem-limit -5", 2, `^flashemu: repl: --mem-limit: bad number "-5"$`},

		// run
		{"run without script", "run", 2, `^flashemu: run: missing SCRIPT.lua$`},
		{"run missing script", "run missing.lua", 1, `^flashemu: run: open missing.lua: no such file or directory$`},
		{"run a directory", "run dir", 1, `^flashemu: run: read dir: is a directory$`},
		{"run negative timeout", "run ok.lua --timeout -1s", 2, `^flashemu: run: --timeout: must be positive$`},
		{"run zero timeout", "run ok.lua --timeout 0", 2, `^flashemu: run: --timeout: must be positive$`},
		{"run non-numeric timeout", "run ok.lua --timeout soon", 2, `^flashemu: run: --timeout: bad duration "soon"`},
		{"run huge timeout", "run ok.lua --timeout 1e400", 2, `^flashemu: run: --timeout: `},
		{"run trace into a directory", "run ok.lua --trace dir", 1, `^flashemu: run: --trace: create dir: is a directory$`},
		{"run trace without value", "run ok.lua --trace", 2, `^flashemu: run: flag --trace needs a value \(FILE\)$`},
		{"run partition past the device", "run pastend.lua", 1, `^pastend.lua:2: `},
		{"run overlapping devicetree partitions", "run dtsoverlap.lua", 1, `^dtsoverlap.lua:2: .*overlap`},

		// test
		{"test bad shard", "test scripts --shard 3/2", 2, `^flashemu: test: --shard: `},
		{"test non-numeric shard", "test scripts --shard x", 2, `^flashemu: test: --shard: `},
		{"test negative shard", "test scripts --shard -1/2", 2, `^flashemu: test: --shard: `},
		{"test bad regexp", "test scripts --run (", 2, `^flashemu: test: --run: error parsing regexp`},
		{"test missing path", "test nowhere", 1, `^flashemu: test: .*nowhere`},
		{"test no tests", "test dir", 1, `^flashemu: test: no \*_test.lua files in dir$`},
		{"test junit into a directory", "test scripts --junit dir", 1, `^flashemu: test: --junit: `},
		{"test trace into a directory", "test scripts --trace dir", 1, `^flashemu: test: --trace: create dir: is a directory$`},

		// sweep
		{"sweep without script", "sweep", 2, `^flashemu: sweep: want exactly one SCRIPT.lua$`},
		{"sweep two scripts", "sweep a.lua b.lua", 2, `^flashemu: sweep: want exactly one SCRIPT.lua$`},
		{"sweep zero jobs", "sweep ok.lua --jobs 0", 2, `^flashemu: sweep: --jobs: 0 out of range \[1, 4096\]$`},
		{"sweep negative jobs", "sweep ok.lua --jobs -1", 2, `^flashemu: sweep: --jobs: bad number "-1"$`},
		{"sweep huge jobs", "sweep ok.lua --jobs 99999999999", 2, `^flashemu: sweep: --jobs: \d+ out of range`},
		{"sweep depth 9", "sweep ok.lua --depth 9", 2, `^flashemu: sweep: --depth: 9 out of range \[1, 8\]$`},
		{"sweep non-numeric depth", "sweep ok.lua --depth deep", 2, `^flashemu: sweep: --depth: bad number "deep"$`},
		{"sweep bad id", "sweep ok.lua --only nonsense", 2, `^flashemu: sweep: --only: `},
		{"sweep id with shard", "sweep ok.lua --only a:1b:1 --shard 0/2", 2, `^flashemu: sweep: --only replays one branch: --shard does not apply$`},
		{"sweep report kind", "sweep ok.lua --report out.txt", 2, `^flashemu: sweep: --report: out.txt: want a .html or .md file$`},
		{"sweep bad name regexp", "sweep ok.lua --name (", 2, `^flashemu: sweep: --name: error parsing regexp`},
		{"sweep missing script", "sweep missing.lua", 1, `^flashemu: sweep: open missing.lua: no such file or directory$`},
		{"sweep without sweeps", "sweep sweepless.lua", 2, `^flashemu: sweep: sweepless.lua defines no sweeps`},

		// fcb walk
		{"fcb without subcommand", "fcb", 2, `^flashemu: fcb: missing subcommand`},
		{"walk without image", "fcb walk --sector-size 4096", 2, `^flashemu: fcb walk: missing IMAGE$`},
		{"walk two images", "fcb walk a b --sector-size 4096", 2, `^flashemu: fcb walk: one IMAGE expected, got 2 arguments$`},
		{"walk without sector size", "fcb walk img.bin", 2, `^flashemu: fcb walk: --sector-size is required$`},
		{"walk zero sector size", "fcb walk img.bin --sector-size 0", 2, `^flashemu: fcb walk: --sector-size must be positive$`},
		{"walk negative sector size", "fcb walk img.bin --sector-size -4096", 2, `^flashemu: fcb walk: --sector-size: bad number "-4096"$`},
		{"walk huge sector size", "fcb walk img.bin --sector-size 2G", 2, `^flashemu: fcb walk: --sector-size: \d+ is larger than \d+$`},
		{"walk non-numeric sector size", "fcb walk img.bin --sector-size big", 2, `^flashemu: fcb walk: --sector-size: bad number "big"$`},
		{"walk sector size larger than the image", "fcb walk img.bin --sector-size 64K", 1, `^flashemu: fcb walk: `},
		{"walk more sectors than the image", "fcb walk img.bin --sector-size 4096 --sectors 10", 1, `^flashemu: fcb walk: `},
		{"walk offset past the image", "fcb walk img.bin --sector-size 4096 --offset 1M", 1, `^flashemu: fcb walk: `},
		{"walk unaligned offset", "fcb walk img.bin --sector-size 4096 --offset 3", 0, ``},
		{"walk erase value 256", "fcb walk img.bin --sector-size 4096 --erase-value 256", 2, `^flashemu: fcb walk: --erase-value: 256 is larger than 255$`},
		{"walk magic past 32 bits", "fcb walk img.bin --sector-size 4096 --magic 0x100000000", 2, `^flashemu: fcb walk: --magic: `},
		{"walk zero align", "fcb walk img.bin --sector-size 4096 --align 0", 0, ``}, // 0 means 1, as in Zephyr
		{"walk align past a write block", "fcb walk img.bin --sector-size 4096 --align 256", 1, `^flashemu: fcb walk: `},
		{"walk missing image", "fcb walk missing.bin --sector-size 4096", 1, `^flashemu: fcb walk: .*missing.bin`},
		{"walk a directory", "fcb walk dir --sector-size 4096", 1, `^flashemu: fcb walk: .*dir`},
		{"walk an empty image", "fcb walk empty.bin --sector-size 4096", 1, `^flashemu: fcb walk: `},
		{"walk a corrupt hex image", "fcb walk bad.hex --sector-size 16", 1, `^flashemu: fcb walk: bad.hex: .*checksum mismatch`},

		// image info
		{"image without subcommand", "image", 2, `^flashemu: image: missing subcommand`},
		{"info without image", "image info", 2, `^flashemu: image info: missing IMAGE$`},
		{"info missing image", "image info missing.bin", 1, `^flashemu: image info: image: missing.bin: no such file or directory$`},
		{"info a directory", "image info dir", 1, `^flashemu: image info: image: dir is a directory$`},
		{"info zero sector size", "image info img.bin --sector-size 0", 2, `^flashemu: image info: --sector-size must be positive$`},
		{"info corrupt sidecar", "image info badside.bin", 1, `^flashemu: image info: badside.bin.json: emu: corrupt image: sidecar: `},
		{"info sidecar of another version", "image info v9.bin", 1, `^flashemu: image info: v9.bin.json: emu: corrupt image: sidecar version 9`},

		// image replay
		{"replay without arguments", "image replay", 2, `^flashemu: image replay: want \[IMAGE\] TRACE, got 0 arguments$`},
		{"replay without device", "image replay trace.jsonl -o out.bin", 2, `^flashemu: image replay: give IMAGE or the device`},
		{"replay without output", "image replay img.bin trace.jsonl", 2, `^flashemu: image replay: missing --output OUT \(-o OUT\)$`},
		{"replay missing trace", "image replay img.bin missing.jsonl -o out.bin", 1, `^flashemu: image replay: trace: missing.jsonl: no such file or directory$`},
		{"replay a directory as trace", "image replay img.bin dir -o out.bin", 1, `^flashemu: image replay: trace: dir is a directory$`},
		{"replay a corrupt trace", "image replay img.bin junk.jsonl -o out.bin", 1, `^flashemu: image replay: junk.jsonl: emu: corrupt trace: line 1: `},
		{"replay past the image", "image replay img.bin far.jsonl -o out.bin", 1, `^flashemu: image replay: far.jsonl: emu: trace does not match the device: line 1: program 99999\+1 outside the 16384-byte device`},
		{"replay negative before", "image replay img.bin trace.jsonl -o out.bin --before -1", 2, `^flashemu: image replay: --before: bad number "-1"$`},
		{"replay output into a directory", "image replay img.bin trace.jsonl -o dir", 1, `^flashemu: image replay: .*dir: is a directory$`},
		{"replay image smaller than its sidecar", "image replay short.bin trace.jsonl -o out.bin", 1, `^flashemu: image replay: short.bin: emu: corrupt image: image short.bin is short: 8192 bytes, expected 16384$`},
		{"wear of an image smaller than its sidecar", "wear short.bin", 1, `^flashemu: wear: short.bin.json: emu: corrupt image: image short.bin is short: 8192 bytes, expected 16384$`},
		{"image info of an image smaller than its sidecar", "image info short.bin", 1, `short.bin is short: 8192 bytes, expected 16384`},
		{"replay image larger than the device", "image replay img.bin trace.jsonl -o out.bin --nor size=4K", 1, `^flashemu: image replay: .*img.bin holds 16384 bytes, the device 4096$`},
		{"replay bad device spec", "image replay trace.jsonl -o out.bin --nor size=-1", 2, `^flashemu: image replay: `},
		{"replay hex output of NAND", "image replay trace.jsonl -o out.hex --nand blocks=8", 2, `^flashemu: image replay: out.hex: Intel HEX output holds a NOR data area only`},

		// image convert
		{"convert one argument", "image convert img.bin", 2, `^flashemu: image convert: want IN OUT, got 1 arguments$`},
		{"convert missing input", "image convert missing.bin out.hex", 1, `^flashemu: image convert: input: missing.bin: no such file or directory$`},
		{"convert raw to raw", "image convert img.bin out.bin", 2, `^flashemu: image convert: img.bin and out.bin are both raw images`},
		{"convert unaligned base", "image convert img.bin out.hex --base 3", 2, `^flashemu: image convert: --base: 0x3 is not a multiple of 16$`},
		{"convert base past 4 GiB", "image convert img.bin out.hex --base 0xfffffff0", 2, `^flashemu: image convert: --base 0xfffffff0: 16384 bytes do not fit below 4 GiB$`},
		{"convert size too small", "image convert app.hex out.bin --size 1", 2, `^flashemu: image convert: --size 1 is smaller than the 4 bytes of app.hex$`},
		{"convert size too large", "image convert app.hex out.bin --size 2G", 2, `^flashemu: image convert: --size: \d+ is larger than \d+$`},
		{"convert corrupt hex", "image convert bad.hex out.bin", 1, `^flashemu: image convert: bad.hex: .*checksum mismatch`},
		{"convert into a directory", "image convert img.bin dir.hex", 1, ``},

		// wear
		{"wear without argument", "wear", 2, `^flashemu: wear: want one IMAGE or SIDECAR.json, got 0 arguments$`},
		{"wear missing image", "wear missing.bin", 1, `^flashemu: wear: image: missing.bin: no such file or directory$`},
		{"wear without sidecar", "wear img.bin", 1, `^flashemu: wear: img.bin has no sidecar img.bin.json`},
		{"wear corrupt sidecar", "wear badside.bin", 1, `^flashemu: wear: badside.bin.json: emu: corrupt image: sidecar: `},
		{"wear counts for the wrong geometry", "wear wearlen.bin", 1, `^flashemu: wear: wearlen.bin.json: emu: corrupt image: sidecar: wear for 1 erase units, the device has 2$`},
		{"wear negative endurance", "wear side.bin --endurance -1", 2, `^flashemu: wear: --endurance: bad number "-1"$`},
		{"wear huge columns", "wear side.bin --columns 99999", 2, `^flashemu: wear: --columns: 99999 is larger than 4096$`},
		{"wear svg into a directory", "wear side.bin --svg dir", 1, `^flashemu: wear: --svg: dir: is a directory$`},
		{"wear directory as sidecar", "wear dir.json", 1, `^flashemu: wear: sidecar: dir.json: no such file or directory$`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range files {
				p := filepath.Join(dir, filepath.FromSlash(name))
				require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
				require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
			}
			require.NoError(t, os.Mkdir(filepath.Join(dir, "dir.hex"), 0o755))
			t.Chdir(dir)
			var out, errb bytes.Buffer
			code := cli.Main(strings.Fields(tc.args), cli.Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }})
			stderr := errb.String()
			assert.Equal(t, tc.code, code, "exit status; stderr: %s", stderr)
			for _, bad := range []string{"panic", "goroutine ", "internal error", ".go:"} {
				assert.NotContains(t, stderr, bad)
			}
			if tc.code == 0 {
				return
			}
			assert.Equal(t, 1, strings.Count(stderr, "\n"), "exactly one line on stderr: %q", stderr)
			if tc.want != "" {
				assert.Regexp(t, regexp.MustCompile(tc.want), strings.TrimSuffix(stderr, "\n"))
			} else {
				assert.Regexp(t, `^flashemu: `, stderr)
			}
		})
	}
}
