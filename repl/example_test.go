package repl_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/flashemu/flashemu/lua"
	"github.com/flashemu/flashemu/repl"
)

// The REPL core evaluates lines without a terminal.
func ExampleREPL() {
	var out strings.Builder
	r, err := repl.New(lua.Options{}, &out, &out)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	ctx := context.Background()
	for _, line := range []string{"1 + 1", "function f(x)", "return x * 2", "end", "f(21)", "hex('ff00')"} {
		r.Feed(ctx, line)
	}
	fmt.Print(out.String())
	// Output:
	// 2
	// 42
	// hex("ff00")
}
