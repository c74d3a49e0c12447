//go:build unix && !linux

package serve

import (
	"errors"
	"runtime"

	"golang.org/x/sys/unix"
)

// readRSS reports the peak resident set from getrusage; the current one is
// not available without /proc.
func readRSS() (rss, peak uint64, source string, resettable bool) {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, "unavailable", false
	}
	peak = uint64(ru.Maxrss)
	if runtime.GOOS != "darwin" { // darwin reports bytes, the BSDs KiB
		peak *= 1024
	}
	return 0, peak, "getrusage", false
}

// resetPeakRSS is not possible without /proc/self/clear_refs.
func resetPeakRSS() error {
	return errors.New("resetting the peak RSS needs Linux's /proc/self/clear_refs")
}
