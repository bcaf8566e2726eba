package lua

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/flashemu/flashemu/errno"
	glua "github.com/yuin/gopher-lua"
)

// The busted-style test vocabulary: describe, it, before_each, after_each,
// skip and expect. In a test state (Options.TestMode) describe/it only
// collect tests; the runner (package luatest) then runs each one in a fresh state.
// In a plain state (flashemu run) it() runs its body at once.

func init() {
	registerGlobals(
		fnDef{"describe", "describe(name, fn)", "group tests; fn declares them (runs at once)", testDescribe},
		fnDef{"it", "it(name [, fn])", "declare a test (no fn: pending, counted as skipped)", testIt},
		fnDef{"before_each", "before_each(fn)", "run fn before every test of the enclosing describe", testBeforeEach},
		fnDef{"after_each", "after_each(fn)", "run fn after every test of the enclosing describe, even a failed one", testAfterEach},
		fnDef{"skip", "skip(reason)", "skip the running test (or, at declaration time, the enclosing group)", testSkip},
		fnDef{"expect", "expect(v, ...) --> expectation", "expect(v):eq(x) / :ne(x) / :same(x) / :bytes(x) / :err([errno|text]) / :truthy() / :falsy() / :matches(pattern) / :power_loss()", testExpect},
	)
}

// testNode is a describe block (the root is the file).
type testNode struct {
	parent        *testNode
	name          string
	before, after []*glua.LFunction
	skip          string
}

// testCase is one it() declaration.
type testCase struct {
	path  []string // describe names then the it name
	fn    *glua.LFunction
	node  *testNode
	where string
	// name is the unique '/'-joined, space-less test name.
	name string
}

// testSet collects the declarations of one file.
type testSet struct {
	root    testNode
	cur     *testNode
	cases   []*testCase
	names   map[string]int
	running bool
	// lastExpect is the message of the last failed expectation.
	lastExpect string
}

func (ts *testSet) current() *testNode {
	if ts.cur == nil {
		return &ts.root
	}
	return ts.cur
}

// skipRequest is raised by skip(reason) inside a running test.
type skipRequest struct{ reason string }

func (r *skipRequest) String() string { return "skip: " + r.reason }

var skipType = registerType(&udType{name: "flashemu.skip", short: "skip"})

// testName turns a path into a go-test-like name: spaces become '_' and
// parts are joined with '/'.
func testName(path []string) string {
	parts := make([]string, len(path))
	for i, p := range path {
		parts[i] = strings.ReplaceAll(strings.TrimSpace(p), " ", "_")
	}
	return strings.Join(parts, "/")
}

func testDescribe(s *State, L *glua.LState) int {
	a := argsOf(L, "describe")
	name := a.str(1)
	fn := a.function(2)
	if s.tests == nil || s.tests.running {
		if s.tests != nil {
			a.raise("describe() inside a running test")
		}
		L.Push(fn)
		L.Call(0, 0)
		return 0
	}
	ts := s.tests
	parent := ts.current()
	node := &testNode{parent: parent, name: name, skip: parent.skip}
	ts.cur = node
	defer func() { ts.cur = parent }()
	L.Push(fn)
	L.Call(0, 0)
	return 0
}

func testIt(s *State, L *glua.LState) int {
	a := argsOf(L, "it")
	name := a.str(1)
	fn := a.optFunction(2)
	if s.tests == nil {
		// Plain run: run the body now with the enclosing hooks... there is
		// no enclosing structure outside test mode, so just call it.
		if fn != nil {
			L.Push(fn)
			if err := L.PCall(0, 0, nil); err != nil {
				if api, ok := err.(*glua.ApiError); ok {
					if ud, ok := api.Object.(*glua.LUserData); ok {
						if _, ok := ud.Value.(*skipRequest); ok {
							return 0
						}
					}
					L.Error(api.Object, 0)
				}
				L.RaiseError("%v", err)
			}
		}
		return 0
	}
	ts := s.tests
	if ts.running {
		a.raise("it() inside a running test")
	}
	node := ts.current()
	var path []string
	for n := node; n != nil && n != &ts.root; n = n.parent {
		path = append([]string{n.name}, path...)
	}
	path = append(path, name)
	tc := &testCase{path: path, fn: fn, node: node, where: callerWhere(L)}
	tc.name = testName(path)
	if ts.names == nil {
		ts.names = map[string]int{}
	}
	if k := ts.names[tc.name]; k > 0 {
		ts.names[tc.name] = k + 1
		tc.name = fmt.Sprintf("%s#%02d", tc.name, k)
	} else {
		ts.names[tc.name] = 1
	}
	ts.cases = append(ts.cases, tc)
	return 0
}

func testBeforeEach(s *State, L *glua.LState) int {
	fn := argsOf(L, "before_each").function(1)
	if s.tests != nil && !s.tests.running {
		n := s.tests.current()
		n.before = append(n.before, fn)
	}
	return 0
}

func testAfterEach(s *State, L *glua.LState) int {
	fn := argsOf(L, "after_each").function(1)
	if s.tests != nil && !s.tests.running {
		n := s.tests.current()
		n.after = append(n.after, fn)
	}
	return 0
}

func testSkip(s *State, L *glua.LState) int {
	reason := argsOf(L, "skip").optStr(1, "skipped")
	if s.tests != nil && !s.tests.running {
		n := s.tests.current()
		if n.skip == "" {
			n.skip = reason
		}
		return 0
	}
	L.Error(s.newUserData(skipType, &skipRequest{reason: reason}), 0)
	return 0
}

// runCase runs one collected test: before_each hooks outermost first, the
// body, then after_each hooks innermost first (also after a failure).
// It returns nil, a *skipRequest, or the failure as *Error.
func (s *State) runCase(ctx context.Context, tc *testCase) (skip *skipRequest, fail *Error) {
	s.tests.running = true
	defer func() { s.tests.running = false }()
	for n := tc.node; n != nil; n = n.parent {
		if n.skip != "" {
			return &skipRequest{reason: n.skip}, nil
		}
	}
	if tc.fn == nil {
		return &skipRequest{reason: "pending"}, nil
	}
	var chain []*testNode
	for n := tc.node; n != nil; n = n.parent {
		chain = append([]*testNode{n}, chain...)
	}
	classify := func(err error) {
		if err == nil || fail != nil || skip != nil {
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Msg: err.Error(), Kind: ErrRuntime}
		}
		if ud, ok := e.Value.(*glua.LUserData); ok {
			if r, ok := ud.Value.(*skipRequest); ok {
				skip = r
				return
			}
		}
		fail = e
	}
	ok := true
	for _, n := range chain {
		for _, f := range n.before {
			if _, err := s.Call(ctx, f); err != nil {
				classify(err)
				ok = false
				break
			}
		}
		if !ok {
			break
		}
	}
	if ok {
		_, err := s.Call(ctx, tc.fn)
		classify(err)
	}
	for i := len(chain) - 1; i >= 0; i-- {
		for _, f := range chain[i].after {
			if _, err := s.Call(ctx, f); err != nil {
				classify(err)
			}
		}
	}
	return skip, fail
}

// ----- expect -----

// expectation holds the values given to expect(...).
type expectation struct{ vals []glua.LValue }

func (e *expectation) luaType() string { return expectType.name }

var expectType = &udType{name: "flashemu.expectation", short: "expectation",
	doc: "what expect(v) returns (in test files): its methods check v"}

func init() {
	registerType(expectType)
	expectType.methods = []fnDef{
		{"eq", "expect(v):eq(x)", "v == x (strings with binary bytes get a hex diff)", expectEq},
		{"ne", "expect(v):ne(x)", "v ~= x", expectNe},
		{"same", "expect(v):same(x)", "deep equality of tables", expectSame},
		{"bytes", "expect(s):bytes(x)", "byte strings equal; a mismatch shows a hex diff", expectBytes},
		{"err", "expect(v, msg, errno):err([errno | text])", "v is nil/false (a failed flash op), with that errno or message text; expect(fn):err(...) expects fn to raise", expectErr},
		{"truthy", "expect(v):truthy()", "v is neither nil nor false", expectTruthy},
		{"falsy", "expect(v):falsy()", "v is nil or false", expectFalsy},
		{"matches", "expect(s):matches(pattern)", "string.find(s, pattern) succeeds", expectMatches},
		{"power_loss", "expect(fn):power_loss()", "fn raises a power-loss error", expectPowerLoss},
	}
}

func testExpect(s *State, L *glua.LState) int {
	n := L.GetTop()
	vals := make([]glua.LValue, n)
	for i := range vals {
		vals[i] = L.Get(i + 1)
	}
	s.pushUserData(L, expectType, &expectation{vals: vals})
	return 1
}

func (e *expectation) first() glua.LValue {
	if len(e.vals) == 0 {
		return glua.LNil
	}
	return e.vals[0]
}

// expectFail raises an expectation failure at the caller's line. The
// message is remembered so that the runner tells a failed expectation
// (JUnit <failure>) from a runtime error (<error>).
func expectFail(s *State, L *glua.LState, format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if s.tests != nil {
		s.tests.lastExpect = msg
	}
	L.RaiseError("%s", msg)
}

// isExpectation reports whether a test's failure is the last failed
// expectation (not a runtime error or an error the script raised).
func (ts *testSet) isExpectation(e *Error) bool {
	return ts.lastExpect != "" && e.Msg == ts.lastExpect
}

func expectSelf(L *glua.LState, name string) *expectation {
	return checkUD[expectation](methodOf(L, name), 1, expectType)
}

func expectEq(s *State, L *glua.LState) int {
	e := expectSelf(L, "eq")
	want := methodOf(L, "eq").any(2)
	got := e.first()
	if !L.Equal(got, want) {
		gs, gok := got.(glua.LString)
		ws, wok := want.(glua.LString)
		if gok && wok && (!Printable(string(gs)) || !Printable(string(ws))) {
			expectFail(s, L, "%s", bytesDiff(string(gs), string(ws)))
		}
		expectFail(s, L, "expected %s, got %s", FormatValue(want), FormatValue(got))
	}
	L.Push(L.Get(1))
	return 1
}

func expectNe(s *State, L *glua.LState) int {
	e := expectSelf(L, "ne")
	want := methodOf(L, "ne").any(2)
	if L.Equal(e.first(), want) {
		expectFail(s, L, "expected a value other than %s", FormatValue(want))
	}
	L.Push(L.Get(1))
	return 1
}

func expectSame(s *State, L *glua.LState) int {
	e := expectSelf(L, "same")
	want := methodOf(L, "same").any(2)
	if path, ok := deepEqual(L, e.first(), want, "", map[[2]glua.LValue]bool{}); !ok {
		where := ""
		if path != "" {
			where = " at " + path
		}
		expectFail(s, L, "values differ%s: expected %s, got %s", where, FormatValue(want), FormatValue(e.first()))
	}
	L.Push(L.Get(1))
	return 1
}

func expectBytes(s *State, L *glua.LState) int {
	e := expectSelf(L, "bytes")
	a := methodOf(L, "bytes")
	want := a.str(2)
	got, ok := e.first().(glua.LString)
	if !ok {
		expectFail(s, L, "expected a byte string, got %s", FormatValue(e.first()))
	}
	if string(got) != want {
		expectFail(s, L, "%s", bytesDiff(string(got), want))
	}
	L.Push(L.Get(1))
	return 1
}

func expectTruthy(s *State, L *glua.LState) int {
	e := expectSelf(L, "truthy")
	if !glua.LVAsBool(e.first()) {
		msg := ""
		if len(e.vals) > 1 {
			msg = " (" + tostring(e.vals[1]) + ")"
		}
		expectFail(s, L, "expected a true value, got %s%s", FormatValue(e.first()), msg)
	}
	L.Push(L.Get(1))
	return 1
}

func expectFalsy(s *State, L *glua.LState) int {
	e := expectSelf(L, "falsy")
	if glua.LVAsBool(e.first()) {
		expectFail(s, L, "expected nil or false, got %s", FormatValue(e.first()))
	}
	L.Push(L.Get(1))
	return 1
}

func expectMatches(s *State, L *glua.LState) int {
	e := expectSelf(L, "matches")
	pat := methodOf(L, "matches").str(2)
	str, ok := e.first().(glua.LString)
	if !ok {
		expectFail(s, L, "expected a string matching %q, got %s", pat, FormatValue(e.first()))
	}
	find := L.GetField(L.GetGlobal("string"), "find")
	L.Push(find)
	L.Push(str)
	L.Push(glua.LString(pat))
	L.Call(2, 1)
	r := L.Get(-1)
	L.Pop(1)
	if r == glua.LNil {
		expectFail(s, L, "expected a string matching %q, got %s", pat, FormatValue(str))
	}
	L.Push(L.Get(1))
	return 1
}

// callExpected pcalls the expectation's function (expect(fn):err()).
func callExpected(L *glua.LState, e *expectation) (raised glua.LValue, ok bool) {
	L.Push(e.vals[0])
	for _, v := range e.vals[1:] {
		L.Push(v)
	}
	err := L.PCall(len(e.vals)-1, 0, nil)
	if err == nil {
		return nil, false
	}
	if api, ok := err.(*glua.ApiError); ok {
		return api.Object, true
	}
	return glua.LString(err.Error()), true
}

func expectPowerLoss(s *State, L *glua.LState) int {
	e := expectSelf(L, "power_loss")
	fn, ok := e.first().(*glua.LFunction)
	if !ok {
		expectFail(s, L, "expected a function, got %s", FormatValue(e.first()))
	}
	_ = fn
	v, raised := callExpected(L, e)
	if !raised {
		expectFail(s, L, "expected a power loss, got no error")
	}
	if !IsPowerLoss(v) {
		expectFail(s, L, "expected a power loss, got error %s", tostring(v))
	}
	L.Push(L.Get(1))
	return 1
}

func expectErr(s *State, L *glua.LState) int {
	e := expectSelf(L, "err")
	want := L.Get(2)
	if fn, ok := e.first().(*glua.LFunction); ok && fn != nil {
		v, raised := callExpected(L, e)
		if !raised {
			expectFail(s, L, "expected an error, got none")
		}
		msg := tostring(v)
		switch w := want.(type) {
		case glua.LString:
			if !strings.Contains(msg, string(w)) {
				expectFail(s, L, "expected an error containing %q, got %q", string(w), msg)
			}
		case glua.LNumber:
			if pl, ok := powerLossOf(v); !ok || int(w) != pl.Errno() {
				expectFail(s, L, "expected an error with errno %d, got %q", int(w), msg)
			}
		}
		L.Push(L.Get(1))
		return 1
	}
	if glua.LVAsBool(e.first()) {
		expectFail(s, L, "expected a failure (nil, msg, errno), got %s", FormatValue(e.first()))
	}
	var gotMsg string
	var gotErrno glua.LValue = glua.LNil
	if len(e.vals) > 1 {
		gotMsg = tostring(e.vals[1])
	}
	if len(e.vals) > 2 {
		gotErrno = e.vals[2]
	}
	switch w := want.(type) {
	case glua.LNumber:
		if !L.Equal(gotErrno, w) {
			expectFail(s, L, "expected errno %s, got %s (%s)", FormatValue(w), FormatValue(gotErrno), gotMsg)
		}
	case glua.LString:
		if n, ok := errnoByName(string(w)); ok {
			if !L.Equal(gotErrno, glua.LNumber(n)) {
				expectFail(s, L, "expected errno %s (%d), got %s (%s)", string(w), n, FormatValue(gotErrno), gotMsg)
			}
		} else if !strings.Contains(gotMsg, string(w)) {
			expectFail(s, L, "expected an error containing %q, got %q", string(w), gotMsg)
		}
	}
	L.Push(L.Get(1))
	return 1
}

// errnoByName returns the negative errno for "EINVAL" or "-EINVAL".
func errnoByName(name string) (int, bool) {
	e, ok := errno.ByName(name)
	return -int(e), ok
}

// deepEqual compares values structurally; path names the first difference.
func deepEqual(L *glua.LState, a, b glua.LValue, path string, seen map[[2]glua.LValue]bool) (string, bool) {
	ta, aok := a.(*glua.LTable)
	tb, bok := b.(*glua.LTable)
	if !aok || !bok {
		if L.Equal(a, b) {
			return "", true
		}
		return path, false
	}
	if ta == tb || seen[[2]glua.LValue{ta, tb}] {
		return "", true
	}
	seen[[2]glua.LValue{ta, tb}] = true
	diff, ok := "", true
	ta.ForEach(func(k, va glua.LValue) {
		if !ok {
			return
		}
		if d, same := deepEqual(L, va, tb.RawGet(k), path+keyPath(k), seen); !same {
			diff, ok = d, false
		}
	})
	if !ok {
		return diff, false
	}
	tb.ForEach(func(k, _ glua.LValue) {
		if ok && ta.RawGet(k) == glua.LNil {
			diff, ok = path+keyPath(k), false
		}
	})
	return diff, ok
}

func keyPath(k glua.LValue) string {
	if s, ok := k.(glua.LString); ok && identRE(string(s)) {
		return "." + string(s)
	}
	return "[" + FormatValue(k) + "]"
}

func identRE(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// bytesDiff describes how got differs from want: the first differing
// offset, the lengths, and a hex dump of the differing 16-byte rows (at
// most 8) with the differing bytes marked.
func bytesDiff(got, want string) string {
	first := -1
	n := len(got)
	if len(want) > n {
		n = len(want)
	}
	for i := 0; i < n; i++ {
		if i >= len(got) || i >= len(want) || got[i] != want[i] {
			first = i
			break
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "bytes differ at offset %d (0x%x): got %d bytes, want %d", first, first, len(got), len(want))
	rows := 0
	for row := first / 16 * 16; row < n && rows < 8; row += 16 {
		differs := false
		for i := row; i < row+16 && i < n; i++ {
			if i >= len(got) || i >= len(want) || got[i] != want[i] {
				differs = true
				break
			}
		}
		if !differs {
			continue
		}
		rows++
		fmt.Fprintf(&b, "\n  want %08x: %s", row, hexRow(want, row, n))
		fmt.Fprintf(&b, "\n  got  %08x: %s", row, hexRow(got, row, n))
		var m strings.Builder
		for i := row; i < row+16 && i < n; i++ {
			if i >= len(got) || i >= len(want) || got[i] != want[i] {
				m.WriteString("^^ ")
			} else {
				m.WriteString("   ")
			}
		}
		fmt.Fprintf(&b, "\n                 %s", strings.TrimRight(m.String(), " "))
	}
	return b.String()
}

// hexRow dumps s[row:row+16] (not past n), "--" where s has ended.
func hexRow(s string, row, n int) string {
	var b strings.Builder
	for i := row; i < row+16 && i < n; i++ {
		if i < len(s) {
			fmt.Fprintf(&b, "%02x ", s[i])
		} else {
			b.WriteString("-- ")
		}
	}
	return strings.TrimRight(b.String(), " ")
}
