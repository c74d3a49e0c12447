//go:build !race

package report

// raceOn reports whether the race detector is on.
const raceOn = false
