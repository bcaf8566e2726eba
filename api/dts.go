package api

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// DTSError is a devicetree fragment error with its 1-based line number. It
// wraps ErrDTS (EINVAL).
type DTSError struct {
	Line int
	Msg  string
}

// Error is "api: devicetree: line N: message".
func (e *DTSError) Error() string { return fmt.Sprintf("api: devicetree: line %d: %s", e.Line, e.Msg) }

// Unwrap makes errors.Is(err, ErrDTS) true.
func (e *DTSError) Unwrap() error { return ErrDTS }

// ParseDTS builds a flash map for dev from a devicetree fragment holding
// fixed partitions, the way Zephyr's flash map is generated from the
// devicetree:
//
//	partitions {
//		compatible = "fixed-partitions";
//		#address-cells = <1>;
//		#size-cells = <1>;
//		boot_partition: partition@0 {
//			label = "mcuboot";
//			reg = <0x0 DT_SIZE_K(64)>;
//		};
//		storage_partition: partition@f0000 {
//			label = "storage";
//			reg = <0xf0000 0x10000>;
//		};
//	};
//
// The fragment may be wrapped in other nodes (`/ { ... };`, `&flash0 { ... };`,
// `flash@0 { ... };`); every node whose compatible includes
// "fixed-partitions" contributes its children with a reg property, in
// order, with ids from 0. A partition whose compatible is
// "fixed-subpartitions" contributes its own children too, their reg being
// relative to it. A partition's label is its label property, else its node
// label, else its node name; FlashMap.OpenLabel accepts the node label too.
// Partitions under a node with status = "disabled" keep their id but open
// with ENOENT, as in Zephyr.
//
// Cells accept C integer literals (decimal, 0x hex, 0 octal, U/L suffixes),
// parenthesised integer expressions and Zephyr's DT_SIZE_K()/DT_SIZE_M();
// #address-cells and #size-cells may be 1 or 2. Comments and preprocessor
// lines (#include, #define, ...) are skipped. Errors are *DTSError values
// (wrapping ErrDTS, EINVAL) with the line of the problem: syntax errors,
// partitions outside the device, overlapping sibling partitions, and
// duplicate labels.
func ParseDTS(dev Device, src string) (*FlashMap, error) {
	p := &dtsParser{lx: newLexer(src)}
	root, err := p.parseFile()
	if err != nil {
		return nil, err
	}
	return buildMap(dev, root)
}

// ---- lexer ----

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

// ---- parser ----

type dtsValue struct {
	cells []uint64 // <...>
	str   *string  // "..."
	bytes []byte   // [...]
	ref   string   // &label outside cells
}

type dtsProp struct {
	name string
	vals []dtsValue
	line int
}

type dtsNode struct {
	name     string // node name without unit address
	unit     string
	labels   []string
	props    []*dtsProp
	children []*dtsNode
	line     int
	ref      string // &label reference node
}

func (n *dtsNode) prop(name string) *dtsProp {
	for i := len(n.props) - 1; i >= 0; i-- {
		if n.props[i].name == name {
			return n.props[i]
		}
	}
	return nil
}

func (n *dtsNode) strings(name string) []string {
	p := n.prop(name)
	if p == nil {
		return nil
	}
	var out []string
	for _, v := range p.vals {
		if v.str != nil {
			out = append(out, *v.str)
		}
	}
	return out
}

type dtsParser struct {
	lx   *lexer
	tok  token
	peek *token
}

func (p *dtsParser) advance() error {
	if p.peek != nil {
		p.tok, p.peek = *p.peek, nil
		return nil
	}
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *dtsParser) lookahead() (token, error) {
	if p.peek == nil {
		t, err := p.lx.next()
		if err != nil {
			return token{}, err
		}
		p.peek = &t
	}
	return *p.peek, nil
}

func (p *dtsParser) errorf(format string, a ...any) error {
	return &DTSError{Line: p.tok.line, Msg: fmt.Sprintf(format, a...)}
}

func (p *dtsParser) describe() string {
	switch p.tok.kind {
	case tEOF:
		return "end of input"
	case tString:
		return strconv.Quote(p.tok.text)
	}
	return strconv.Quote(p.tok.text)
}

func (p *dtsParser) expect(punct string) error {
	if p.tok.kind != tPunct || p.tok.text != punct {
		return p.errorf("expected %q, found %s", punct, p.describe())
	}
	return p.advance()
}

func (p *dtsParser) parseFile() (*dtsNode, error) {
	root := &dtsNode{name: "/", line: 1}
	if err := p.advance(); err != nil {
		return nil, err
	}
	for p.tok.kind != tEOF {
		if p.tok.kind == tWord && (p.tok.text == "/dts-v1/" || p.tok.text == "/plugin/") {
			if err := p.advance(); err != nil {
				return nil, err
			}
			if err := p.expect(";"); err != nil {
				return nil, err
			}
			continue
		}
		if err := p.parseItem(root); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// parseItem parses a property or a child node into parent.
func (p *dtsParser) parseItem(parent *dtsNode) error {
	var labels []string
	line := p.tok.line
	// Labels: word ':'
	for p.tok.kind == tWord {
		la, err := p.lookahead()
		if err != nil {
			return err
		}
		if la.kind != tPunct || la.text != ":" {
			break
		}
		labels = append(labels, p.tok.text)
		if err := p.advance(); err != nil {
			return err
		}
		if err := p.advance(); err != nil {
			return err
		}
	}
	switch {
	case p.tok.kind == tPunct && p.tok.text == "&":
		if err := p.advance(); err != nil {
			return err
		}
		if p.tok.kind != tWord {
			return p.errorf("expected a label after '&', found %s", p.describe())
		}
		n := &dtsNode{name: p.tok.text, ref: p.tok.text, labels: labels, line: p.tok.line}
		if err := p.advance(); err != nil {
			return err
		}
		if err := p.parseBody(n); err != nil {
			return err
		}
		parent.children = append(parent.children, n)
		return nil
	case p.tok.kind == tPunct && p.tok.text == "/":
		// The root node.
		n := &dtsNode{name: "/", labels: labels, line: p.tok.line}
		if err := p.advance(); err != nil {
			return err
		}
		if err := p.parseBody(n); err != nil {
			return err
		}
		parent.children = append(parent.children, n)
		return nil
	case p.tok.kind == tWord && strings.HasPrefix(p.tok.text, "/delete-"):
		return p.errorf("%s is not supported", p.tok.text)
	case p.tok.kind != tWord:
		return p.errorf("expected a node or property name, found %s", p.describe())
	}
	name := p.tok.text
	if err := p.advance(); err != nil {
		return err
	}
	switch {
	case p.tok.kind == tPunct && p.tok.text == "{":
		n := &dtsNode{name: name, labels: labels, line: line}
		if at := strings.IndexByte(name, '@'); at >= 0 {
			n.name, n.unit = name[:at], name[at+1:]
		}
		if err := p.parseBody(n); err != nil {
			return err
		}
		parent.children = append(parent.children, n)
		return nil
	case p.tok.kind == tPunct && (p.tok.text == "=" || p.tok.text == ";"):
		prop := &dtsProp{name: name, line: line}
		if p.tok.text == "=" {
			if err := p.advance(); err != nil {
				return err
			}
			for {
				v, err := p.parseValue()
				if err != nil {
					return err
				}
				prop.vals = append(prop.vals, v)
				if p.tok.text == "," && p.tok.kind != tString { // ',' lexes as a word outside cells
					if err := p.advance(); err != nil {
						return err
					}
					continue
				}
				break
			}
		}
		if err := p.expect(";"); err != nil {
			return err
		}
		parent.props = append(parent.props, prop)
		return nil
	}
	return p.errorf("expected '{', '=' or ';' after %q, found %s", name, p.describe())
}

// parseBody parses '{' items '}' ';'.
func (p *dtsParser) parseBody(n *dtsNode) error {
	if err := p.expect("{"); err != nil {
		return err
	}
	for !(p.tok.kind == tPunct && p.tok.text == "}") {
		if p.tok.kind == tEOF {
			return &DTSError{Line: n.line, Msg: fmt.Sprintf("node %q is not closed", n.name)}
		}
		if err := p.parseItem(n); err != nil {
			return err
		}
	}
	if err := p.advance(); err != nil {
		return err
	}
	return p.expect(";")
}

func (p *dtsParser) parseValue() (dtsValue, error) {
	switch {
	case p.tok.kind == tString:
		s := p.tok.text
		return dtsValue{str: &s}, p.advance()
	case p.tok.kind == tPunct && p.tok.text == "<":
		p.lx.cells = true
		if err := p.advance(); err != nil {
			return dtsValue{}, err
		}
		var cells []uint64
		for !(p.tok.kind == tPunct && p.tok.text == ">") {
			if p.tok.kind == tEOF {
				p.lx.cells = false
				return dtsValue{}, p.errorf("unterminated cell list")
			}
			if p.tok.kind == tPunct && p.tok.text == "&" {
				// A phandle reference: its value is irrelevant here.
				if err := p.advance(); err != nil {
					return dtsValue{}, err
				}
				if p.tok.kind != tWord {
					return dtsValue{}, p.errorf("expected a label after '&'")
				}
				cells = append(cells, 0)
				if err := p.advance(); err != nil {
					return dtsValue{}, err
				}
				continue
			}
			v, err := p.parsePrimary()
			if err != nil {
				return dtsValue{}, err
			}
			cells = append(cells, v)
		}
		p.lx.cells = false
		return dtsValue{cells: cells}, p.advance()
	case p.tok.kind == tPunct && p.tok.text == "[":
		if err := p.advance(); err != nil {
			return dtsValue{}, err
		}
		var hexs strings.Builder
		for !(p.tok.kind == tPunct && p.tok.text == "]") {
			if p.tok.kind != tWord {
				return dtsValue{}, p.errorf("expected hex bytes, found %s", p.describe())
			}
			hexs.WriteString(p.tok.text)
			if err := p.advance(); err != nil {
				return dtsValue{}, err
			}
		}
		s := hexs.String()
		if len(s)%2 != 0 {
			return dtsValue{}, p.errorf("odd number of hex digits in byte string")
		}
		b := make([]byte, len(s)/2)
		for i := range b {
			v, err := strconv.ParseUint(s[2*i:2*i+2], 16, 8)
			if err != nil {
				return dtsValue{}, p.errorf("bad byte %q", s[2*i:2*i+2])
			}
			b[i] = byte(v)
		}
		return dtsValue{bytes: b}, p.advance()
	case p.tok.kind == tPunct && p.tok.text == "&":
		if err := p.advance(); err != nil {
			return dtsValue{}, err
		}
		ref := p.tok.text
		return dtsValue{ref: ref}, p.advance()
	}
	return dtsValue{}, p.errorf("expected a value, found %s", p.describe())
}

// parsePrimary parses one cell: a literal, a macro call or a parenthesised
// expression.
func (p *dtsParser) parsePrimary() (uint64, error) {
	switch {
	case p.tok.kind == tPunct && p.tok.text == "(":
		if err := p.advance(); err != nil {
			return 0, err
		}
		v, err := p.parseExpr(0)
		if err != nil {
			return 0, err
		}
		return v, p.expect(")")
	case p.tok.kind == tPunct && (p.tok.text == "-" || p.tok.text == "~" || p.tok.text == "!" || p.tok.text == "+"):
		op := p.tok.text
		if err := p.advance(); err != nil {
			return 0, err
		}
		v, err := p.parsePrimary()
		if err != nil {
			return 0, err
		}
		switch op {
		case "-":
			return -v, nil
		case "~":
			return ^v, nil
		case "!":
			if v == 0 {
				return 1, nil
			}
			return 0, nil
		}
		return v, nil
	case p.tok.kind == tWord:
		word, line := p.tok.text, p.tok.line
		if err := p.advance(); err != nil {
			return 0, err
		}
		if word[0] >= '0' && word[0] <= '9' {
			v, err := parseCLiteral(word)
			if err != nil {
				return 0, &DTSError{Line: line, Msg: err.Error()}
			}
			return v, nil
		}
		mult, ok := map[string]uint64{"DT_SIZE_K": 1 << 10, "DT_SIZE_M": 1 << 20, "KB": 1 << 10, "MB": 1 << 20}[word]
		if !ok || !(p.tok.kind == tPunct && p.tok.text == "(") {
			return 0, &DTSError{Line: line, Msg: fmt.Sprintf("unknown identifier %q in cells (macros are not expanded except DT_SIZE_K/DT_SIZE_M)", word)}
		}
		if err := p.advance(); err != nil {
			return 0, err
		}
		v, err := p.parseExpr(0)
		if err != nil {
			return 0, err
		}
		return v * mult, p.expect(")")
	}
	return 0, p.errorf("expected a number, found %s", p.describe())
}

var binPrec = map[string]int{
	"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6,
	"<": 7, ">": 7, "<=": 7, ">=": 7, "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10,
}

// parseExpr is a precedence-climbing parser for C integer expressions.
func (p *dtsParser) parseExpr(minPrec int) (uint64, error) {
	lhs, err := p.parsePrimary()
	if err != nil {
		return 0, err
	}
	for p.tok.kind == tPunct {
		op := p.tok.text
		prec, ok := binPrec[op]
		if !ok || prec < minPrec {
			break
		}
		line := p.tok.line
		if err := p.advance(); err != nil {
			return 0, err
		}
		rhs, err := p.parseExpr(prec + 1)
		if err != nil {
			return 0, err
		}
		b2u := func(b bool) uint64 {
			if b {
				return 1
			}
			return 0
		}
		switch op {
		case "+":
			lhs += rhs
		case "-":
			lhs -= rhs
		case "*":
			lhs *= rhs
		case "/", "%":
			if rhs == 0 {
				return 0, &DTSError{Line: line, Msg: "division by zero"}
			}
			if op == "/" {
				lhs /= rhs
			} else {
				lhs %= rhs
			}
		case "<<":
			lhs <<= rhs
		case ">>":
			lhs >>= rhs
		case "&":
			lhs &= rhs
		case "|":
			lhs |= rhs
		case "^":
			lhs ^= rhs
		case "&&":
			lhs = b2u(lhs != 0 && rhs != 0)
		case "||":
			lhs = b2u(lhs != 0 || rhs != 0)
		case "==":
			lhs = b2u(lhs == rhs)
		case "!=":
			lhs = b2u(lhs != rhs)
		case "<":
			lhs = b2u(lhs < rhs)
		case ">":
			lhs = b2u(lhs > rhs)
		case "<=":
			lhs = b2u(lhs <= rhs)
		case ">=":
			lhs = b2u(lhs >= rhs)
		}
	}
	return lhs, nil
}

// parseCLiteral parses a C integer literal with optional U/L suffixes.
func parseCLiteral(s string) (uint64, error) {
	t := strings.TrimRight(s, "uUlL")
	v, err := ParseUint(t)
	if err != nil {
		return 0, fmt.Errorf("bad number %q", s)
	}
	return v, nil
}

// ---- flash map ----

type dtsPart struct {
	node      *dtsNode
	label     string
	name      string // node label
	off, size int64
	disabled  bool
	children  []*dtsPart
}

func (pt *dtsPart) display() string {
	if pt.label != "" {
		return strconv.Quote(pt.label)
	}
	return pt.node.name + "@" + pt.node.unit
}

func isDisabled(n *dtsNode) bool {
	st := n.strings("status")
	return len(st) > 0 && (st[0] == "disabled" || st[0] == "fail")
}

func hasCompat(n *dtsNode, c string) bool { return slices.Contains(n.strings("compatible"), c) }

func cellsOf(n *dtsNode, name string, def int) (int, error) {
	p := n.prop(name)
	if p == nil {
		return def, nil
	}
	if len(p.vals) != 1 || len(p.vals[0].cells) != 1 || (p.vals[0].cells[0] != 1 && p.vals[0].cells[0] != 2) {
		return 0, &DTSError{Line: p.line, Msg: fmt.Sprintf("%s must be <1> or <2>", name)}
	}
	return int(p.vals[0].cells[0]), nil
}

// collect turns the children of a partitions container into partitions.
func collect(container *dtsNode, base int64, disabled bool) ([]*dtsPart, error) {
	ac, err := cellsOf(container, "#address-cells", 1)
	if err != nil {
		return nil, err
	}
	sc, err := cellsOf(container, "#size-cells", 1)
	if err != nil {
		return nil, err
	}
	var out []*dtsPart
	for _, ch := range container.children {
		reg := ch.prop("reg")
		if reg == nil {
			continue
		}
		var cells []uint64
		for _, v := range reg.vals {
			if v.cells == nil {
				return nil, &DTSError{Line: reg.line, Msg: "reg must be a cell list"}
			}
			cells = append(cells, v.cells...)
		}
		if len(cells) < ac+sc || len(cells)%(ac+sc) != 0 {
			return nil, &DTSError{Line: reg.line, Msg: fmt.Sprintf("reg has %d cells, want %d (#address-cells %d + #size-cells %d)", len(cells), ac+sc, ac, sc)}
		}
		join := func(c []uint64) uint64 {
			var v uint64
			for _, x := range c {
				v = v<<32 | (x & 0xffffffff)
			}
			return v
		}
		off, size := join(cells[:ac]), join(cells[ac:ac+sc])
		if off > 1<<62 || size > 1<<62 {
			return nil, &DTSError{Line: reg.line, Msg: "reg out of range"}
		}
		pt := &dtsPart{node: ch, off: base + int64(off), size: int64(size), disabled: disabled || isDisabled(ch)}
		if l := ch.strings("label"); len(l) > 0 {
			pt.label = l[0]
		}
		if len(ch.labels) > 0 {
			pt.name = ch.labels[0]
		}
		if pt.label == "" {
			pt.label = pt.name
		}
		if pt.label == "" {
			pt.label = ch.name
			if ch.unit != "" {
				pt.label += "@" + ch.unit
			}
		}
		if hasCompat(ch, "fixed-subpartitions") {
			if pt.children, err = collect(ch, pt.off, pt.disabled); err != nil {
				return nil, err
			}
		}
		out = append(out, pt)
	}
	return out, nil
}

// checkParts validates sibling partitions: inside [lo, hi) and no overlaps.
func checkParts(parts []*dtsPart, lo, hi int64, within string) error {
	for i, a := range parts {
		if a.disabled {
			continue
		}
		if a.off < lo || a.size > hi-a.off {
			return &DTSError{Line: a.node.line, Msg: fmt.Sprintf("partition %s [%#x, %#x) lies outside %s [%#x, %#x)",
				a.display(), a.off, a.off+a.size, within, lo, hi)}
		}
		for _, b := range parts[:i] {
			if b.disabled {
				continue
			}
			if a.off < b.off+b.size && b.off < a.off+a.size {
				return &DTSError{Line: a.node.line, Msg: fmt.Sprintf("partition %s [%#x, %#x) overlaps %s [%#x, %#x) at line %d",
					a.display(), a.off, a.off+a.size, b.display(), b.off, b.off+b.size, b.node.line)}
			}
		}
		if err := checkParts(a.children, a.off, a.off+a.size, "partition "+a.display()); err != nil {
			return err
		}
	}
	return nil
}

func buildMap(dev Device, root *dtsNode) (*FlashMap, error) {
	var all []*dtsPart
	var walk func(n *dtsNode, disabled bool) error
	walk = func(n *dtsNode, disabled bool) error {
		disabled = disabled || isDisabled(n)
		if hasCompat(n, "fixed-partitions") {
			parts, err := collect(n, 0, disabled)
			if err != nil {
				return err
			}
			var size int64 = 1<<62 - 1
			if dev != nil {
				size = dev.Size()
			}
			if err := checkParts(parts, 0, size, "the device"); err != nil {
				return err
			}
			all = append(all, parts...)
			return nil
		}
		for _, ch := range n.children {
			if err := walk(ch, disabled); err != nil {
				return err
			}
		}
		return nil
	}
	if err := walk(root, false); err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, &DTSError{Line: 1, Msg: `no "fixed-partitions" node with partitions`}
	}
	m := NewFlashMap()
	id := 0
	var add func(parts []*dtsPart) error
	add = func(parts []*dtsPart) error {
		for _, pt := range parts {
			var d Device = dev
			_, err := m.Add(d, AreaSpec{ID: id, Label: pt.label, Name: pt.name, Offset: pt.off, Size: pt.size, Disabled: pt.disabled})
			if err != nil && pt.disabled && dev != nil && errors.Is(err, ErrInvalid) && !errors.Is(err, errInMap) {
				// A disabled partition of another (disabled) device may not fit
				// this one: keep its id and names with no device.
				_, err = m.Add(nil, AreaSpec{ID: id, Label: pt.label, Name: pt.name, Offset: pt.off, Size: pt.size, Disabled: true})
			}
			if err != nil {
				return &DTSError{Line: pt.node.line, Msg: strings.TrimPrefix(err.Error(), "api: ")}
			}
			id++
			if err := add(pt.children); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add(all); err != nil {
		return nil, err
	}
	return m, nil
}
