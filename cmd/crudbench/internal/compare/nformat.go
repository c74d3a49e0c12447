package compare

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"time"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/table"
	"github.com/crudbench/crudbench/internal/paired"
)

// Benchmark families of the N-way comparison.
const (
	CapacityFamily = "CompareCapacity"
	TailFamily     = "CompareTail"
	MemoryFamily   = "CompareMemory"
	CPUFamily      = "CompareCPU"
)

// NUnits are the unit lines of the N-way comparison's results.
var NUnits = []string{
	"Unit req/s better=higher",
	"Unit cap-ratio better=higher",
	"Unit app-cpu-ns/op better=lower",
	"Unit pg-cpu-ns/op better=lower",
	"Unit client-cpu-ns/op better=lower",
	"Unit app-cpu-ratio better=lower",
	"Unit pg-cpu-ratio better=lower",
	"Unit cpu-ratio better=lower",
	"Unit p50-ns/op better=lower",
	"Unit p95-ns/op better=lower",
	"Unit p99-ns/op better=lower",
	"Unit p95-lo-ns/op better=lower",
	"Unit p95-hi-ns/op better=lower",
	"Unit p95-ratio better=lower",
	"Unit p95-ratio-lo better=lower",
	"Unit p95-ratio-hi better=lower",
	"Unit pss-bytes better=lower assume=exact",
	"Unit rss-bytes better=lower assume=exact",
	"Unit binary-bytes better=lower assume=exact",
}

// MemRow is one target's memory at one moment.
type MemRow struct {
	Target, At string // At: "idle" before the ops, "loaded" after them
	Mem        Mem
	Binary     int64 // bytes; 0 if unknown
}

// perOp returns a slice's CPU per answered request, or NaN.
func perOp(ns, answered int64) float64 {
	if ns < 0 || answered == 0 {
		return math.NaN()
	}
	return float64(ns) / float64(answered)
}

// ratiosBy returns, per round, f of target t over f of the reference,
// skipping rounds where either is not a positive number.
func ratiosBy(s [][]Slice, t int, f func(Slice) float64) []float64 {
	var out []float64
	for r := range min(len(s[t]), len(s[0])) {
		a, b := f(s[t][r]), f(s[0][r])
		if a > 0 && b > 0 && !math.IsInf(a, 0) && !math.IsInf(b, 0) {
			out = append(out, a/b)
		}
	}
	return out
}

func appOp(s Slice) float64 { return perOp(s.AppNs, s.Answered) }
func pgOp(s Slice) float64  { return perOp(s.PGNs, s.Answered) }
func cpuOp(s Slice) float64 {
	if s.AppNs < 0 || s.PGNs < 0 {
		return math.NaN()
	}
	return perOp(s.AppNs+s.PGNs, s.Answered)
}
func tput(s Slice) float64 { return s.Throughput() }

// WriteN writes the results in the Go benchmark format: config lines
// (config as given, key: value; an empty value is left out), units, per
// op and target one capacity line per round with the round's ratios to
// the reference, one tail line per target, one CPU line per slice of all
// targets at once with the slice's ratios to the reference, and the
// memory rows.
func WriteN(w io.Writer, config [][2]string, names []string, runs []OpRun, mem []MemRow, seed uint64) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "goos: %s\ngoarch: %s\n", runtime.GOOS, runtime.GOARCH)
	for _, kv := range config {
		if kv[1] == "" { // not known here
			continue
		}
		fmt.Fprintf(&b, "%s: %s\n", kv[0], kv[1])
	}
	for _, u := range NUnits {
		fmt.Fprintln(&b, u)
	}
	for _, r := range runs {
		for t, name := range names {
			for k, s := range r.Cap[t] {
				fmt.Fprintf(&b, "Benchmark%s/arm=%s/op=%s\t%d\t%.1f req/s", CapacityFamily, name, r.Op, s.Answered, s.Throughput())
				unit(&b, appOp(s), "app-cpu-ns/op")
				unit(&b, pgOp(s), "pg-cpu-ns/op")
				unit(&b, perOp(s.ClientNs, s.Answered), "client-cpu-ns/op")
				if t > 0 {
					ref := r.Cap[0][k]
					unit(&b, s.Throughput()/ref.Throughput(), "cap-ratio")
					unit(&b, appOp(s)/appOp(ref), "app-cpu-ratio")
					unit(&b, pgOp(s)/pgOp(ref), "pg-cpu-ratio")
					unit(&b, cpuOp(s)/cpuOp(ref), "cpu-ratio")
				}
				b.WriteByte('\n')
			}
		}
		if len(r.Tail[0]) == 0 {
			continue
		}
		for t, name := range names {
			tl := tailOf(r.Tail, t, seed)
			fmt.Fprintf(&b, "Benchmark%s/arm=%s/op=%s/rate=%d\t%d", TailFamily, name, r.Op, r.Rate, tl.n)
			for i, q := range []string{"p50", "p95", "p99"} {
				if tl.ok[i] {
					fmt.Fprintf(&b, "\t%d %s-ns/op", tl.q[i], q)
				}
			}
			if tl.lo > 0 {
				fmt.Fprintf(&b, "\t%d p95-lo-ns/op\t%d p95-hi-ns/op", tl.lo, tl.hi)
			}
			if t > 0 && tl.ratio.N > 0 {
				unit(&b, tl.ratio.Mean, "p95-ratio")
				unit(&b, tl.ratio.Lo, "p95-ratio-lo")
				unit(&b, tl.ratio.Hi, "p95-ratio-hi")
			}
			b.WriteByte('\n')
		}
	}
	for _, r := range runs {
		for t, name := range names {
			if t >= len(r.CPU) {
				break
			}
			for k, s := range r.CPU[t] {
				if !(appOp(s) > 0) && !(pgOp(s) > 0) {
					continue
				}
				fmt.Fprintf(&b, "Benchmark%s/arm=%s/op=%s/rate=%d\t%d", CPUFamily, name, r.Op, r.CPURate, s.Answered)
				unit(&b, appOp(s), "app-cpu-ns/op")
				unit(&b, pgOp(s), "pg-cpu-ns/op")
				if t > 0 && k < len(r.CPU[0]) {
					ref := r.CPU[0][k]
					unit(&b, appOp(s)/appOp(ref), "app-cpu-ratio")
					unit(&b, pgOp(s)/pgOp(ref), "pg-cpu-ratio")
					unit(&b, cpuOp(s)/cpuOp(ref), "cpu-ratio")
				}
				b.WriteByte('\n')
			}
		}
	}
	for _, m := range mem {
		fmt.Fprintf(&b, "Benchmark%s/arm=%s/op=%s\t1\t%d pss-bytes\t%d rss-bytes", MemoryFamily, m.Target, m.At, m.Mem.PSS, m.Mem.RSS)
		if m.Binary > 0 {
			fmt.Fprintf(&b, "\t%d binary-bytes", m.Binary)
		}
		b.WriteByte('\n')
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing compare results: %w", err)
	}
	return nil
}

// unit writes " v unit" if v is a positive number: a figure that was
// not measured, or a ratio to one, is left out.
func unit(b *bytes.Buffer, v float64, u string) {
	if v > 0 && !math.IsInf(v, 0) {
		fmt.Fprintf(b, "\t%.6g %s", v, u)
	}
}

// tail is one target's pooled open-loop latencies: the quantiles p50, p95,
// p99 (ok false where fewer than 10 samples lie beyond), a bootstrap 95 %
// interval of p95 over rounds, and p95's ratio to the reference's.
type tail struct {
	n      int
	q      [3]time.Duration
	ok     [3]bool
	lo, hi time.Duration
	ratio  paired.Summary // Mean, Lo, Hi of the p95 ratio; N = 0 for the reference
}

// bootstraps is the number of resamples of a bootstrap interval.
const bootstraps = 400

// tailOf pools target t's tail slices, and bootstraps intervals by
// resampling rounds (the same rounds for t and the reference, so the
// ratio's interval keeps the pairing). seed makes the intervals
// repeatable.
func tailOf(s [][]Slice, t int, seed uint64) tail {
	pool := func(target int, rounds []int) []time.Duration {
		var d []time.Duration
		for _, r := range rounds {
			d = append(d, s[target][r].Lat...)
		}
		return d
	}
	n := min(len(s[t]), len(s[0]))
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	var tl tail
	d := pool(t, all)
	tl.n = len(d)
	for i, q := range []float64{0.5, 0.95, 0.99} {
		tl.q[i], tl.ok[i] = paired.Percentile(d, q)
	}
	if !tl.ok[1] || n < 2 {
		return tl
	}
	rng := rand.New(rand.NewPCG(seed, uint64(t)))
	var p95s, ratios []float64
	rounds := make([]int, n)
	for range bootstraps {
		for i := range rounds {
			rounds[i] = rng.IntN(n)
		}
		a, okA := paired.Percentile(pool(t, rounds), 0.95)
		b, okB := paired.Percentile(pool(0, rounds), 0.95)
		if !okA || !okB {
			continue
		}
		p95s = append(p95s, float64(a))
		ratios = append(ratios, float64(a)/float64(b))
	}
	if len(p95s) < bootstraps/2 {
		return tl
	}
	tl.lo, tl.hi = time.Duration(quantile(p95s, 0.025)), time.Duration(quantile(p95s, 0.975))
	ref, _ := paired.Percentile(pool(0, all), 0.95)
	tl.ratio = paired.Summary{N: n, Mean: float64(tl.q[1]) / float64(ref), Lo: quantile(ratios, 0.025), Hi: quantile(ratios, 0.975)}
	return tl
}

// quantile returns the q-quantile of x by the nearest rank; x is sorted.
func quantile(x []float64, q float64) float64 {
	slices.Sort(x)
	return x[min(len(x)-1, max(0, int(math.Ceil(q*float64(len(x))))-1))]
}

// WriteNSummary writes a table per op: each target's capacity, its ratio
// to the reference with a 95 % interval, CPU per request in the server,
// PostgreSQL and this process, the CPU ratio, and p95 at equal load with
// its ratio; and, where it ran, a table of CPU per request at equal load
// with all targets at once, the control's row after the reference's.
func WriteNSummary(w io.Writer, names []string, runs []OpRun, av Availability, seed uint64) error {
	var b bytes.Buffer
	ci := func(x []float64) string {
		if len(x) < 2 {
			return "–"
		}
		s := paired.Summarize(x, 0.95)
		return fmt.Sprintf("%.3f [%.3f, %.3f]", s.Mean, s.Lo, s.Hi)
	}
	ns := func(v float64) string {
		if math.IsNaN(v) {
			return "n/a"
		}
		return time.Duration(v).Round(100 * time.Nanosecond).String()
	}
	for _, r := range runs {
		rows := [][]string{{"target", "req/s", "capacity ratio", "app CPU/op", "pg CPU/op", "client CPU/op", "CPU ratio (app+pg)", "p95", "p95 ratio"}}
		for t, name := range names {
			row := []string{name, fmt.Sprintf("%.0f", meanThroughput(r.Cap[t])), "reference",
				ns(median(r.Cap[t], appOp)), ns(median(r.Cap[t], pgOp)),
				ns(median(r.Cap[t], func(s Slice) float64 { return perOp(s.ClientNs, s.Answered) })), "reference", "–", "–"}
			if t > 0 {
				row[2] = ci(ratiosBy(r.Cap, t, tput))
				row[6] = ci(ratiosBy(r.Cap, t, cpuOp))
			}
			if len(r.Tail[t]) > 0 {
				tl := tailOf(r.Tail, t, seed)
				if tl.ok[1] {
					row[7] = fmt.Sprintf("%s [%s, %s]", ns(float64(tl.q[1])), ns(float64(tl.lo)), ns(float64(tl.hi)))
					if t > 0 && tl.ratio.N > 0 {
						row[8] = fmt.Sprintf("%.3f [%.3f, %.3f]", tl.ratio.Mean, tl.ratio.Lo, tl.ratio.Hi)
					}
				} else {
					row[7] = fmt.Sprintf("too few (%d)", tl.n)
				}
			}
			rows = append(rows, row)
		}
		rate := "no open loop"
		if r.Rate > 0 {
			rate = fmt.Sprintf("open-loop rate %d/s", r.Rate)
		}
		fmt.Fprintf(&b, "crudbench compare, op %s (%s; ratios to %s, geometric mean and 95%% interval over rounds)\n%s\n",
			r.Op, rate, names[0], table.Text(rows, table.RightFrom(len(rows[0]), 1)))
		if len(r.CPU) > 0 && len(r.CPU[0]) > 0 {
			rows := [][]string{{"target", "app CPU/op", "pg CPU/op", "app+pg", "CPU ratio (app+pg)", "app ratio", "pg ratio"}}
			for _, t := range controlFirst(names) {
				row := []string{names[t], ns(median(r.CPU[t], appOp)), ns(median(r.CPU[t], pgOp)), ns(median(r.CPU[t], cpuOp)), "reference", "reference", "reference"}
				if t > 0 {
					row[4], row[5], row[6] = ci(ratiosBy(r.CPU, t, cpuOp)), ci(ratiosBy(r.CPU, t, appOp)), ci(ratiosBy(r.CPU, t, pgOp))
				}
				rows = append(rows, row)
			}
			fmt.Fprintf(&b, "CPU per request at equal load, all targets at once, op %s (%d slices, open loop at %d/s for each target; ratios to %s within each slice, geometric mean and 95%% interval over slices; this process's CPU not counted)\n%s\n",
				r.Op, len(r.CPU[0]), r.CPURate, names[0], table.Text(rows, table.RightFrom(len(rows[0]), 1)))
		}
	}
	for t, name := range names {
		if av.App[t] != "" {
			fmt.Fprintf(&b, "%s: server CPU %s\n", name, av.App[t])
		}
		if av.PG[t] != "" {
			fmt.Fprintf(&b, "%s: PostgreSQL CPU %s\n", name, av.PG[t])
		}
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("writing the compare summary: %w", err)
	}
	return nil
}

// controlFirst returns the indices of names: the reference, its control
// if there is one, then the others in order.
func controlFirst(names []string) []int {
	out := []int{0}
	c := slices.Index(names, paired.ControlName(names[0]))
	if c > 0 {
		out = append(out, c)
	}
	for i := 1; i < len(names); i++ {
		if i != c {
			out = append(out, i)
		}
	}
	return out
}

// median returns the median of f over slices, ignoring NaN; NaN if none.
func median(s []Slice, f func(Slice) float64) float64 {
	var x []float64
	for _, v := range s {
		if y := f(v); !math.IsNaN(y) {
			x = append(x, y)
		}
	}
	if len(x) == 0 {
		return math.NaN()
	}
	return quantile(x, 0.5)
}
