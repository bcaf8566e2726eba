package lua

import (
	"context"
)

// The small exported seam the Lua test runner (package luatest) runs
// tests through. The test vocabulary itself (describe, it, expect, ...)
// stays here with the other bindings; luatest owns discovery, the
// fresh-state-per-test loop and the reporters. lua never imports luatest.

// TestNames lists the tests the state's top level declared (Options.TestMode),
// in declaration order: describe and it names joined with '/', spaces
// replaced by '_'.
func (s *State) TestNames() []string {
	names := make([]string, len(s.tests.cases))
	for i, tc := range s.tests.cases {
		names[i] = tc.name
	}
	return names
}

// TestOutcome is how one declared test ended.
type TestOutcome struct {
	// Skipped is set for skip(reason), a skipped describe block or a
	// pending it(); Reason says why.
	Skipped bool
	Reason  string
	// Err is the failure (nil when the test passed or was skipped).
	Err *Error
	// Expectation marks Err as a failed expect(...) rather than a runtime
	// error or an error the test raised.
	Expectation bool
}

// RunTest runs declared test i of a test-mode state with its
// before_each/after_each hooks. It runs the test in this state, so a
// caller wanting isolation runs each test in a fresh state.
func (s *State) RunTest(ctx context.Context, i int) TestOutcome {
	skip, fail := s.runCase(ctx, s.tests.cases[i])
	switch {
	case fail != nil:
		return TestOutcome{Err: fail, Expectation: s.tests.isExpectation(fail)}
	case skip != nil:
		return TestOutcome{Skipped: true, Reason: skip.reason}
	}
	return TestOutcome{}
}
