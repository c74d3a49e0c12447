package report

import (
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

// crud returns the key of CRUD/arm=arm/op=op.
func crud(arm, op string) Key { return Key{Family: "CRUD", Arm: arm, Op: op} }

// single wraps one plot as a figure of the usual size.
func single(name, title string, p *plot.Plot) figure {
	return figure{Name: name, Title: title, Plots: [][]*plot.Plot{{p}}, W: 8 * vg.Inch, H: 4.5 * vg.Inch}
}

// row wraps plots side by side.
func row(name, title string, ps ...*plot.Plot) figure {
	return figure{Name: name, Title: title, Plots: [][]*plot.Plot{ps}, W: vg.Length(len(ps)) * 4.6 * vg.Inch, H: 4.5 * vg.Inch}
}

func (w *doc) environment() {
	w.h2("Environment")
	var rows [][]string
	for _, c := range w.data.Config {
		rows = append(rows, []string{c.Key, strings.Join(c.Values, " | ")})
		if len(c.Values) > 1 {
			w.warn.add(fmt.Sprintf("the pooled runs differ in configuration %q: %s", c.Key, strings.Join(c.Values, ", ")), "")
		}
	}
	if len(rows) > 0 {
		w.table(mdTable([]string{"key", "value"}, 2, rows))
	}
	lo, hi := -1, 0
	for _, b := range w.data.Benchmarks {
		n := len(w.data.Values(b.Key, "ns/op"))
		if lo < 0 || n < lo {
			lo = n
		}
		hi = max(hi, n)
	}
	runs := fmt.Sprint(hi)
	if lo != hi {
		runs = fmt.Sprintf("%d to %d", lo, hi)
	}
	files := make([]string, len(w.data.Paths))
	for i, f := range w.data.Paths {
		files[i] = "`" + f + "`"
	}
	w.para(fmt.Sprintf("Inputs: %s: %d benchmarks, %s runs each.", strings.Join(files, ", "), len(w.data.Benchmarks), runs))
}

func (w *doc) latency() {
	w.h2("Latency")
	ops := w.crudOps()
	if len(ops) == 0 {
		return
	}
	w.para("One client, one request at a time (BenchmarkCRUD). Mean is the benchmark's ns/op; p95 and p99 are the per-request latency percentiles the suite reports.")
	key := func(arm string, i int) Key { return crud(arm, ops[i]) }
	for _, m := range []struct{ unit, name, file string }{
		{"ns/op", "Mean latency", "latency-mean"},
		{"p95-ns/op", "p95 latency", "latency-p95"},
		{"p99-ns/op", "p99 latency", "latency-p99"},
	} {
		w.h3(m.name + " (" + m.unit + ")")
		if !w.data.hasUnit("CRUD", m.unit) {
			w.missing(m.unit + " in BenchmarkCRUD")
			continue
		}
		ss, axis, complete := w.armSeriesCI(m.unit, len(ops), key)
		title := m.name + " per CRUD operation, serial"
		if !complete {
			title += noCI
		}
		w.figure(single(m.file, title, barChart(title, "operation", withUnit(m.name, axis), ops, ss)))
		w.table(w.armTable([]string{"op"}, labels(ops), m.unit, key))
	}
}

func (w *doc) throughput() {
	w.h2("Throughput")
	w.h3("Per operation, serial (req/s)")
	if ops := w.data.Ops("CRUD"); !w.data.hasUnit("CRUD", "req/s") {
		w.missing("req/s in BenchmarkCRUD")
	} else {
		key := func(arm string, i int) Key { return crud(arm, ops[i]) }
		ss, axis := w.armSeries("req/s", len(ops), key)
		title := "Throughput per CRUD operation, one client"
		w.figure(single("throughput-ops", title, barChart(title, "operation", withUnit("requests per second", axis), ops, ss)))
		w.table(w.armTable([]string{"op"}, labels(ops), "req/s", key))
	}
	w.h3("Per concurrency level (req/s)")
	ops, concs := w.data.Ops("Parallel"), w.data.Sizes("Parallel", func(k Key) string { return k.Conc })
	if len(ops) == 0 || len(concs) == 0 || !w.data.hasUnit("Parallel", "req/s") {
		w.missing("req/s in BenchmarkParallel")
		return
	}
	var plots []*plot.Plot
	var rowLabels [][]string
	for _, op := range ops {
		key := func(arm string, i int) Key { return Key{Family: "Parallel", Arm: arm, Op: op, Conc: concs[i]} }
		ss, axis := w.armSeries("req/s", len(concs), key)
		plots = append(plots, barChart("Parallel "+op, "concurrent clients", withUnit("requests per second", axis), concs, ss))
		for _, c := range concs {
			rowLabels = append(rowLabels, []string{op, c})
		}
	}
	shareY(plots...)
	fig := row("throughput-concurrency", "Throughput and latency by concurrency level", plots...)
	if lat := w.concurrencyLatency(ops, concs); lat != nil {
		fig.Plots, fig.H = append(fig.Plots, lat), 2*fig.H
	}
	w.figure(fig)
	w.table(w.armTable([]string{"op", "clients"}, rowLabels, "req/s", func(arm string, i int) Key {
		return Key{Family: "Parallel", Arm: arm, Op: rowLabels[i][0], Conc: rowLabels[i][1]}
	}))
}

// concurrencyLatency draws, per op, p50 and p99 latency against the
// number of clients, a line per arm and percentile, all panels on one
// log scale; nil without p50 and p99 results.
func (w *doc) concurrencyLatency(ops, concs []string) []*plot.Plot {
	if !w.data.hasUnit("Parallel", "p50-ns/op") || !w.data.hasUnit("Parallel", "p99-ns/op") {
		return nil
	}
	arms := w.data.Arms()
	key := func(arm, op, c string) Key { return Key{Family: "Parallel", Arm: arm, Op: op, Conc: c} }
	top := 0.0
	for _, op := range ops {
		for _, arm := range arms {
			for _, c := range concs {
				if s, ok := w.data.Summary(key(arm, op, c), "p99-ns/op"); ok {
					top = math.Max(top, s.Center)
				}
			}
		}
	}
	div, axis := axisScale("ns/op", top)
	var plots []*plot.Plot
	for _, op := range ops {
		var ls []line
		for a, arm := range arms {
			for _, pc := range []struct {
				unit, name string
				dashes     []vg.Length
			}{{"p50-ns/op", "p50", nil}, {"p99-ns/op", "p99", []vg.Length{vg.Points(5), vg.Points(3)}}} {
				l := line{Label: arm + " " + pc.name, Color: armColor(arms, a), Shape: armShapes[a%len(armShapes)], Dashes: pc.dashes}
				if w.points(&l, concs, pc.unit, div, func(c string) Key { return key(arm, op, c) }) {
					ls = append(ls, l)
				}
			}
		}
		p, err := lineChart("Parallel "+op+": p50 (solid) and p99 (dashed)", "concurrent clients", withUnit("latency", axis), ls, true, true, true)
		if err != nil {
			w.warn.add("cannot chart latency by concurrency: "+err.Error(), "")
			return nil
		}
		plots = append(plots, p)
	}
	shareY(plots...)
	return plots
}

func (w *doc) allocations() {
	w.h2("Allocations")
	ops := w.crudOps()
	if len(ops) == 0 {
		return
	}
	w.para("Memory allocated per request (B/op) and number of allocations (allocs/op), serial CRUD.")
	key := func(arm string, i int) Key { return crud(arm, ops[i]) }
	var plots []*plot.Plot
	var units []string
	for _, m := range []struct{ unit, name string }{{"B/op", "Bytes allocated"}, {"allocs/op", "Allocations"}} {
		if !w.data.hasUnit("CRUD", m.unit) {
			continue
		}
		units = append(units, m.unit)
		ss, axis := w.armSeries(m.unit, len(ops), key)
		plots = append(plots, barChart(m.name+" per request", "operation", withUnit(m.unit, axis), ops, ss))
	}
	if len(plots) == 0 {
		w.missing("B/op or allocs/op in BenchmarkCRUD (run with -benchmem)")
		return
	}
	w.figure(row("allocations", "Allocation cost per CRUD operation", plots...))
	for _, unit := range units {
		w.h3(unit)
		w.table(w.armTable([]string{"op"}, labels(ops), unit, key))
	}
}

// labels turns a list into one-column row labels.
func labels(xs []string) [][]string {
	out := make([][]string, len(xs))
	for i, x := range xs {
		out[i] = []string{x}
	}
	return out
}

// crudOps returns the CRUD operations measured; if there are none it
// says so in the document.
func (w *doc) crudOps() []string {
	ops := w.data.Ops("CRUD")
	if len(ops) == 0 {
		w.missing("BenchmarkCRUD results")
	}
	return ops
}
