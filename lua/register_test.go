package lua

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	glua "github.com/yuin/gopher-lua"
)

type counterKey struct{}

func TestRegisterModuleAndValues(t *testing.T) {
	RegisterModule(Module{
		Name: "testmod",
		Doc:  "a module registered from outside",
		Funcs: []Func{{Name: "bump", Sig: "testmod.bump() --> n", Doc: "count calls per state", Fn: func(s *State, L *glua.LState) int {
			n, _ := s.Value(counterKey{}).(int)
			n++
			s.SetValue(counterKey{}, n)
			L.Push(glua.LNumber(n))
			return 1
		}}},
		Setup: func(s *State, mod *glua.LTable) { mod.RawSetString("VERSION", glua.LString("1")) },
	})
	t.Cleanup(func() { modules = modules[:len(modules)-1] })
	for i := 0; i < 2; i++ { // each state counts on its own
		out, err := runLua(t, Options{}, "testmod.bump() print(require('testmod').bump(), testmod.VERSION)")
		require.NoError(t, err)
		assert.Equal(t, "2\t1\n", out)
	}
	var found bool
	for _, m := range Docs() {
		if m.Name == "testmod" {
			found = true
			assert.Equal(t, "testmod.bump() --> n", m.Funcs[0].Sig)
		}
	}
	assert.True(t, found)
}
