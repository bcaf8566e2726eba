package api

import (
	"fmt"
	"strconv"
	"strings"
)

// The devicetree source parser: nodes, properties and cell expressions.

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
