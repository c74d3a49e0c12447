package results

import (
	"strings"

	"golang.org/x/perf/benchfmt"
	"golang.org/x/perf/benchmath"
)

// Assumption returns the statistical assumption for a tidied unit: the
// file's "Unit ... assume=" metadata if it has any, else exact for
// queries/op (a count of statements, the same on every run), else
// benchmath's default, no assumption (medians and the U test).
func Assumption(units benchfmt.UnitMetadataMap, unit string) benchmath.Assumption {
	if units.Get(unit, "assume") == nil && unit == "queries/op" {
		return benchmath.AssumeExact
	}
	return units.GetAssumption(unit)
}

// Better reports which direction of change is an improvement for a
// tidied unit: +1 if higher is better, -1 if lower is better, 0 if
// unknown. Explicit "Unit ... better=" metadata wins; then benchfmt's
// built-in defaults (sec/op, B/op, allocs/op, B/s); then crudbench's
// conventions: time in the numerator (p95-sec/op, sec/row) is lower is
// better, a rate (anything per second, such as req/s) is higher is
// better, and any other per-operation or per-row count (queries/op) is a
// cost, so lower is better.
func Better(units benchfmt.UnitMetadataMap, unit string) int {
	if b := units.GetBetter(unit); b != 0 {
		return b
	}
	num, den, _ := strings.Cut(unit, "/")
	switch {
	case num == "sec" || strings.HasSuffix(num, "-sec"):
		return -1
	case den == "s" || den == "sec":
		return 1
	case den == "op" || den == "row":
		return -1
	}
	return 0
}
