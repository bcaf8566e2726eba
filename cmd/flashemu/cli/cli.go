// Package cli is the flashemu command line: argument parsing and the
// commands (repl, run, test, sweep, chips, fcb walk, image info, image
// replay, image convert, wear, version), wired to the lua package, the
// Zephyr ports and package report. cmd/flashemu/main.go calls Main;
// tests call it in-process.
//
// Exit status: 0 success, 1 failure (script error, failed test), 2 usage
// error. Errors go to stderr as one line "flashemu: <what>: <why>"; Lua
// errors that carry a position as "file:line: message".
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"

	"github.com/flashemu/flashemu/api"
	"github.com/flashemu/flashemu/lua"
	"golang.org/x/term"
)

// Env is the process environment a command runs in.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads environment variables (sharding, cache dir).
	Getenv func(string) string
	// Terminal is true when stdin and stdout are terminals: the REPL then
	// uses line editing and keeps a history file.
	Terminal bool
	// Interrupts delivers Ctrl-C (SIGINT) while the REPL evaluates; nil
	// means none arrive.
	Interrupts func() (<-chan os.Signal, func())
}

// OSEnv is the environment of the running process.
func OSEnv() Env {
	return Env{
		Stdin:    os.Stdin,
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Getenv:   os.Getenv,
		Terminal: term.IsTerminal(int(os.Stdin.Fd())) && term.IsTerminal(int(os.Stdout.Fd())),
		Interrupts: func() (<-chan os.Signal, func()) {
			ch := make(chan os.Signal, 1)
			signal.Notify(ch, os.Interrupt)
			return ch, func() { signal.Stop(ch) }
		},
	}
}

// exitError ends a command with a status and an optional message already
// printed (failed tests print their own report).
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// command is one subcommand.
type command struct {
	name   string
	args   string // usage after the name
	short  string
	flags  []flagSpec
	script bool // flashemu run: arguments after the script go to it
	run    func(c *invocation) error
	// sub are subcommands (fcb walk, image info).
	sub []*command
}

// invocation is one command being run.
type invocation struct {
	env  Env
	cmd  *command
	path string // "fcb walk"
	p    parsedArgs
}

var (
	sandboxFlags = []flagSpec{
		{name: "allow-io", help: "give scripts io, os, debug, dofile/loadfile and any file path"},
		{name: "timeout", arg: "DURATION", help: "stop the script after DURATION (e.g. 2s, 500ms; a bare number is seconds)"},
		{name: "mem-limit", arg: "SIZE", help: "stop a script whose Go heap passes SIZE (default 1G; 0: none)"},
	}
	deviceFlags = []flagSpec{
		{name: "chip", arg: "NAME", help: "bind dev to a chip preset (flashemu chips)"},
		{name: "nor", arg: "SPEC", help: "bind dev to a NOR device, e.g. size=1M,sector=4K,wb=4"},
		{name: "nand", arg: "SPEC", help: "bind dev to a NAND device, e.g. page=2K,oob=64,ppb=64,blocks=256"},
		{name: "image", arg: "FILE", help: "load FILE (raw or Intel HEX) into dev"},
	}
)

func commands() []*command {
	return []*command{
		{name: "repl", args: "", short: "interactive Lua prompt with a device bound to dev (the default command)",
			flags: concat(deviceFlags, sandboxFlags[:1], []flagSpec{{name: "mem-limit", arg: "SIZE", help: "memory ceiling per chunk (default 1G)"},
				{name: "traceback", help: "print every error's whole Lua traceback (default: 3 frames; :trace shows the last one whole)"}}), run: cmdREPL},
		{name: "run", args: "SCRIPT.lua [args...]", short: "run a script; arg holds the args",
			flags: concat(sandboxFlags, deviceFlags, []flagSpec{
				{name: "trace", arg: "FILE", help: "record every operation of dev (or of the script's first device) to FILE as JSON Lines"},
			}), script: true, run: cmdRun},
		{name: "test", args: "[PATH...]", short: "run Lua tests (*_test.lua under dirs, or named files)",
			flags: concat(withTimeoutHelp(sandboxFlags, "stop each test (its file's top level plus the test) after DURATION (e.g. 2s, 500ms; a bare number is seconds)"), []flagSpec{
				{name: "run", arg: "REGEX", help: "run only tests whose file/describe/it name matches"},
				{name: "json", help: "print events like go test -json"},
				{name: "junit", arg: "FILE", help: "also write a JUnit XML report to FILE"},
				{name: "shard", arg: "I/N", help: "run shard I (0-based) of N; N alone takes I from TEST_SHARD_INDEX or JOB_COMPLETION_INDEX"},
				{name: "trace", arg: "FILE", help: "record every operation of each test's first device to FILE as JSON Lines, tagged \"test\""},
			}), run: cmdTest},
		{name: "sweep", args: "SCRIPT.lua", short: "run the power-cut sweeps a script defines; failures print a one-line ID that --only ID replays",
			flags: sweepFlags, run: cmdSweep},
		{name: "chips", short: "list chip presets with geometry and timing",
			flags: []flagSpec{{name: "json", help: "print the presets as JSON"}}, run: cmdChips},
		{name: "fcb", short: "Zephyr flash circular buffer tools", sub: []*command{
			{name: "walk", args: "IMAGE --sector-size N", short: "walk an FCB inside a raw image and list its entries",
				flags: []flagSpec{
					{name: "sector-size", arg: "N", help: "bytes per FCB sector (required)"},
					{name: "format", arg: "raw|hex", help: "how to read IMAGE (default: Intel HEX if its name ends in .hex, .ihex or .ihx, else raw)"},
					{name: "sectors", arg: "K", help: "number of sectors (default: all that fit)"},
					{name: "offset", arg: "O", help: "image offset of the first sector (default 0)"},
					{name: "magic", arg: "M", help: "FCB magic (default 0)"},
					{name: "erase-value", arg: "V", help: "erase value of the flash (default 0xff)"},
					{name: "align", arg: "A", help: "write block size (default 1)"},
					{name: "no-crc", help: "entries end in the fixed marker 0xab instead of a CRC-8"},
					{name: "repair", help: "mount past torn sector headers (flashemu extension)"},
					{name: "json", help: "print one JSON array of entries"},
				}, run: cmdFCBWalk},
		}},
		{name: "image", short: "inspect, convert and replay flash images", sub: []*command{
			{name: "info", args: "IMAGE", short: "size, erased ratio, per-sector summary and sidecar (wear) of a raw or Intel HEX image",
				flags: []flagSpec{
					{name: "sector-size", arg: "N", help: "summary unit (default 4K)"},
					{name: "format", arg: "raw|hex", help: "how to read IMAGE (default: Intel HEX if its name ends in .hex, .ihex or .ihx, else raw)"},
					{name: "erase-value", arg: "V", help: "erase value (default 0xff)"},
					{name: "json", help: "print JSON"},
				}, run: cmdImageInfo},
			{name: "replay", args: "[IMAGE] TRACE -o OUT", short: "re-apply an operation trace (dev:trace, --trace, sweep --dump) to an image or blank device",
				flags: imageReplayFlags, run: cmdImageReplay},
			{name: "convert", args: "IN OUT", short: "convert between raw and Intel HEX images (.hex, .ihex, .ihx)",
				flags: imageConvertFlags, run: cmdImageConvert},
		}},
		{name: "wear", args: "IMAGE|SIDECAR.json", short: "erase counts per unit from an image's sidecar: summary, heatmap SVG, CSV",
			flags: wearFlags, run: cmdWear},
		{name: "cc-flags", short: "print the C compiler flags to build a native library against flashemu (cc $(flashemu cc-flags) ...)", run: cmdCCFlags},
		{name: "completion", args: "bash|zsh|fish", short: "print a shell completion script (commands, flags, chip names)", run: cmdCompletion},
		{name: "version", short: "print the version", run: cmdVersion},
	}
}

// withTimeoutHelp returns flags with --timeout's help replaced: what the
// timeout bounds differs by command.
func withTimeoutHelp(flags []flagSpec, help string) []flagSpec {
	out := append([]flagSpec(nil), flags...)
	for i := range out {
		if out[i].name == "timeout" {
			out[i].help = help
		}
	}
	return out
}

func concat(lists ...[]flagSpec) []flagSpec {
	var out []flagSpec
	seen := map[string]bool{}
	for _, l := range lists {
		for _, f := range l {
			if !seen[f.name] {
				seen[f.name] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// Main runs flashemu with args (without the program name) and returns the
// exit status. A Go panic is reported as an internal error, never as a
// stack trace.
func Main(args []string, env Env) (code int) {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	if env.Stdout == nil {
		env.Stdout = io.Discard
	}
	if env.Stderr == nil {
		env.Stderr = io.Discard
	}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(env.Stderr, "flashemu: internal error: %v\n", r)
			code = 1
		}
	}()
	cmds := commands()
	// The command is the first positional argument (flags may come
	// before it); none means the REPL.
	var cmd *command
	path := "repl"
	rest := args
	if j := firstPositional(args); j >= 0 {
		name := args[j]
		if name == "help" {
			return help(env, cmds, args[j+1:])
		}
		cmd = find(cmds, name)
		if cmd == nil {
			return usage(env, fmt.Errorf("unknown command %q (flashemu help lists them)", name))
		}
		path = name
		rest = without(args, j)
		if len(cmd.sub) > 0 {
			k := firstPositional(rest)
			if k < 0 {
				if wantsHelp(rest) {
					return help(env, cmds, []string{name})
				}
				return usage(env, fmt.Errorf("%s: missing subcommand (%s)", name, subNames(cmd)))
			}
			sc := find(cmd.sub, rest[k])
			if sc == nil {
				return usage(env, fmt.Errorf("%s: unknown subcommand %q (%s)", name, rest[k], subNames(cmd)))
			}
			cmd, path = sc, name+" "+sc.name
			rest = without(rest, k)
		}
	} else {
		// No command: flashemu's own -h/--help and -v/--version, else the
		// REPL (whose flags these are).
		if wantsHelp(args) {
			return help(env, cmds, nil)
		}
		if wantsVersion(args) {
			return report(env, "version", cmdVersion(&invocation{env: env, cmd: find(cmds, "version"), path: "version"}))
		}
		cmd = cmds[0]
	}
	helpArgs := rest
	if cmd.script {
		if k := firstPositional(rest); k >= 0 {
			helpArgs = rest[:k]
		}
	}
	if wantsHelp(helpArgs) {
		return help(env, cmds, strings.Fields(path))
	}
	p, err := parseArgs(rest, cmd.flags, cmd.script)
	if err != nil {
		if j := firstPositional(args); j < 0 {
			// flashemu --bogus: not the REPL's fault; point at both helps.
			return usage(env, fmt.Errorf("%v; run 'flashemu help' for the commands (with none, flashemu starts the REPL: 'flashemu help repl')", err))
		}
		if strings.HasPrefix(err.Error(), "unknown flag") {
			return usage(env, fmt.Errorf("%s: %v; run 'flashemu help %s'", path, err, path))
		}
		return usage(env, fmt.Errorf("%s: %v", path, err))
	}
	inv := &invocation{env: env, cmd: cmd, path: path, p: p}
	return report(env, path, cmd.run(inv))
}

// firstPositional is the index of the first argument that is neither a
// flag nor a flag's value, or -1. Flag values are recognised by the flag
// tables: a value follows a known flag that takes one.
func firstPositional(args []string) int {
	valued := map[string]bool{}
	optional := map[string]bool{}
	for _, c := range commands() {
		all := append([]*command{c}, c.sub...)
		for _, cc := range all {
			for _, f := range cc.flags {
				if f.optional {
					optional[f.name] = true
				} else if f.arg != "" {
					valued[f.name] = true
				}
			}
		}
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			if i+1 < len(args) {
				return i + 1
			}
			return -1
		}
		if strings.HasPrefix(a, "-") && len(a) > 1 {
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && (valued[name] || optional[name] && i+1 < len(args) && isDigits(args[i+1])) {
				i++
			}
			continue
		}
		return i
	}
	return -1
}

// without returns args minus element i.
func without(args []string, i int) []string {
	return append(append([]string{}, args[:i]...), args[i+1:]...)
}

// wantsHelp reports a -h/--help flag before any "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-h" || a == "-help" || a == "--help" {
			return true
		}
	}
	return false
}

// wantsVersion reports a -v/--version flag before any "--".
func wantsVersion(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "-v" || a == "-version" || a == "--version" {
			return true
		}
	}
	return false
}

func find(cmds []*command, name string) *command {
	for _, c := range cmds {
		if c.name == name {
			return c
		}
	}
	return nil
}

func subNames(c *command) string {
	var n []string
	for _, s := range c.sub {
		n = append(n, c.name+" "+s.name)
	}
	return strings.Join(n, ", ")
}

// report prints a command's error and maps it to an exit status.
func report(env Env, what string, err error) int {
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) {
		return usage(env, fmt.Errorf("%s: %s", what, ue.msg))
	}
	var ee exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			fmt.Fprintf(env.Stderr, "flashemu: %s: %s\n", what, oneLine(ee.msg))
		}
		return ee.code
	}
	var le *lua.Error
	if errors.As(err, &le) {
		if errors.Is(le, lua.ErrExit) {
			return le.Code
		}
		if le.Where != "" {
			fmt.Fprintf(env.Stderr, "%s: %s\n", le.Where, oneLine(le.Msg))
		} else {
			fmt.Fprintf(env.Stderr, "flashemu: %s: %s\n", what, oneLine(le.Msg))
		}
		return 1
	}
	fmt.Fprintf(env.Stderr, "flashemu: %s: %s\n", what, oneLine(err.Error()))
	return 1
}

func usage(env Env, err error) int {
	fmt.Fprintf(env.Stderr, "flashemu: %s\n", oneLine(err.Error()))
	return 2
}

func oneLine(s string) string {
	return strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\\n")
}

// help prints usage to stdout (exit 0).
func help(env Env, cmds []*command, topic []string) int {
	w := env.Stdout
	name := strings.Join(topic, " ")
	if name != "" {
		var c *command
		parts := strings.Fields(name)
		c = find(cmds, parts[0])
		if c != nil && len(parts) > 1 {
			c = find(c.sub, parts[1])
		}
		if c == nil {
			return usage(env, fmt.Errorf("help: unknown command %q", name))
		}
		if len(c.sub) > 0 {
			for _, s := range c.sub {
				fmt.Fprintf(w, "usage: flashemu %s %s %s\n  %s\n", c.name, s.name, s.args, s.short)
			}
			return 0
		}
		fmt.Fprintf(w, "usage: flashemu %s %s\n\n%s\n", name, c.args, c.short)
		if len(c.flags) > 0 {
			fmt.Fprintf(w, "\nflags:\n%s", flagHelp(c.flags))
		}
		if c.name == "repl" || c.name == "run" {
			fmt.Fprint(w, specHelp)
		}
		return 0
	}
	fmt.Fprint(w, "flashemu: a cycle-counting NOR/NAND flash emulator with fault injection and Lua scripting\n\nusage: flashemu [command] [flags] [args]\n\ncommands:\n")
	for _, c := range cmds {
		if len(c.sub) > 0 {
			for _, s := range c.sub {
				fmt.Fprintf(w, "  %-13s %s\n", c.name+" "+s.name, s.short)
			}
			continue
		}
		fmt.Fprintf(w, "  %-13s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, "\nFlags may appear anywhere. Numbers accept decimal, 0x hex, 0 octal and K/M/G suffixes.\nExit status: 0 success, 1 failure, 2 usage error. flashemu help COMMAND for details.\n-h/--help prints this list, -v/--version the version.\n")
	return 0
}

const specHelp = `
SPEC (--nor, --nand): comma-separated key=value, numbers with K/M/G suffixes:
  --nor  size=1M,sector=4K,wb=4,ev=0xff,max_programs=2,violations=count
  --nor  sectors=4x16K+1x64K+7x128K,protect_boot      (non-uniform map)
  --nand page=2K,oob=64,ppb=64,blocks=256,nop=4,ecc=4,bad=3+17
  --nor  chip=w25q128jv,size=4M                        (preset with overrides)
  aliases: wb=write_block ev=erase_value ppb=pages_per_block ecc=ecc_bits bad=bad_blocks
`

// ----- shared option helpers -----

// parseNumber parses a command-line number (decimal, 0x, 0 octal, K/M/G).
func parseNumber(flag, s string) (uint64, error) {
	v, err := api.ParseSize(s)
	if err != nil {
		return 0, usagef("--%s: bad number %q", flag, s)
	}
	return v, nil
}

// stateOptions builds the sandbox options from --allow-io and --mem-limit.
func (c *invocation) stateOptions() (lua.Options, error) {
	o := lua.Options{AllowIO: c.p.boolean("allow-io"), Stdout: c.env.Stdout}
	if c.p.has("mem-limit") {
		v, err := parseNumber("mem-limit", c.p.str("mem-limit", ""))
		if err != nil {
			return o, err
		}
		o.MemoryLimit = int64(v)
		if v == 0 {
			o.MemoryLimit = -1
		}
	}
	return o, nil
}

// timeout parses --timeout: a Go duration or a number of seconds.
func (c *invocation) timeout() (time.Duration, error) {
	s := c.p.str("timeout", "")
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, err2 := strconv.ParseFloat(s, 64)
		if err2 != nil {
			return 0, usagef("--timeout: bad duration %q (e.g. 2s, 500ms)", s)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d <= 0 {
		return 0, usagef("--timeout: must be positive")
	}
	return d, nil
}

// withTimeout derives a context that ends with lua.ErrTimeout after d.
func withTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeoutCause(ctx, d, fmt.Errorf("%w after %v", lua.ErrTimeout, d))
}
