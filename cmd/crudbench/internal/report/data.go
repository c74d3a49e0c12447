package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/results"
	"github.com/crudbench/crudbench/internal/suite"
)

// Key identifies a benchmark of the suite by the parts of its name.
type Key = results.Key

// Data is the pooled content of one or more result files: every result
// with the same Key is a sample of one benchmark.
type Data struct {
	*results.Set
}

// Load reads result files. Samples of the same benchmark from several
// files, or from concatenated runs in one file, are pooled.
func Load(paths ...string) (*Data, error) {
	sets, err := results.Load(results.ByKey, paths)
	if err != nil {
		return nil, err
	}
	return &Data{sets[0]}, nil
}

// Values returns the samples of a benchmark in a unit as written in the
// file (ns/op, not sec/op), or nil.
func (d *Data) Values(k Key, unit string) []float64 {
	if b := d.ByKey(k); b != nil {
		if m := b.Metric(unit); m != nil {
			return m.FileValues
		}
	}
	return nil
}

// ValuesByFile returns the samples of a benchmark in a unit as written in
// the file, one slice per input file in the order of Paths (empty for a
// file without them), or nil.
func (d *Data) ValuesByFile(k Key, unit string) [][]float64 {
	b := d.ByKey(k)
	if b == nil {
		return nil
	}
	m := b.Metric(unit)
	if m == nil {
		return nil
	}
	out := make([][]float64, len(d.Paths))
	for i, v := range m.FileValues {
		out[m.Files[i]] = append(out[m.Files[i]], v)
	}
	return out
}

// Summary summarizes a benchmark's unit the way benchstat does: the
// median with its 95% confidence interval, or the exact value for exact
// units (assume=exact, and queries/op unless declared otherwise, as the
// gate has it). ok is false if there are no samples.
func (d *Data) Summary(k Key, unit string) (s benchmath.Summary, ok bool) {
	vs := d.Values(k, unit)
	if len(vs) == 0 {
		return s, false
	}
	sample := benchmath.NewSample(slices.Clone(vs), &benchmath.DefaultThresholds)
	return results.Assumption(d.Units, unit).Summary(sample, confidence), true
}

// confidence is the confidence level of every interval in the report.
const confidence = 0.95

// Keys returns the benchmarks of a family in suite order: arms in the
// order of package arms' table, then ops and sizes in their natural order.
func (d *Data) Keys(family string) []Key {
	var ks []Key
	for _, b := range d.Benchmarks {
		if b.Key.Family == family {
			ks = append(ks, b.Key)
		}
	}
	return ks
}

// Arms returns the arms of the per-arm families present, in the order of
// package arms' table, then any others. BenchmarkBreakdown names variants
// as arms (arm=ent-lean) and crudbench compare names its targets so
// (arm=pgx'); they are not arms of these families, and their sections
// list their own.
func (d *Data) Arms() []string {
	var arms []string
	for _, b := range d.Benchmarks {
		if b.Key.Arm != "" && b.Key.Family != breakdownFamily && !strings.HasPrefix(b.Key.Family, "Compare") && !slices.Contains(arms, b.Key.Arm) {
			arms = append(arms, b.Key.Arm)
		}
	}
	return ordered(arms, suite.Arms...)
}

// Ops returns the ops of a family present, in the suite's order.
func (d *Data) Ops(family string) []string {
	var ops []string
	for _, k := range d.Keys(family) {
		if k.Op != "" && !slices.Contains(ops, k.Op) {
			ops = append(ops, k.Op)
		}
	}
	return ordered(ops, suite.Ops()...)
}

// Sizes returns the distinct numeric values of a name key (N, Posts or
// Conc) in a family, sorted.
func (d *Data) Sizes(family string, get func(Key) string) []string {
	var out []string
	for _, k := range d.Keys(family) {
		if v := get(k); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b string) int {
		x, _ := strconv.ParseFloat(a, 64)
		y, _ := strconv.ParseFloat(b, 64)
		return cmp.Compare(x, y)
	})
	return out
}

// ordered sorts xs with the known values first, in their given order.
func ordered(xs []string, known ...string) []string {
	rank := func(x string) int {
		if i := slices.Index(known, x); i >= 0 {
			return i
		}
		return len(known)
	}
	slices.SortStableFunc(xs, func(a, b string) int { return rank(a) - rank(b) })
	return xs
}

// has reports whether benchmark k was measured.
func (d *Data) has(k Key) bool {
	return d.ByKey(k) != nil
}

// hasUnit reports whether any benchmark of a family was measured in unit.
func (d *Data) hasUnit(family, unit string) bool {
	for _, k := range d.Keys(family) {
		if len(d.Values(k, unit)) > 0 {
			return true
		}
	}
	return false
}
