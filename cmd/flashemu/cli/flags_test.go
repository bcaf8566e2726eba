package cli

import (
	"testing"

	"github.com/flashemu/flashemu/api"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseArgs(t *testing.T) {
	specs := []flagSpec{{name: "json"}, {name: "run", arg: "REGEX"}, {name: "timeout", arg: "D"}, {name: "verify", arg: "[N]", optional: true}}
	tests := []struct {
		name   string
		args   []string
		script bool
		flags  map[string][]string
		pos    []string
		rest   []string
		err    string
	}{
		{name: "flags anywhere", args: []string{"a", "--json", "b", "-run", "x", "--run=y"},
			flags: map[string][]string{"json": {"true"}, "run": {"x", "y"}}, pos: []string{"a", "b"}},
		{name: "double dash ends flags", args: []string{"--json", "--", "--run", "z"},
			flags: map[string][]string{"json": {"true"}}, pos: []string{"--run", "z"}},
		{name: "bool with value", args: []string{"--json=false"}, flags: map[string][]string{"json": {"false"}}},
		{name: "unknown flag", args: []string{"--nope"}, err: "unknown flag --nope"},
		{name: "missing value", args: []string{"--run"}, err: "flag --run needs a value (REGEX)"},
		{name: "bool with junk", args: []string{"--json=maybe"}, err: "flag --json takes no value (or =true/=false)"},
		{name: "script args", script: true, args: []string{"--timeout", "1s", "s.lua", "a", "--v", "--json", "b"},
			flags: map[string][]string{"timeout": {"1s"}, "json": {"true"}}, pos: []string{"s.lua"}, rest: []string{"a", "--v", "b"}},
		{name: "script after double dash", script: true, args: []string{"--", "s.lua", "--json"},
			flags: map[string][]string{}, pos: []string{"s.lua"}, rest: []string{"--json"}},
		{name: "unknown flag before the script", script: true, args: []string{"--v", "s.lua"}, err: "unknown flag --v"},
		{name: "optional value alone", args: []string{"s.lua", "--verify"}, flags: map[string][]string{"verify": {"true"}}, pos: []string{"s.lua"}},
		{name: "optional value given", args: []string{"--verify", "200", "s.lua"}, flags: map[string][]string{"verify": {"200"}}, pos: []string{"s.lua"}},
		{name: "optional value never takes a non-number", args: []string{"--verify", "s.lua"}, flags: map[string][]string{"verify": {"true"}}, pos: []string{"s.lua"}},
		{name: "optional value with =", args: []string{"--verify=7"}, flags: map[string][]string{"verify": {"7"}}},
		{name: "lone dash is positional", args: []string{"-"}, flags: map[string][]string{}, pos: []string{"-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := parseArgs(tt.args, specs, tt.script)
			if tt.err != "" {
				require.Error(t, err)
				assert.Equal(t, tt.err, err.Error())
				assert.IsType(t, usageError{}, err)
				return
			}
			require.NoError(t, err)
			if tt.flags == nil {
				tt.flags = map[string][]string{}
			}
			assert.Equal(t, tt.flags, p.flags)
			assert.Equal(t, tt.pos, p.pos)
			assert.Equal(t, tt.rest, p.rest)
		})
	}
}

func TestFirstPositionalSkipsFlagValues(t *testing.T) {
	assert.Equal(t, 2, firstPositional([]string{"--chip", "w25q128jv", "repl"}))
	assert.Equal(t, 1, firstPositional([]string{"--json", "test"}))
	assert.Equal(t, 1, firstPositional([]string{"--verify", "sweep", "s.lua"}), "an optional value is a number only")
	assert.Equal(t, 2, firstPositional([]string{"--verify", "20", "sweep"}))
	assert.Equal(t, -1, firstPositional([]string{"--nor", "size=1M"}))
	assert.Equal(t, 1, firstPositional([]string{"--", "x"}))
	assert.Equal(t, 1, firstPositional([]string{"--run=x", "test"}))
}

func TestHumanAndDuration(t *testing.T) {
	assert.Equal(t, "4K", api.FormatSize(4096))
	assert.Equal(t, "16M", api.FormatSize(16<<20))
	assert.Equal(t, "2112", api.FormatSize(2112))
	assert.Equal(t, "45ms", duration(45_000_000))
	assert.Equal(t, "400us", duration(400_000))
	assert.Equal(t, "2s", duration(2_000_000_000))
	assert.Equal(t, "81.69us", duration(81_690))
	assert.Equal(t, "22.02ms", duration(22_020_000))
	assert.Equal(t, "0", duration(0))
}
