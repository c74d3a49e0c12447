//go:build race

package report

// raceOn reports whether the race detector is on: it makes rendering every
// published run's charts take minutes.
const raceOn = true
