package gate

import (
	"math"
	"slices"
)

// NearExact are the units that a test binary measures nearly exactly:
// allocations and bytes per operation vary by a fraction of a percent
// from run to run. A rank test is the wrong tool for them: at the run
// counts people use its smallest p-value, multiplied by Holm's correction
// over every row, never reaches alpha, so no change could ever fail. They
// are compared by their spreads instead (decideSpread).
var NearExact = []string{"allocs/op", "B/op"}

// spread is the range of one side's runs.
type spread struct{ lo, hi float64 }

func spreadOf(x []float64) spread {
	if len(x) == 0 {
		return spread{math.NaN(), math.NaN()}
	}
	return spread{slices.Min(x), slices.Max(x)}
}

// separable reports whether samples of sizes n1 and n2 are enough for the
// spread rule: two samples of one distribution fall wholly apart, one
// side's every run above the other's, with probability 1/C(n1+n2, n1),
// which must be below alpha (4 runs a side at 0.05). The rule's margin,
// the threshold, guards the many rows at once: a near-exact metric's own
// spread lies far inside it.
func separable(n1, n2 int, alpha float64) bool {
	return n1 >= 1 && n2 >= 1 && 1/binomial(n1+n2, n1) < alpha
}

// minSeparable returns the runs per side separable needs at alpha.
func minSeparable(alpha float64) int {
	for n := 1; n <= maxSamples; n++ {
		if separable(n, n, alpha) {
			return n
		}
	}
	return maxSamples + 1
}

func binomial(n, k int) float64 {
	c := 1.0
	for i := 1; i <= k; i++ {
		c = c * float64(n-k+i) / float64(i)
	}
	return c
}

// decideSpread applies the spread rule to a row of a near-exact unit: it
// regresses when head's best run is worse than base's worst by more than
// the threshold, and improves when head's worst run is better than base's
// best by more than the threshold. No p-value: with the threshold as
// margin, a change is either clear of both spreads or not shown.
func decideSpread(row Row, opt Options) Verdict {
	b, h := row.baseRange, row.headRange
	up := h.lo > b.hi*(1+opt.Threshold)   // every head run above every base run, beyond the margin
	down := h.hi < b.lo*(1-opt.Threshold) // every head run below every base run, beyond the margin
	switch {
	case !separable(row.NBase, row.NHead, opt.Alpha):
		return TooFewSamples // even identical runs: too few to vouch for anything
	case row.identical:
		return Same
	case (up || down) && row.Better == 0:
		return Changed
	case (up && row.Better < 0) || (down && row.Better > 0):
		return Regression
	case up || down:
		return Improvement
	case h.lo > b.hi || h.hi < b.lo:
		return WithinThreshold
	}
	return NotSignificant
}

// spreadDetectable is the smallest worsening of head's runs, all alike,
// that the spread rule flags given the two sides' spreads around their
// medians: for a lower-is-better unit, head's median must rise so far that
// its best run clears base's worst by the threshold.
func spreadDetectable(row Row, opt Options) float64 {
	if !separable(row.NBase, row.NHead, opt.Alpha) {
		return math.Inf(1)
	}
	b, h := row.baseRange, row.headRange
	bm, hm := row.Base.Center, row.Head.Center
	if row.Better > 0 {
		return 1 - (1-opt.Threshold)*(b.lo/bm)*(hm/h.hi)
	}
	return (1+opt.Threshold)*(b.hi/bm)*(hm/h.lo) - 1
}
