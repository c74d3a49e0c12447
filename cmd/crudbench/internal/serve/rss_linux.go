package serve

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
)

// readRSS reads VmRSS and VmHWM (the peak) from /proc/self/status.
func readRSS() (rss, peak uint64, source string, resettable bool) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, "unavailable", false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, val, ok := bytes.Cut(sc.Bytes(), []byte(":"))
		if !ok {
			continue
		}
		var dst *uint64
		switch string(key) {
		case "VmRSS":
			dst = &rss
		case "VmHWM":
			dst = &peak
		default:
			continue
		}
		// "   1234 kB"
		f := bytes.Fields(val)
		if len(f) == 2 && string(f[1]) == "kB" {
			n, _ := strconv.ParseUint(string(f[0]), 10, 64)
			*dst = n * 1024
		}
	}
	return rss, peak, "/proc/self/status", true
}

// resetPeakRSS sets the peak resident set (VmHWM) back to the current one
// by writing 5 to /proc/self/clear_refs.
func resetPeakRSS() error {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return fmt.Errorf("resetting the peak RSS: %w", err)
	}
	return nil
}
