// Package luatest runs flashemu's busted-style Lua test files
// (*_test.lua) and reports their results.
//
// DiscoverTests finds the files; RunTests runs every declared test in a
// fresh lua.State (the file's top level again, then the one test with its
// before_each/after_each hooks) through lua's exported seam
// (State.TestNames, State.RunTest), and streams results to a Reporter:
// TextReporter (go test -v lines), JSONReporter (go test -json events,
// read by gotestsum and go-junit-report) or JUnitReporter (JUnit XML).
// The test vocabulary itself (describe, it, expect, ...) is a lua binding;
// lua does not import this package.
package luatest
