//go:build race

package settings_test

// raceDetector is true under -race: the power-cut property tests then run
// a sample of their cuts (the race detector slows every device access about
// tenfold; the full runs stay in the normal test run).
const raceDetector = true
