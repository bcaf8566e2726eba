package lua

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFaultsBinding(t *testing.T) {
	out := luaOut(t, Options{}, `
local dev = flash.nor{size = 65536, sector = 4096, write_block = 4, seed = 3}
faults.power_cut(dev, {after_ops = 2, fraction = 0.5, model = "prefix"})
print(dev:write(0, "aaaa"))
local ok, e = pcall(dev.write, dev, 4, ("b"):rep(64))
print(ok, faults.is_power_loss(e), dev:powered(), faults.plan(dev))
local ev = faults.events(dev)
print(#ev, ev[#ev].what, ev[#ev].op, ev[#ev].off, ev[#ev].fraction, ev[#ev].model)
dev:power_on()
local torn = dev:read(4, 64)
print(tohex(torn))
faults.fail(dev, {op = "erase", nth = 1, errno = -28})
print(dev:erase(0, 4096))
print(dev:erase(0, 4096))
faults.flip(dev, 8, 0)
print(tohex(dev:read(8, 1)))
faults.stuck(dev, 9, 7, 0)
print(tohex(dev:read(9, 1)))
faults.clear(dev)
print(faults.plan(dev), #faults.events(dev))
-- A plan string re-arms the same faults on a fresh device.
local d2 = flash.nor{size = 65536, sector = 4096, write_block = 4}
faults.attach(d2, "seed=3;cut:after_ops=1,fraction=0.5,model=prefix")
local ok2, e2 = pcall(d2.write, d2, 4, ("b"):rep(64))
print(ok2, faults.is_power_loss(e2))
d2:power_on()
print(d2:read(4, 64) == torn)
faults.advance(d2, 1e9)
print(d2:clock() >= 1e9)`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 12, out)
	assert.Equal(t, "true", lines[0])
	assert.Equal(t, "false\ttrue\tfalse\tseed=3;cut:after_ops=2,fraction=0.5,model=prefix", lines[1])
	assert.Equal(t, "2\tcut\tprogram\t4\t0.5\tprefix", lines[2])
	assert.Equal(t, strings.Repeat("62", 32)+strings.Repeat("ff", 32), lines[3])
	assert.Regexp(t, `^nil\tfaults: injected .*\t-28$`, lines[4])
	assert.Equal(t, "true", lines[5])
	assert.Equal(t, "fe", lines[6])
	assert.Equal(t, "7f", lines[7])
	assert.Equal(t, "nil\t0", lines[8])
	assert.Equal(t, "false\ttrue", lines[9])
	assert.Equal(t, "true", lines[10])
	assert.Equal(t, "true", lines[11])
}

func TestFaultsBadArguments(t *testing.T) {
	pre := "local dev = flash.nor{}\n\n\n"
	tests := []struct{ call, want string }{
		{"faults.power_cut(dev, {})", "bad argument #2 to 'power_cut' (give exactly one of after_ops, at_ns and op)"},
		{"faults.power_cut(dev, {after_ops = 1, at_ns = 5})", "bad argument #2 to 'power_cut' (give exactly one of after_ops, at_ns and op)"},
		{"faults.power_cut(dev, {after_ops = 1.5})", "bad argument #2 to 'power_cut' (field 'after_ops': number has no integer representation)"},
		{"faults.power_cut(dev, {after_ops = 1, modle = 'x'})", "bad argument #2 to 'power_cut' (unknown field 'modle' (known: after_ops, at_ns, count_reads, fraction, model, op, seed))"},
		{"faults.power_cut({}, {after_ops = 1})", "bad argument #1 to 'power_cut' (flashemu.device expected, got table)"},
		{"faults.flip(dev, 0, 8)", "bad argument #3 to 'flip' (8 out of range [0, 7])"},
		{"faults.stuck(dev, 0, 1, 2)", "bad argument #4 to 'stuck' (2 out of range [0, 1])"},
		{"faults.bitflips(dev, {})", "bad argument #2 to 'bitflips' (give read_disturb and/or retention)"},
		{"faults.wear(dev, {endurance = 0})", "bad argument #2 to 'wear' (field 'endurance': 0 out of range [1, 2^32))"},
		{"faults.fail(dev, {op = 'poke', nth = 1})", "bad argument #2 to 'fail' (field 'op': \"poke\" is not \"program\", \"erase\" or \"read\")"},
		{"faults.fail(dev, {op = 'read'})", "bad argument #2 to 'fail' (give exactly one of nth and rate)"},
		{"faults.attach(dev, 'nonsense')", "bad argument #2 to 'attach' ("},
	}
	for _, tt := range tests {
		t.Run(tt.call, func(t *testing.T) {
			_, err := runLua(t, Options{}, pre+tt.call)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "t.lua:4: "+tt.want), err.Error())
		})
	}
}
