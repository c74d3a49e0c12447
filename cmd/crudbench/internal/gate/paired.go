package gate

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/results"
	"github.com/crudbench/crudbench/internal/paired"
)

// PairUnit is the unit of crudbench compare's samples: head time over base
// time, request by request, one sample per block.
const PairUnit = "head/base"

// Primary are the metrics gated unless -metrics says otherwise: time as
// the paired head/base ratios, and the per-operation costs that the test
// binaries measure alike on every run (allocations, bytes, queries).
// Times of the test binaries' runs (sec/op, p95-sec/op, sec/row, req/s)
// vary too much between runs to gate a few-percent change on.
var Primary = []string{PairUnit, "queries/op", "allocs/op", "B/op"}

// LoadPair reads the results of crudbench compare.
func LoadPair(path string) (*results.Set, error) {
	sets, err := results.Load(results.ByFullName, []string{path})
	if err != nil {
		return nil, err
	}
	for _, b := range sets[0].Benchmarks {
		if b.Metric(PairUnit) != nil {
			return sets[0], nil
		}
	}
	return nil, fmt.Errorf("reading %s: no %s samples in it (is it crudbench compare output?)", path, PairUnit)
}

// PrimaryPresent returns the Primary units present in the input.
func PrimaryPresent(in *Input) []string {
	var out []string
	for _, u := range Primary {
		if slices.Contains(unitsOf(in), u) {
			out = append(out, u)
		}
	}
	return out
}

// unitsOf lists the units of every set of in, sorted.
func unitsOf(in *Input) []string {
	var all []string
	for _, s := range in.sets() {
		for _, b := range s.Benchmarks {
			for _, m := range b.Metrics {
				if !slices.Contains(all, m.Unit) {
					all = append(all, m.Unit)
				}
			}
		}
	}
	slices.Sort(all)
	return all
}

// pairRows compares the paired samples: each benchmark's head/base ratios
// are tested one-sided, on their logarithms with Student's t, for a ratio
// above 1 + PairThreshold.
func pairRows(in *Input, opt Options) []Row {
	var rows []Row
	for _, b := range in.Pair.Benchmarks {
		m := b.Metric(PairUnit)
		if m == nil {
			continue
		}
		s := paired.Summarize(m.Values, 0.95)
		row := Row{
			Benchmark: b.Name, Unit: PairUnit, Paired: true, Better: -1,
			NBase: len(m.Values), NHead: len(m.Values),
			Delta: s.Mean - 1, P: paired.PGreater(m.Values, 1+opt.PairThreshold),
			cv: s.CV, ratios: m.Values,
		}
		row.Base = benchmath.Summary{Center: meanOf(b.Metric("base-sec/op"))}
		row.Head = benchmath.Summary{Center: meanOf(b.Metric("head-sec/op"))}
		rows = append(rows, row)
	}
	return rows
}

func meanOf(m *results.Metric) float64 {
	if m == nil || len(m.Values) == 0 {
		return math.NaN()
	}
	var s float64
	for _, v := range m.Values {
		s += v
	}
	return s / float64(len(m.Values))
}

// decidePaired applies the gate's rules to a row of paired ratios.
func decidePaired(row Row, opt Options) Verdict {
	inv := make([]float64, len(row.ratios))
	for i, v := range row.ratios {
		inv[i] = 1 / v
	}
	switch {
	case row.NBase < 2:
		return TooFewSamples
	case row.PAdj < opt.Alpha:
		return Regression
	case paired.PGreater(row.ratios, 1) < opt.Alpha:
		return WithinThreshold
	case paired.PGreater(inv, 1+opt.PairThreshold) < opt.Alpha:
		return Improvement
	}
	return NotSignificant
}

// holm sets PAdj of every row with a p-value to its Holm-adjusted
// p-value over those rows, and Family to their number: the chance that any
// row of an unchanged build is called a regression stays below alpha.
func holm(rows []Row) {
	var idx []int
	for i := range rows {
		if !math.IsNaN(rows[i].P) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmpFloat(rows[a].P, rows[b].P) })
	m := len(idx)
	running := 0.0
	for k, i := range idx {
		running = math.Max(running, math.Min(1, float64(m-k)*rows[i].P))
		rows[i].PAdj = running
		rows[i].Family = m
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// detectable sets MDC of each row: the smallest change for the worse that
// the test the row is decided by catches at its sample size. Exact rows
// catch any change (0). Spread rows take spreadDetectable. Tests with a
// p-value use the normal approximation of paired.MinDetectable, power
// 0.8, at Holm's strictest level alpha/Family: a paired row's t test adds
// to the threshold it starts from; a U-test row takes the CV of both
// sides, two samples doubling the variance, and the smaller side, its
// efficiency against the t test (3/π) counted, and is at least the
// threshold — or +Inf when the U test cannot reach that level at all with
// so few runs.
func detectable(rows []Row, opt Options) {
	for i := range rows {
		row := &rows[i]
		a := familyAlpha(*row, opt)
		switch {
		case row.Exact:
			row.MDC = 0
		case row.Spread:
			row.MDC = spreadDetectable(*row, opt)
		case row.Paired:
			row.MDC = (1+opt.PairThreshold)*(1+paired.MinDetectable(row.cv, row.NBase, a)) - 1
		case !canDecide(row.NBase, row.NHead, a):
			row.MDC = math.Inf(1)
		default:
			row.MDC = math.Max(opt.Threshold, paired.MinDetectable(row.cv*math.Sqrt2*math.Sqrt(math.Pi/3), min(row.NBase, row.NHead), a))
		}
	}
}

// cvOf is the coefficient of variation of x.
func cvOf(x []float64) float64 {
	s := paired.Summarize(x, 0.95)
	return s.CV
}

// formatMDC prints a minimum detectable change.
func formatMDC(row Row) string {
	switch {
	case row.Exact:
		return "any"
	case math.IsInf(row.MDC, 1):
		return "none"
	case math.IsNaN(row.MDC):
		return "?"
	}
	return fmt.Sprintf("%.1f%%", 100*row.MDC)
}

// formatP prints the p-value of a row: exact, spread (the rule on the
// sides' spreads), or raw and Holm-adjusted.
func formatP(row Row) string {
	switch {
	case row.Exact:
		return "exact"
	case row.Spread:
		return "spread"
	}
	if row.Family == 0 || row.PAdj == row.P {
		return fmt.Sprintf("%.3g", row.P)
	}
	return fmt.Sprintf("%.3g→%.3g", row.P, row.PAdj)
}
