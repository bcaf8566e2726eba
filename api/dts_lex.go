package api

import (
	"fmt"
	"strings"
)

// The devicetree source lexer: words, strings, punctuation, comments,
// and C preprocessor lines skipped.

type tokKind int

const (
	tEOF tokKind = iota
	tWord
	tString
	tPunct
)

type token struct {
	kind tokKind
	text string
	line int
}

type lexer struct {
	src   string
	pos   int
	line  int
	cells bool // inside <...>
}

func newLexer(src string) *lexer { return &lexer{src: src, line: 1} }

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		strings.IndexByte(",._+*#?@-", c) >= 0
}

// isCellWordByte is the word alphabet inside <...>: C identifiers and
// literals, so that "0x1000+0x2000" is three tokens.
func isCellWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// isSlashWord reports whether s (between two slashes) is a dtc keyword
// such as dts-v1, plugin or delete-node.
func isSlashWord(s string) bool {
	if s == "" || !(s[0] >= 'a' && s[0] <= 'z') {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

var cppDirectives = []string{"include", "define", "undef", "if", "ifdef", "ifndef", "else", "elif", "endif", "pragma", "error", "warning", "line"}

func (l *lexer) errorf(line int, format string, a ...any) error {
	return &DTSError{Line: line, Msg: fmt.Sprintf(format, a...)}
}

// atLineStart reports whether only blanks precede pos on its line.
func (l *lexer) atLineStart() bool {
	for i := l.pos - 1; i >= 0; i-- {
		switch l.src[i] {
		case '\n':
			return true
		case ' ', '\t', '\r':
		default:
			return false
		}
	}
	return true
}

func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == '\n':
			l.line++
			l.pos++
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			l.pos++
		case strings.HasPrefix(l.src[l.pos:], "//"):
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				l.pos++
			}
		case strings.HasPrefix(l.src[l.pos:], "/*"):
			start := l.line
			end := strings.Index(l.src[l.pos+2:], "*/")
			if end < 0 {
				return token{}, l.errorf(start, "unterminated comment")
			}
			l.line += strings.Count(l.src[l.pos:l.pos+2+end], "\n")
			l.pos += end + 4
		case c == '#' && l.atLineStart() && l.isDirective():
			for l.pos < len(l.src) && l.src[l.pos] != '\n' {
				if l.src[l.pos] == '\\' && l.pos+1 < len(l.src) && l.src[l.pos+1] == '\n' {
					l.line++
					l.pos++
				}
				l.pos++
			}
		case c == '"':
			return l.str()
		case c == '/' && !l.cells && l.slashWord() > 0:
			// /dts-v1/, /plugin/, /delete-node/, ...
			n := l.slashWord()
			t := token{kind: tWord, text: l.src[l.pos : l.pos+n], line: l.line}
			l.pos += n
			return t, nil
		case l.cells && isCellWordByte(c) || !l.cells && isWordByte(c):
			start := l.pos
			for l.pos < len(l.src) && (l.cells && isCellWordByte(l.src[l.pos]) || !l.cells && isWordByte(l.src[l.pos])) {
				l.pos++
			}
			return token{kind: tWord, text: l.src[start:l.pos], line: l.line}, nil
		default:
			if l.pos+1 < len(l.src) {
				if two := l.src[l.pos : l.pos+2]; two == "<<" || two == ">>" || two == "&&" || two == "||" || two == "==" || two == "!=" || two == "<=" || two == ">=" {
					t := token{kind: tPunct, text: two, line: l.line}
					l.pos += 2
					return t, nil
				}
			}
			if strings.IndexByte("{};=<>[],:&()+-*/%|^~!?", c) < 0 {
				return token{}, l.errorf(l.line, "unexpected character %q", c)
			}
			t := token{kind: tPunct, text: string(c), line: l.line}
			l.pos++
			return t, nil
		}
	}
	return token{kind: tEOF, line: l.line}, nil
}

// slashWord returns the length of a /keyword/ token at pos, or 0.
func (l *lexer) slashWord() int {
	end := strings.IndexByte(l.src[l.pos+1:], '/')
	if end < 0 || !isSlashWord(l.src[l.pos+1:l.pos+1+end]) {
		return 0
	}
	return end + 2
}

func (l *lexer) isDirective() bool {
	rest := strings.TrimLeft(l.src[l.pos+1:], " \t")
	for _, d := range cppDirectives {
		if strings.HasPrefix(rest, d) && (len(rest) == len(d) || !isWordByte(rest[len(d)])) {
			return true
		}
	}
	return false
}

func (l *lexer) str() (token, error) {
	line := l.line
	var b strings.Builder
	l.pos++
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch c {
		case '"':
			l.pos++
			return token{kind: tString, text: b.String(), line: line}, nil
		case '\n':
			return token{}, l.errorf(line, "unterminated string")
		case '\\':
			if l.pos+1 < len(l.src) {
				l.pos++
				switch e := l.src[l.pos]; e {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(e)
				}
			}
		default:
			b.WriteByte(c)
		}
		l.pos++
	}
	return token{}, l.errorf(line, "unterminated string")
}
