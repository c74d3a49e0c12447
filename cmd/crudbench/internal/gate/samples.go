package gate

import "golang.org/x/perf/benchmath"

// maxSamples bounds the search for the minimum sample count.
const maxSamples = 100

// MinSamples returns the smallest number of samples per side with which
// benchmath's Mann–Whitney U test can report p <= alpha at all, that is,
// when the two samples do not overlap in the least. It is the number in
// benchmath's "need >= N samples to detect a difference" warning: 4 for
// alpha 0.05. It returns maxSamples+1 if even maxSamples are not enough.
func MinSamples(alpha float64) int {
	for n := 1; n <= maxSamples; n++ {
		if minP(n, n, alpha) <= alpha {
			return n
		}
	}
	return maxSamples + 1
}

// canDecide reports whether samples of sizes n1 and n2 can reach
// p < alpha under the U test.
func canDecide(n1, n2 int, alpha float64) bool {
	return minP(n1, n2, alpha) < alpha
}

// minP is the smallest p-value benchmath's U test gives for samples of
// sizes n1 and n2: the p-value of two samples that do not overlap.
func minP(n1, n2 int, alpha float64) float64 {
	t := &benchmath.Thresholds{CompareAlpha: alpha}
	lo, hi := make([]float64, n1), make([]float64, n2)
	for i := range lo {
		lo[i] = float64(i)
	}
	for i := range hi {
		hi[i] = float64(n1 + i)
	}
	return benchmath.AssumeNothing.Compare(benchmath.NewSample(lo, t), benchmath.NewSample(hi, t)).P
}

// familyAlpha is the level a row's own p-value must reach for Holm's
// correction over its family to let it reach alpha at all: alpha over the
// family's size, Holm's first and strictest step.
func familyAlpha(row Row, opt Options) float64 {
	return opt.Alpha / float64(max(row.Family, 1))
}

// need returns the runs per side with which row's test could decide: the
// U test reaching familyAlpha with two samples wholly apart, or the spread
// rule's minimum; paired rows need two blocks.
func need(row Row, opt Options) int {
	switch {
	case row.Paired:
		return 2
	case row.Spread:
		return minSeparable(opt.Alpha)
	}
	return MinSamples(familyAlpha(row, opt))
}
