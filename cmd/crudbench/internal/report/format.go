package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"
	"golang.org/x/perf/benchunit"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/table"
)

// isTime reports whether a unit as written in the file measures time in
// nanoseconds (ns/op, p95-ns/op, ns/row).
func isTime(unit string) bool {
	num, _, _ := strings.Cut(unit, "/")
	return num == "ns" || strings.HasSuffix(num, "-ns")
}

// fmtValue formats a value of a unit as written in the file, with an SI
// or IEC prefix: 150000 ns/op is "150.0µs", 9000 B/op is "8.789KiB".
func fmtValue(unit string, v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case isTime(unit):
		return benchunit.Scale(v*1e-9, benchunit.Decimal) + "s"
	case strings.HasPrefix(unit, "B/"):
		return benchunit.Scale(v, benchunit.Binary) + "B"
	}
	return benchunit.Scale(v, benchunit.Decimal)
}

// fmtSummary formats a median with the relative half-width of its 95%
// confidence interval, as benchstat does: "150.0µs ± 1%". Exact values
// are shown alone, and a value without an interval (too few samples)
// says so.
func fmtSummary(unit string, s benchmath.Summary, ok bool) string {
	if !ok {
		return "–"
	}
	if math.IsInf(s.Lo, 0) || math.IsInf(s.Hi, 0) { // too few samples for an interval
		return fmtValue(unit, s.Center) + " (no interval)"
	}
	if s.Confidence == 1 { // benchmath's exact summary: the mode, Lo and Hi the range
		v := strconv.FormatFloat(s.Center, 'f', -1, 64)
		if s.Lo != s.Hi {
			v += fmt.Sprintf(" (varies %v–%v)", s.Lo, s.Hi)
		}
		return v
	}
	return fmtValue(unit, s.Center) + " ± " + s.PctRangeString()
}

// ratio is a/b with a conservative 95% interval from the intervals of a
// and b: [a.Lo/b.Hi, a.Hi/b.Lo]. Lo and Hi are NaN when either interval
// is unbounded (too few samples).
type ratio struct {
	V, Lo, Hi float64
	OK        bool // both summaries exist
}

func newRatio(a, b benchmath.Summary, aok, bok bool) ratio {
	if !aok || !bok || b.Center == 0 {
		return ratio{V: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	r := ratio{V: a.Center / b.Center, Lo: math.NaN(), Hi: math.NaN(), OK: true}
	if finite(a.Lo, a.Hi, b.Lo, b.Hi) && b.Lo > 0 {
		r.Lo, r.Hi = a.Lo/b.Hi, a.Hi/b.Lo
	}
	return r
}

func (r ratio) hasInterval() bool { return !math.IsNaN(r.Lo) }

// String formats the ratio as "1.25× [1.21, 1.30]".
func (r ratio) String() string {
	if !r.OK {
		return "–"
	}
	if !r.hasInterval() {
		return fmt.Sprintf("%.2f× [no interval]", r.V)
	}
	return fmt.Sprintf("%.2f× [%.2f, %.2f]", r.V, r.Lo, r.Hi)
}

func finite(xs ...float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

// axisScale picks a prefix for an axis whose largest value is max, in a
// unit as written in the file, and returns the divisor and axis unit.
func axisScale(unit string, max float64) (div float64, label string) {
	switch {
	case isTime(unit):
		for _, s := range []struct {
			div   float64
			label string
		}{{1e9, "s"}, {1e6, "ms"}, {1e3, "µs"}} {
			if max >= s.div {
				return s.div, s.label
			}
		}
		return 1, "ns"
	case strings.HasPrefix(unit, "B/"):
		for _, s := range []struct {
			div   float64
			label string
		}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
			if max >= s.div {
				return s.div, s.label
			}
		}
		return 1, "B"
	case max >= 1e6:
		return 1e6, "millions"
	case max >= 1e4:
		return 1e3, "thousands"
	}
	return 1, ""
}

// mdTable renders a Markdown table; numeric columns (all but the first
// `text` columns) are right-aligned.
func mdTable(header []string, text int, rows [][]string) string {
	return table.Markdown(header, table.RightFrom(len(header), text), rows, table.EscapePipes)
}
