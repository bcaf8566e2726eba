package lua

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSandboxSaysWhy: what the sandbox leaves out raises a message naming
// --allow-io at the script's line, not "attempt to call a nil value".
func TestSandboxSaysWhy(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{`local f = io.open("x")`, `t.lua:1: io is disabled in the sandbox (use --allow-io)`},
		{`io.write("x")`, `t.lua:1: io is disabled in the sandbox (use --allow-io)`},
		{`os.execute("true")`, `t.lua:1: os.execute is disabled in the sandbox (use --allow-io)`},
		{`os.remove("x")`, `t.lua:1: os.remove is disabled in the sandbox (use --allow-io)`},
		{`debug.getinfo(1)`, `t.lua:1: debug is disabled in the sandbox (use --allow-io)`},
		{`dofile("x.lua")`, `t.lua:1: dofile is disabled in the sandbox (use --allow-io)`},
		{`loadfile("x.lua")`, `t.lua:1: loadfile is disabled in the sandbox (use --allow-io)`},
	} {
		_, err := runLua(t, Options{}, tt.src)
		require.Error(t, err, tt.src)
		assert.Equal(t, tt.want, err.Error(), tt.src)
	}
	out, err := runLua(t, Options{}, `print(os.time() > 0, type(os.clock()))`)
	require.NoError(t, err)
	assert.Equal(t, "true\tnumber\n", out)
}
