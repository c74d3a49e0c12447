package serve

import "errors"

// readRSS reports nothing: the resident set is not read on Windows.
func readRSS() (rss, peak uint64, source string, resettable bool) {
	return 0, 0, "unavailable", false
}

// resetPeakRSS is not possible on Windows.
func resetPeakRSS() error {
	return errors.New("resetting the peak RSS needs Linux's /proc/self/clear_refs")
}
