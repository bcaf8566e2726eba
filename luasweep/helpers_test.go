package luasweep

import (
	"bytes"
	"context"
	"testing"

	"github.com/flashemu/flashemu/lua"
	"github.com/stretchr/testify/require"
)

// runLua runs src as t.lua (this package's init has registered the sweep
// module) and returns what it printed.
func runLua(t testing.TB, opts lua.Options, src string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	opts.Stdout = &out
	prog, err := lua.CompileString("t.lua", src)
	if err != nil {
		return "", err
	}
	err = prog.Exec(context.Background(), opts)
	return out.String(), err
}

// luaErr runs src and returns its error as "file:line: message".
func luaErr(t *testing.T, src string) string {
	t.Helper()
	_, err := runLua(t, lua.Options{}, src)
	require.Error(t, err, "script should fail:\n%s", src)
	return err.Error()
}
