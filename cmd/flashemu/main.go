// Command flashemu is a cycle-counting NOR/NAND flash emulator with fault
// injection, Lua scripting and a REPL. See `flashemu help`.
package main

import (
	"os"

	"github.com/flashemu/flashemu/cmd/flashemu/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.OSEnv()))
}
