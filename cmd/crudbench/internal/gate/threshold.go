package gate

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseThreshold parses a threshold written as a percentage, "5%" or
// "5" (the % sign is optional), and returns it as a fraction (0.05).
func ParseThreshold(s string) (float64, error) {
	num := strings.TrimSuffix(strings.TrimSpace(s), "%")
	v, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return 0, fmt.Errorf("parsing threshold %q: want a percentage such as 5%%: %w", s, err)
	}
	if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("parsing threshold %q: must be a finite percentage >= 0", s)
	}
	return v / 100, nil
}

// FormatPercent formats a fraction as a percentage: 0.05 is "5%".
func FormatPercent(f float64) string {
	return strconv.FormatFloat(f*100, 'g', 6, 64) + "%"
}
