//go:build !race

package settings_test

// raceDetector is true under -race (see race_on_test.go).
const raceDetector = false
