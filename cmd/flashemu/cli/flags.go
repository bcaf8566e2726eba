package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flashemu/flashemu/internal/atomicfile"
)

// flagSpec describes one command-line flag.
type flagSpec struct {
	name string // without dashes
	arg  string // value placeholder for help; "" for a boolean flag
	help string
	// optional: the value may be left out (the flag alone reads "true");
	// given separately it must be a number ("--verify 200"), so a
	// following positional argument is never taken for it.
	optional bool
}

// parsedArgs is the result of parsing one command's arguments.
type parsedArgs struct {
	flags map[string][]string // name -> values ("true" for booleans)
	pos   []string            // positional arguments
	rest  []string            // run: arguments for the script
}

func (p parsedArgs) has(name string) bool { return len(p.flags[name]) > 0 }

// str returns the last value of a flag, or def.
func (p parsedArgs) str(name, def string) string {
	if v := p.flags[name]; len(v) > 0 {
		return v[len(v)-1]
	}
	return def
}

func (p parsedArgs) boolean(name string) bool { return p.str(name, "false") == "true" }

// usageError is a command-line mistake: exit status 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

func usagef(format string, v ...any) error { return usageError{fmt.Sprintf(format, v...)} }

// parseArgs parses flags wherever they appear: "-x", "--x", "--x=v",
// "--x v". "--" ends flag parsing. With script set (flashemu run), the
// first positional argument is the script; after it, known flags are
// still flashemu's, and anything else (including unknown flags) is passed
// to the script; everything after "--" goes to the script.
func parseArgs(args []string, specs []flagSpec, script bool) (parsedArgs, error) {
	p := parsedArgs{flags: map[string][]string{}}
	byName := map[string]flagSpec{}
	for _, s := range specs {
		byName[s.name] = s
	}
	haveScript := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest := args[i+1:]
			if script {
				if !haveScript && len(rest) > 0 {
					p.pos = append(p.pos, rest[0])
					rest = rest[1:]
				}
				p.rest = append(p.rest, rest...)
			} else {
				p.pos = append(p.pos, rest...)
			}
			break
		}
		if len(a) < 2 || a[0] != '-' {
			if script && haveScript {
				p.rest = append(p.rest, a)
				continue
			}
			p.pos = append(p.pos, a)
			if script {
				haveScript = true
			}
			continue
		}
		name := strings.TrimLeft(a, "-")
		val, hasVal := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, val, hasVal = k, v, true
		}
		spec, known := byName[name]
		if !known {
			if script && haveScript {
				p.rest = append(p.rest, a)
				continue
			}
			return p, usagef("unknown flag %s", a)
		}
		if spec.optional && !hasVal {
			val = "true"
			if i+1 < len(args) && isDigits(args[i+1]) {
				i++
				val = args[i]
			}
		} else if spec.arg == "" {
			if !hasVal {
				val = "true"
			} else if val != "true" && val != "false" {
				return p, usagef("flag --%s takes no value (or =true/=false)", name)
			}
		} else if !hasVal {
			if i+1 >= len(args) {
				return p, usagef("flag --%s needs a value (%s)", name, spec.arg)
			}
			i++
			val = args[i]
		}
		p.flags[name] = append(p.flags[name], val)
	}
	return p, nil
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// flagHelp formats flag specs for usage text.
func flagHelp(specs []flagSpec) string {
	var b strings.Builder
	for _, s := range specs {
		left := "--" + s.name
		if len(s.name) == 1 {
			left = "-" + s.name
		}
		if s.arg != "" {
			left += " " + s.arg
		}
		fmt.Fprintf(&b, "  %-22s %s\n", left, s.help)
	}
	return b.String()
}

// createOut starts writing an output file atomically, making missing
// directories.
func createOut(path string) (*atomicfile.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	return atomicfile.Create(nil, path)
}
