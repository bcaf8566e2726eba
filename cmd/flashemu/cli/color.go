package cli

import (
	"io"

	"github.com/flashemu/flashemu/luatest"
)

// colors styles verdicts and IDs with ANSI escapes when the output is a
// terminal that allows them: FAIL red, PASS green, branch IDs bold. It is
// off when NO_COLOR is set (https://no-color.org), TERM is "dumb", or the
// output is not a terminal.
type colors struct{ on bool }

func colorsFor(w io.Writer, getenv func(string) string) colors {
	if getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return colors{}
	}
	return colors{on: isTerminal(w)}
}

func (c colors) wrap(code, s string) string {
	if !c.on {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (c colors) fail(s string) string { return c.wrap("1;31", s) }
func (c colors) pass(s string) string { return c.wrap("32", s) }
func (c colors) id(s string) string   { return c.wrap("1", s) }

// status colours a test result word: FAIL red, PASS green, SKIP yellow.
func (c colors) status(st luatest.Status, word string) string {
	switch st {
	case luatest.Fail:
		return c.fail(word)
	case luatest.Pass:
		return c.pass(word)
	}
	return c.wrap("33", word)
}
