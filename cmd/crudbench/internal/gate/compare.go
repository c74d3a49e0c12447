// Package gate decides whether a head benchmark run regressed against a
// base run, the way benchstat compares them: benchmath's median summaries
// and Mann–Whitney U test for ordinary units, exact comparison for units
// marked "assume=exact" (such as queries/op), and for the near-exact units
// allocs/op and B/op a rule on the two sides' spreads that needs no rank
// test; each unit's direction of improvement honoured. A metric regresses
// when it got worse by more than a threshold with p < alpha (after Holm's
// correction), a near-exact one when head's best run is worse than base's
// worst by more than the threshold, an exact one on any change for the
// worse. A comparison whose samples cannot reach significance is never a
// pass: it is too few samples, with the runs needed.
package gate

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/results"
)

// Options configures Compare.
type Options struct {
	// Threshold is the relative change (0.05 for 5%) a non-exact metric
	// must exceed, for the worse, to be a regression.
	Threshold float64
	// Alpha is the significance level: changes with p >= Alpha are noise.
	Alpha float64
	// Metrics restricts the comparison to these units, written as in the
	// results file ("ns/op") or tidied ("sec/op"). Empty means all units
	// present.
	Metrics []string
	// PairThreshold is the slowdown (0.02 for 2%) the paired head/base
	// ratios are tested against: a row regresses when its ratio is above
	// 1 + PairThreshold with Holm-adjusted p < Alpha.
	PairThreshold float64
}

// DefaultPairThreshold is the default Options.PairThreshold. It lies above
// the differences measured between two servers of one build (A/A) and far
// enough below 5 % that the blocks of a default crudbench compare run catch a
// 5 % slowdown.
const DefaultPairThreshold = 0.02

// DefaultOptions are the gate's defaults: 5% threshold, alpha 0.05, 2%
// threshold for the paired ratios.
var DefaultOptions = Options{Threshold: 0.05, Alpha: 0.05, PairThreshold: DefaultPairThreshold}

// Verdict is the outcome of comparing one metric of one benchmark.
type Verdict int

// The verdicts, from the gate's point of view.
const (
	Same            Verdict = iota // exact metric unchanged
	NotSignificant                 // p >= alpha: indistinguishable from noise
	WithinThreshold                // significant, but no larger than the threshold
	Improvement                    // significant change for the better beyond the threshold
	Regression                     // change for the worse beyond the threshold (any, if exact)
	Changed                        // significant change of a unit whose direction is unknown
	TooFewSamples                  // not enough samples for the U test to reach alpha
)

// String returns the verdict as printed in the table.
func (v Verdict) String() string {
	return [...]string{"same", "~", "within threshold", "improvement", "REGRESSION", "changed (direction unknown)", "too few samples"}[v]
}

// Row is the comparison of one metric of one benchmark.
type Row struct {
	Benchmark string // full name, e.g. CRUD/arm=pgx/op=read-2
	Unit      string // tidied unit, e.g. sec/op
	Exact     bool   // the unit is assume=exact
	Better    int    // +1 higher is better, -1 lower is better, 0 unknown
	Base      benchmath.Summary
	Head      benchmath.Summary
	NBase     int
	NHead     int
	// Delta is the relative change of the centres, head/base - 1.
	Delta float64
	// P is the U test's p-value (for paired ratios, the one-sided t test's
	// that the ratio exceeds 1 + PairThreshold); NaN for exact units.
	P float64
	// PAdj is P adjusted by Holm's method over the Family rows with a
	// p-value; it is what decides.
	PAdj   float64
	Family int
	// Paired marks a row of crudbench compare's head/base ratios; Base and
	// Head then hold the mean request times of each side.
	Paired bool
	// MDC is the smallest change for the worse the row's test detects at
	// its sample size (power 0.8 for the tests with a p-value): 0 for exact
	// units (any), +Inf when the test cannot decide at all.
	MDC float64
	// Need is the runs per side the row's test needs to decide at all;
	// set when its verdict is TooFewSamples.
	Need int
	// Spread marks a near-exact unit (NearExact), decided by decideSpread.
	Spread  bool
	Verdict Verdict

	cv     float64   // coefficient of variation of the samples
	ratios []float64 // paired ratios

	baseRange, headRange spread // Spread rows: each side's runs

	identical bool // every base and head value is the same
}

// Report is the result of Compare.
type Report struct {
	Base, Head string // file paths; empty when only paired ratios were gated
	Pair       string // file of paired ratios, or empty
	Options    Options
	Rows       []Row
	// MissingBenchmarks are in base but not in head.
	MissingBenchmarks []string
	// MissingMetrics are "benchmark unit" pairs in base but not in head.
	MissingMetrics []string
	// NewBenchmarks are in head only; they are not compared.
	NewBenchmarks []string
	// Notes are warnings to show with the table: benchmath's warnings
	// about samples, configuration differences between the files.
	Notes []string
	// MinSamples is the runs per side that every row with too few samples
	// needs to be decided, or 0.
	MinSamples int
}

// ErrNoCommon is wrapped by Compare's error when the two sides share no
// benchmark: both inputs are valid, but there is nothing to decide on.
var ErrNoCommon = errors.New("no benchmark is in both files")

// Compare compares every metric of every benchmark the two sides share.
// It returns an error only for input it cannot compare at all: invalid
// options, an unknown metric, or no benchmark in common (ErrNoCommon).
func Compare(in *Input, opt Options) (*Report, error) {
	if !(opt.Alpha > 0 && opt.Alpha <= 1) {
		return nil, fmt.Errorf("comparing results: alpha must be in (0, 1], got %v", opt.Alpha)
	}
	if !(opt.Threshold >= 0) || !(opt.PairThreshold >= 0) {
		return nil, fmt.Errorf("comparing results: thresholds must be >= 0, got %v and %v", opt.Threshold, opt.PairThreshold)
	}
	want, err := wantedUnits(in, opt.Metrics)
	if err != nil {
		return nil, err
	}
	r := &Report{Options: opt}
	if in.Pair != nil {
		r.Pair = in.Pair.Paths[0]
		if want == nil || want[PairUnit] {
			r.Rows = pairRows(in, opt)
		}
	}
	if in.Base != nil {
		if err := r.compareFiles(in, want); err != nil {
			return nil, err
		}
	}
	holm(r.Rows)
	detectable(r.Rows, opt)
	for i := range r.Rows {
		row := &r.Rows[i]
		switch {
		case row.Paired:
			row.Verdict = decidePaired(*row, opt)
		case row.Spread:
			row.Verdict = decideSpread(*row, opt)
		default:
			row.Verdict = decide(*row, opt)
		}
		if row.Verdict == TooFewSamples {
			row.Need = need(*row, opt)
			r.MinSamples = max(r.MinSamples, row.Need)
		}
	}
	return r, nil
}

// compareFiles adds the rows of the base and head files.
func (r *Report) compareFiles(in *Input, want map[string]bool) error {
	opt := r.Options
	r.Base, r.Head = in.Base.Paths[0], in.Head.Paths[0]
	common := 0
	for _, b := range in.Base.Benchmarks {
		if in.Head.Bench(b.Name) != nil {
			common++
		}
	}
	if common == 0 {
		return fmt.Errorf("comparing results: %w: %s has %d (%s), %s has %d (%s)",
			ErrNoCommon, r.Base, len(in.Base.Benchmarks), sampleNames(names(in.Base)),
			r.Head, len(in.Head.Benchmarks), sampleNames(names(in.Head)))
	}
	thresholds := &benchmath.Thresholds{CompareAlpha: opt.Alpha}
	notes := newNoteSet()
	for _, base := range in.Base.Benchmarks {
		head := in.Head.Bench(base.Name)
		if head == nil {
			r.MissingBenchmarks = append(r.MissingBenchmarks, base.Name)
			continue
		}
		for _, bm := range base.Metrics {
			if want != nil && !want[bm.Unit] {
				continue
			}
			hm := head.Metric(bm.Unit)
			if hm == nil {
				r.MissingMetrics = append(r.MissingMetrics, base.Name+" "+bm.Unit)
				continue
			}
			r.Rows = append(r.Rows, compareOne(in, base.Name, bm.Unit, bm.Values, hm.Values, thresholds, notes))
		}
	}
	for _, b := range in.Head.Benchmarks {
		if in.Base.Bench(b.Name) == nil {
			r.NewBenchmarks = append(r.NewBenchmarks, b.Name)
		}
	}
	r.Notes = append(notes.list(), configNotes(in)...)
	return nil
}

func compareOne(in *Input, name, unit string, base, head []float64, t *benchmath.Thresholds, notes *noteSet) Row {
	assumption := results.Assumption(in.Base.Units, unit)
	bs := benchmath.NewSample(slices.Clone(base), t)
	hs := benchmath.NewSample(slices.Clone(head), t)
	row := Row{
		Benchmark: name,
		Unit:      unit,
		Exact:     assumption == benchmath.AssumeExact,
		Better:    results.Better(in.Base.Units, unit),
		Base:      assumption.Summary(bs, 0.95),
		Head:      assumption.Summary(hs, 0.95),
		NBase:     len(base),
		NHead:     len(head),
		P:         math.NaN(),
		cv:        (cvOf(base) + cvOf(head)) / 2,
	}
	row.Delta = relDelta(row.Base.Center, row.Head.Center)
	where := name + " " + unit
	if !row.Exact && slices.Contains(NearExact, unit) {
		row.Spread, row.identical = true, allEqual(base, head)
		row.baseRange, row.headRange = spreadOf(base), spreadOf(head)
		return row
	}
	if row.Exact {
		// Only exact summaries warn about something the gate relies on:
		// values that vary although the unit claims to be exact. (The
		// median's warnings concern confidence intervals, not shown.)
		notes.add("base "+where, row.Base.Warnings...)
		notes.add("head "+where, row.Head.Warnings...)
		return row
	}
	if allEqual(bs.Values, hs.Values) {
		// The U test refuses identical samples; they are simply equal.
		row.P, row.identical = 1, true
		return row
	}
	cmp := assumption.Compare(bs, hs)
	row.P = cmp.P
	for _, w := range cmp.Warnings {
		// Too few samples is a verdict of its own, not a note.
		if !strings.Contains(w.Error(), "samples to detect a difference") {
			notes.add(where, w)
		}
	}
	return row
}

// decide applies the gate's rules to a compared row. The p-value that
// decides is the Holm-adjusted one once Compare has set it.
func decide(row Row, opt Options) Verdict {
	if row.Family > 0 {
		row.P = row.PAdj
	}
	worse := (row.Better < 0 && row.Head.Center > row.Base.Center) ||
		(row.Better > 0 && row.Head.Center < row.Base.Center)
	switch {
	case row.identical || (row.Exact && row.Head.Center == row.Base.Center):
		return Same
	case row.Exact && row.Better == 0:
		return Changed
	case row.Exact && worse:
		return Regression
	case row.Exact:
		return Improvement
	case !(row.P < opt.Alpha) && !canDecide(row.NBase, row.NHead, familyAlpha(row, opt)):
		// Not even two samples wholly apart would reach alpha after
		// Holm's correction: no change could fail, so nothing passes.
		return TooFewSamples
	case !(row.P < opt.Alpha):
		return NotSignificant
	case row.Better == 0:
		return Changed
	case !(math.Abs(row.Delta) > opt.Threshold):
		return WithinThreshold
	case worse:
		return Regression
	}
	return Improvement
}

// relDelta is new/old - 1, with 0 -> 0 as no change and 0 -> x as +Inf.
func relDelta(old, new float64) float64 {
	switch {
	case old == new:
		return 0
	case old == 0:
		return math.Copysign(math.Inf(1), new)
	}
	return new/old - 1
}

func allEqual(a, b []float64) bool {
	for _, x := range a {
		if x != b[0] {
			return false
		}
	}
	for _, x := range b {
		if x != b[0] {
			return false
		}
	}
	return true
}

// wantedUnits resolves -metrics to tidied units, nil meaning all.
func wantedUnits(in *Input, metrics []string) (map[string]bool, error) {
	if len(metrics) == 0 {
		return nil, nil
	}
	all := unitsOf(in)
	present := make(map[string]bool)
	for _, u := range all {
		present[u] = true
	}
	want := make(map[string]bool)
	for _, m := range metrics {
		unit := results.Tidy(m)
		if !present[unit] {
			return nil, fmt.Errorf("selecting metrics: %q is in neither file (they have: %s)", m, strings.Join(all, ", "))
		}
		want[unit] = true
	}
	return want, nil
}

// names returns the names of the benchmarks of s.
func names(s *results.Set) []string {
	var out []string
	for _, b := range s.Benchmarks {
		out = append(out, b.Name)
	}
	return out
}

// sampleNames shows the first few names of a list.
func sampleNames(names []string) string {
	const show = 3
	if len(names) <= show {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:show], ", ") + ", ..."
}
