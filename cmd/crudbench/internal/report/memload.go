package report

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/crudbench/crudbench/internal/suite"
)

// memoryFamily and the load families are the benchmark names the memory
// and load studies (crudbench study memory, crudbench study load) write.
const (
	memoryFamily     = "Memory"
	loadFamily       = "Load"
	loadClosedFamily = "LoadClosed"
)

// defaultP99Bound is the load study's default bound, used when the
// results do not state theirs.
const defaultP99Bound = 10 * time.Millisecond

// mebi is the divisor from bytes to MiB.
const mebi = 1 << 20

// memory writes the Process memory section, if there are memory study
// results: a table per arm and workload and a chart of peak RSS.
func (w *doc) memory() {
	keys := w.data.Keys(memoryFamily)
	if len(keys) == 0 {
		return
	}
	w.h2("Process memory")
	w.para("Resident memory of each arm's serve process (crudbench study memory): at idle, at its peak during a fixed " +
		"closed-loop workload per operation, and after a forced GC that follows it; heap in use at the peak; " +
		"GC cycles per 1,000 requests. Medians when there are several runs.")
	var cats []Key // op and n of each workload, idle excluded
	for _, k := range keys {
		c := Key{Op: k.Op, N: k.N}
		if k.Op != "idle" && !slices.Contains(cats, c) {
			cats = append(cats, c)
		}
	}
	arms := w.data.familyArms(memoryFamily)
	key := func(arm string, c Key) Key { return Key{Family: memoryFamily, Arm: arm, Op: c.Op, N: c.N} }
	mib := func(k Key, unit string) string {
		if s, ok := w.summary(k, unit); ok {
			return fmt.Sprintf("%.1f MiB", s.Center/mebi)
		}
		return "–"
	}
	var rows [][]string
	for _, arm := range arms {
		idle := mib(key(arm, Key{Op: "idle"}), "rss-bytes")
		for _, c := range cats {
			k := key(arm, c)
			if !w.data.has(k) {
				continue
			}
			gc := "–"
			if s, ok := w.summary(k, "gc/1000req"); ok {
				gc = fmt.Sprintf("%.1f", s.Center)
			}
			rows = append(rows, []string{arm, workload(c), idle, mib(k, "peak-rss-bytes"), mib(k, "rss-after-gc-bytes"), mib(k, "heap-bytes"), gc})
		}
	}
	w.table(mdTable([]string{"arm", "workload", "idle RSS", "peak RSS", "RSS after GC", "heap in use", "GC cycles / 1,000 req"}, 2, rows))
	labels := make([]string, len(cats))
	for i, c := range cats {
		labels[i] = workload(c)
	}
	ss := make([]series, len(arms))
	for a, arm := range arms {
		ss[a] = series{Label: arm, Color: armColor(arms, a), Y: nans(len(cats))}
		for i, c := range cats {
			if s, ok := w.summary(key(arm, c), "peak-rss-bytes"); ok {
				ss[a].Y[i] = s.Center / mebi
			}
		}
	}
	p := barChart("Peak RSS per workload", "workload", "peak RSS (MiB)", labels, ss)
	// Wider than a grid panel: a group of bars per workload.
	w.figure(figure{Name: "memory-peak-rss", Title: "Peak RSS per workload and arm", Plots: [][]*plot.Plot{{p}},
		W: vg.Length(max(5, 1.4*float64(len(cats)))) * vg.Inch, H: 4 * vg.Inch})
}

// familyArms returns the arms (and variants) of a family, in suite order,
// so a study of some arms is not charted with empty slots for the others.
func (d *Data) familyArms(family string) []string {
	var arms []string
	for _, k := range d.Keys(family) {
		if k.Arm != "" && !slices.Contains(arms, k.Arm) {
			arms = append(arms, k.Arm)
		}
	}
	return ordered(arms, append(slices.Clone(suite.Arms), suite.VariantNames()...)...)
}

// workload names a memory study workload: "read", "bulk-create n=1000".
func workload(c Key) string {
	if c.N != "" {
		return c.Op + " n=" + c.N
	}
	return c.Op
}

// p99Bound returns the bound the load study applied (its p99-bound
// configuration line) or its default, and whether the results state it.
func (w *doc) p99Bound() (time.Duration, bool) {
	for _, v := range w.data.ConfigValues("p99-bound") {
		if d, err := time.ParseDuration(v); err == nil {
			return d, true
		}
	}
	return defaultP99Bound, false
}

// held applies the load study's rule (study.Held) to an open-loop run:
// no errors, at least 95 % of the offered rate achieved, p99 within bound.
func (w *doc) held(k Key, bound time.Duration) (bool, bool) {
	rate, err := strconv.ParseFloat(k.Rate, 64)
	errs, eok := w.summary(k, "errors")
	thr, tok := w.summary(k, "req/s")
	p99, pok := w.summary(k, "p99-ns/op")
	if err != nil || !eok || !tok || !pok {
		return false, false
	}
	return errs.Center == 0 && thr.Center >= 0.95*rate && p99.Center <= float64(bound), true
}

// openLoad writes the Latency under open-loop load section, if there are
// load study results: p99 against offered rate per operation and the
// highest rate each arm holds.
func (w *doc) openLoad() {
	if len(w.data.Keys(loadFamily)) == 0 {
		return
	}
	w.h3("Latency under open-loop load, arm by arm")
	bound, stated := w.p99Bound()
	w.para("Each arm served on its own (crudbench study load) and was sent requests at constant offered rates, " +
		"fractions of its closed-loop capacity, latency measured from each request's intended send time. " +
		"The charts show p99 against the offered rate, one panel per operation, on a log y axis.")
	ops := w.data.Ops(loadFamily)
	rates := w.data.Sizes(loadFamily, func(k Key) string { return k.Rate })
	arms := w.data.familyArms(loadFamily)
	key := func(arm, op, rate string) Key { return Key{Family: loadFamily, Arm: arm, Op: op, Rate: rate} }
	top := 0.0
	for _, k := range w.data.Keys(loadFamily) {
		if s, ok := w.data.Summary(k, "p99-ns/op"); ok {
			top = math.Max(top, s.Center)
		}
	}
	div, axis := axisScale("ns/op", top)
	g, cols := newGrid(len(ops))
	for i, op := range ops {
		var ls []line
		for a, arm := range arms {
			shape := armShapes[slices.Index(w.data.Arms(), arm)%len(armShapes)] // as in the other charts
			l := line{Label: arm, Color: armColor(arms, a), Shape: shape}
			if w.points(&l, rates, "p99-ns/op", div, func(r string) Key { return key(arm, op, r) }) {
				ls = append(ls, l)
			}
		}
		if len(ls) == 0 {
			continue
		}
		p, err := lineChart("Open loop "+op+": p99", "offered rate (req/s)", withUnit("p99 latency", axis), ls, false, true, true)
		if err != nil {
			w.warn.add("cannot chart the open-loop p99: "+err.Error(), "")
			return
		}
		g[i/cols][i%cols] = p
	}
	var all []*plot.Plot
	for _, r := range g {
		all = append(all, r...)
	}
	shareY(all...)
	w.figure(g.named("load-p99", "p99 latency against offered rate"))

	w.para("**Highest rate held.**")
	rule := fmt.Sprintf("p99 ≤ %s (the study's bound)", bound)
	if !stated {
		rule = fmt.Sprintf("p99 ≤ %s (the study's default; the results do not state their bound)", bound)
	}
	w.para("The study's rule: a rate is held with no errors, at least 95 % of the offered rate achieved and " + rule +
		". Capacity is the closed-loop throughput the rates are fractions of.")
	var rows [][]string
	for _, op := range ops {
		for _, arm := range arms {
			capacity := "–"
			for _, k := range w.data.Keys(loadClosedFamily) {
				if k.Arm == arm && k.Op == op {
					if s, ok := w.summary(k, "req/s"); ok {
						capacity = fmt.Sprintf("%.0f req/s", s.Center)
					}
				}
			}
			best, measured := 0.0, false
			for _, r := range rates {
				ok, m := w.held(key(arm, op, r), bound)
				measured = measured || m
				if ok {
					v, _ := strconv.ParseFloat(r, 64)
					best = math.Max(best, v)
				}
			}
			if !measured {
				continue
			}
			heldText := "none"
			if best > 0 {
				heldText = fmt.Sprintf("%.0f req/s", best)
			}
			rows = append(rows, []string{op, arm, capacity, heldText})
		}
	}
	w.table(mdTable([]string{"op", "arm", "closed-loop capacity", "highest rate held"}, 2, rows))
}
