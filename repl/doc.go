// Package repl is the terminal-independent core of `flashemu repl`: a
// read-eval-print loop over a lua.State.
//
// REPL evaluates lines: bare expressions print their values, a chunk whose
// syntax error is at the end of input waits for more lines, ":help" lists
// the modules, Complete completes globals, module fields and userdata
// methods. REPL.Loop reads from a LineReader only between evaluations and
// cancels a running chunk on an interrupt signal. The terminal (line
// editing, history) is the CLI's.
package repl
