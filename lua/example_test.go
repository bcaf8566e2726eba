package lua_test

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/flashemu/flashemu/lua"
)

// Compile once, run in a fresh state: what the test runner and the sweep
// engine do for every run.
func ExampleProgram() {
	prog, err := lua.CompileString("example.lua", `
local dev = flash.nor{size = 65536, sector = 4096, write_block = 4}
assert(dev:write(0, "data"))
print(dev:read(0, 4), select("#", ...), arg[1])
local ok, msg, errno = dev:write(1, "x")
print(ok, errno)
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i := 0; i < 2; i++ {
		if err := prog.Exec(context.Background(), lua.Options{Stdout: os.Stdout, Args: []string{fmt.Sprint(i)}}); err != nil {
			fmt.Println(err)
		}
	}
	// Output:
	// data	1	0
	// nil	-22
	// data	1	1
	// nil	-22
}

// Errors carry Lua's file:line position.
func ExampleError() {
	err := func() error {
		prog, err := lua.CompileString("bad.lua", "local dev = flash.nor{}\ndev:write(0, 42)")
		if err != nil {
			return err
		}
		return prog.Exec(context.Background(), lua.Options{})
	}()
	var le *lua.Error
	if errors.As(err, &le) {
		fmt.Println(le.Where)
		fmt.Println(le.Msg)
	}
	// Output:
	// bad.lua:2
	// bad argument #2 to 'write' (string expected, got number)
}
