package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/flashemu/flashemu/emu"
)

// flashemu completion bash|zsh|fish: a shell completion script, generated
// from the command table (commands, subcommands, each one's flags) and the
// chip presets (the value of --chip). Install with, e.g.,
//
//	flashemu completion bash > ~/.local/share/bash-completion/completions/flashemu
//	flashemu completion zsh > "${fpath[1]}/_flashemu"
//	flashemu completion fish > ~/.config/fish/completions/flashemu.fish

func cmdCompletion(c *invocation) error {
	if len(c.p.pos) != 1 {
		return usagef("want one shell: bash, zsh or fish")
	}
	w := c.env.Stdout
	switch c.p.pos[0] {
	case "bash":
		writeBashCompletion(w, commands())
	case "zsh":
		// zsh runs bash completion scripts through bashcompinit.
		fmt.Fprintln(w, "#compdef flashemu")
		fmt.Fprintln(w, "autoload -U +X bashcompinit && bashcompinit")
		writeBashCompletion(w, commands())
	case "fish":
		writeFishCompletion(w, commands())
	default:
		return usagef("unknown shell %q: want bash, zsh or fish", c.p.pos[0])
	}
	return nil
}

// completionWords lists the top-level words and, per command path
// ("sweep", "fcb walk"), its flags as --name.
func completionWords(cmds []*command) (top []string, flags map[string][]string, subs map[string][]string) {
	flags = map[string][]string{}
	subs = map[string][]string{}
	top = append(top, "help")
	for _, c := range cmds {
		top = append(top, c.name)
		for _, f := range c.flags {
			flags[c.name] = append(flags[c.name], "--"+f.name)
		}
		for _, s := range c.sub {
			subs[c.name] = append(subs[c.name], s.name)
			for _, f := range s.flags {
				flags[c.name+" "+s.name] = append(flags[c.name+" "+s.name], "--"+f.name)
			}
		}
	}
	return top, flags, subs
}

func chipNames() []string {
	var n []string
	for _, c := range emu.Chips() {
		n = append(n, c.Name)
	}
	sort.Strings(n)
	return n
}

func writeBashCompletion(w io.Writer, cmds []*command) {
	top, flags, subs := completionWords(cmds)
	fmt.Fprint(w, `# bash completion for flashemu (flashemu completion bash)
_flashemu() {
    local cur prev cmd sub i
    cur="${COMP_WORDS[COMP_CWORD]}"
    prev="${COMP_WORDS[COMP_CWORD-1]}"
    cmd="" sub=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${COMP_WORDS[i]}" in
            -*) ;;
            *) if [[ -z "$cmd" ]]; then cmd="${COMP_WORDS[i]}"; elif [[ -z "$sub" ]]; then sub="${COMP_WORDS[i]}"; fi ;;
        esac
    done
    case "$prev" in
        --chip) COMPREPLY=($(compgen -W "`+strings.Join(chipNames(), " ")+`" -- "$cur")); return ;;
        --format) COMPREPLY=($(compgen -W "raw hex" -- "$cur")); return ;;
    esac
    local key="$cmd"
    case "$cmd" in
`)
	var withSub []string
	for k := range subs {
		withSub = append(withSub, k)
	}
	sort.Strings(withSub)
	for _, k := range withSub {
		fmt.Fprintf(w, "        %s) if [[ -z \"$sub\" ]]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi; key=\"$cmd $sub\" ;;\n",
			k, strings.Join(subs[k], " "))
	}
	fmt.Fprint(w, `    esac
    if [[ -z "$cmd" && "$cur" != -* ]]; then
        COMPREPLY=($(compgen -W "`+strings.Join(top, " ")+`" -- "$cur")); return
    fi
    if [[ "$cur" == -* ]]; then
        local flags=""
        case "${key:-repl}" in
`)
	var keys []string
	for k := range flags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "            %q) flags=%q ;;\n", k, strings.Join(flags[k], " "))
	}
	fmt.Fprint(w, `        esac
        COMPREPLY=($(compgen -W "$flags --help" -- "$cur")); return
    fi
    if [[ "$cmd" == help ]]; then
        COMPREPLY=($(compgen -W "`+strings.Join(top[1:], " ")+`" -- "$cur")); return
    fi
    if [[ "$cmd" == completion ]]; then
        COMPREPLY=($(compgen -W "bash zsh fish" -- "$cur")); return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -o filenames -F _flashemu flashemu
`)
}

func writeFishCompletion(w io.Writer, cmds []*command) {
	top, _, _ := completionWords(cmds)
	fmt.Fprintln(w, "# fish completion for flashemu (flashemu completion fish)")
	fmt.Fprintf(w, "complete -c flashemu -n '__fish_use_subcommand' -f -a %q\n", strings.Join(top, " "))
	for _, c := range cmds {
		for _, f := range c.flags {
			fishFlag(w, "__fish_seen_subcommand_from "+c.name, f)
		}
		if len(c.sub) > 0 {
			var names []string
			for _, s := range c.sub {
				names = append(names, s.name)
				for _, f := range s.flags {
					fishFlag(w, "__fish_seen_subcommand_from "+s.name, f)
				}
			}
			fmt.Fprintf(w, "complete -c flashemu -n '__fish_seen_subcommand_from %s' -f -a %q\n", c.name, strings.Join(names, " "))
		}
	}
	fmt.Fprintf(w, "complete -c flashemu -n '__fish_seen_subcommand_from completion' -f -a 'bash zsh fish'\n")
}

func fishFlag(w io.Writer, cond string, f flagSpec) {
	line := fmt.Sprintf("complete -c flashemu -n '%s' -l %s", cond, f.name)
	if f.arg != "" && !f.optional {
		line += " -r"
	}
	if f.name == "chip" {
		line += fmt.Sprintf(" -f -a %q", strings.Join(chipNames(), " "))
	}
	line += fmt.Sprintf(" -d %q", fishQuote(f.help))
	fmt.Fprintln(w, line)
}

// fishQuote keeps a description inside fish's double quotes.
func fishQuote(s string) string {
	return strings.NewReplacer(`$`, `\$`, "`", "'").Replace(s)
}
