package gate

import (
	"fmt"
	"strings"
)

// Status is the overall outcome of a gate run.
type Status int

// The outcomes. A proven regression outranks an inconclusive comparison:
// an exact metric such as queries/op can regress even when other metrics
// lack samples.
const (
	Pass         Status = iota // nothing regressed and everything could be decided
	Fail                       // at least one regression
	Inconclusive               // no regression, but some metric could not be decided
)

// String returns PASS, FAIL or INCONCLUSIVE.
func (s Status) String() string {
	return [...]string{"PASS", "FAIL", "INCONCLUSIVE"}[s]
}

// Count returns how many rows have verdict v.
func (r *Report) Count(v Verdict) int {
	n := 0
	for _, row := range r.Rows {
		if row.Verdict == v {
			n++
		}
	}
	return n
}

// Status returns the overall outcome.
func (r *Report) Status() Status {
	switch {
	case r.Count(Regression) > 0:
		return Fail
	case r.Count(TooFewSamples) > 0 || len(r.MissingBenchmarks) > 0 || len(r.MissingMetrics) > 0:
		return Inconclusive
	}
	return Pass
}

// Verdict returns the one-line final verdict, starting with the status.
func (r *Report) Verdict() string {
	rule := fmt.Sprintf("beyond %s with Holm-adjusted p < %v or, for allocs/op and B/op, head's best run beyond base's worst; or any worsening of an exact metric",
		FormatPercent(r.Options.Threshold), r.Options.Alpha)
	if r.Pair != "" {
		rule = fmt.Sprintf("paired head/base above 1+%s or other metrics beyond %s, with Holm-adjusted p < %v or, for allocs/op and B/op, head's best run beyond base's worst; or any worsening of an exact metric",
			FormatPercent(r.Options.PairThreshold), FormatPercent(r.Options.Threshold), r.Options.Alpha)
	}
	var sb strings.Builder
	switch st := r.Status(); st {
	case Fail:
		fmt.Fprintf(&sb, "FAIL: %s (%s) in %d compared metrics", plural(r.Count(Regression), "regression"), rule, len(r.Rows))
		if why := r.undecided(); why != "" {
			sb.WriteString("; also could not decide: " + why)
		}
	case Inconclusive:
		fmt.Fprintf(&sb, "INCONCLUSIVE: no regression found, but could not decide: %s", r.undecided())
	default:
		fmt.Fprintf(&sb, "PASS: no regression (%s) in %d metrics of %s", rule, len(r.Rows), plural(r.benchmarks(), "benchmark"))
		if n := r.Count(Improvement); n > 0 {
			fmt.Fprintf(&sb, "; %s", plural(n, "improvement"))
		}
	}
	return sb.String()
}

// undecided explains what could not be decided, or returns "".
func (r *Report) undecided() string {
	var parts []string
	if n := r.Count(TooFewSamples); n > 0 {
		nb, nh := r.fewest()
		parts = append(parts, fmt.Sprintf("%d metrics have too few samples (have %d base and %d head; their tests need >= %d per side to reach p < %v after Holm's correction over the rows, or to decide allocs/op and B/op by their spreads: run the benchmarks with -count %d or more)",
			n, nb, nh, r.MinSamples, r.Options.Alpha, r.MinSamples))
	}
	if n := len(r.MissingBenchmarks); n > 0 {
		parts = append(parts, fmt.Sprintf("%s of %s missing from %s (%s): did the head run fail or rename them?",
			plural(n, "benchmark"), r.Base, r.Head, sampleNames(r.MissingBenchmarks)))
	}
	if n := len(r.MissingMetrics); n > 0 {
		parts = append(parts, fmt.Sprintf("%s of %s missing from %s (%s)", plural(n, "metric"), r.Base, r.Head, sampleNames(r.MissingMetrics)))
	}
	return strings.Join(parts, "; ")
}

// fewest returns the smallest base and head sample counts among the rows
// with too few samples.
func (r *Report) fewest() (nb, nh int) {
	nb, nh = -1, -1
	for _, row := range r.Rows {
		if row.Verdict != TooFewSamples {
			continue
		}
		if nb < 0 || row.NBase < nb {
			nb = row.NBase
		}
		if nh < 0 || row.NHead < nh {
			nh = row.NHead
		}
	}
	return nb, nh
}

func (r *Report) benchmarks() int {
	seen := make(map[string]bool)
	for _, row := range r.Rows {
		seen[row.Benchmark] = true
	}
	return len(seen)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
