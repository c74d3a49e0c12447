package report

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// breakdownFamily is the family of BenchmarkBreakdown: the in-process
// cost of a database/sql arm's store call, in parts.
const breakdownFamily = "Breakdown"

// breakdownPart is one part of a call: its unit prefix in the results
// ("build" for build-ns/op), its label and colour.
type breakdownPart struct {
	unit, label string
	color       uint32
}

// breakdownParts are the measured in-process parts, in the order they
// stack; the round trip is stacked after them.
var breakdownParts = []breakdownPart{
	{"build", "build", 0xE69F00},
	{"dbsql", "database/sql + driver", 0x56B4E9},
	{"scan", "scan/mapping", 0xCC79A7},
}

// roundTripColor is the colour of the round trip, the part that is a
// difference of two benchmarks rather than a measurement.
const roundTripColor = 0xBBBBBB

// breakdownCase is one op of the breakdown (op, and n or posts).
type breakdownCase struct{ Op, N, Posts string }

func (c breakdownCase) key(arm string) Key {
	return Key{Family: breakdownFamily, Arm: arm, Op: c.Op, N: c.N, Posts: c.Posts}
}

// paired returns the BenchmarkPaired leaf of the same op.
func (c breakdownCase) paired() Key {
	return Key{Family: pairedFamily, Op: c.Op, N: c.N, Posts: c.Posts}
}

// breakdownCases returns the ops of the breakdown in the order the
// results first name them.
func (d *Data) breakdownCases() []breakdownCase {
	var out []breakdownCase
	for _, k := range d.Keys(breakdownFamily) {
		if c := (breakdownCase{k.Op, k.N, k.Posts}); !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}

// breakdownRow is one arm's figures for one op, each a median over the
// runs in ns (NaN when missing).
type breakdownRow struct {
	arm       string
	parts     []float64 // as breakdownParts
	inproc    float64
	total     float64 // the arm's BenchmarkPaired mean of the same op
	roundTrip float64 // total - inproc
}

// breakdownRows returns the figures of every arm measured on c.
func (w *doc) breakdownRows(c breakdownCase) []breakdownRow {
	var rows []breakdownRow
	for _, arm := range w.data.familyArms(breakdownFamily) {
		k := c.key(arm)
		in, ok := w.summary(k, "inproc-ns/op")
		if !ok {
			continue
		}
		r := breakdownRow{arm: arm, inproc: in.Center, total: math.NaN(), roundTrip: math.NaN()}
		for _, p := range breakdownParts {
			v := math.NaN()
			if s, ok := w.summary(k, p.unit+"-ns/op"); ok {
				v = s.Center
			}
			r.parts = append(r.parts, v)
		}
		if s, ok := w.summary(c.paired(), arm+"-ns/op"); ok {
			r.total, r.roundTrip = s.Center, s.Center-in.Center
		}
		rows = append(rows, r)
	}
	return rows
}

// breakdownLabel names an op as the paired section does.
func breakdownLabel(c breakdownCase) string {
	return pairedLabel(Key{Op: c.Op, N: c.N, Posts: c.Posts})
}

// whereTimeGoes writes the "Where the time goes" section: per op, a
// stacked bar per arm of BenchmarkBreakdown's in-process parts and the
// round trip left of the arm's BenchmarkPaired time, and tables of the
// figures and of the parts' allocations.
func (w *doc) whereTimeGoes() {
	w.h2("Where the time goes")
	cases := w.data.breakdownCases()
	if len(cases) == 0 {
		w.missing("BenchmarkBreakdown results")
		return
	}
	w.para("BenchmarkBreakdown records one store call of each database/sql arm against PostgreSQL, then replays it in-process " +
		"against a stub driver that answers from the recording and time-stamps every statement: " +
		"**build** is the library's time before its statements reach database/sql's driver, " +
		"**scan/mapping** its time turning rows into structs and after its last statement, " +
		"each less what database/sql itself spends there (measured by replaying the identical statements through database/sql alone, " +
		"alternating with the library's call); **database/sql + driver** is that share and the stub's. " +
		"The three add up to the in-process call. **Round trip** is the arm's BenchmarkPaired time of the same op " +
		"less the in-process call: network, PostgreSQL, pgx on the wire, HTTP and JSON. " +
		"It is a difference of two benchmarks run at different times, not a measurement, and shown only when both are in the results. " +
		"Medians over the runs. The pgx arms are not broken down: their SQL is a constant string and they have no database/sql layer.")
	g, cols := newGrid(len(cases))
	for i, c := range cases {
		if p := w.breakdownChart(c); p != nil {
			g[i/cols][i%cols] = p
		}
	}
	f := g.named("breakdown", "Where the time goes, per op and arm")
	f.H = vg.Length(len(g)) * 3 * vg.Inch
	w.figure(f)

	header := []string{"op", "arm"}
	for _, p := range breakdownParts {
		header = append(header, p.label)
	}
	header = append(header, "in-process", "round trip (difference)", "paired total", "in-process share", "arm / floor (paired)")
	var rows [][]string
	for _, c := range cases {
		for _, r := range w.breakdownRows(c) {
			row := []string{breakdownLabel(c), r.arm}
			for _, p := range breakdownParts {
				s, ok := w.summary(c.key(r.arm), p.unit+"-ns/op")
				row = append(row, fmtPart(s, ok))
			}
			s, _ := w.summary(c.key(r.arm), "inproc-ns/op")
			row = append(row, fmtPart(s, true), fmtValue("ns/op", r.roundTrip), fmtValue("ns/op", r.total), fmtShare(r.inproc, r.total))
			fs, ok := w.pairedRatio(c.paired(), r.arm+"/floor")
			row = append(row, fmtPaired(fs, ok))
			rows = append(rows, row)
		}
	}
	w.table(mdTable(header, 2, rows))

	w.para("Heap allocations per call in each part (an untimed pass), and the statements of the call:")
	header = []string{"op", "arm"}
	for _, p := range breakdownParts {
		header = append(header, p.label)
	}
	header = append(header, "in-process", "queries/op")
	rows = rows[:0]
	for _, c := range cases {
		for _, arm := range w.data.familyArms(breakdownFamily) {
			k := c.key(arm)
			if !w.data.has(k) {
				continue
			}
			row := []string{breakdownLabel(c), arm}
			for _, unit := range []string{"build-allocs/op", "dbsql-allocs/op", "scan-allocs/op", "inproc-allocs/op"} {
				row = append(row, fmtAllocs(w.summary(k, unit)))
			}
			s, ok := w.summary(k, "queries/op")
			rows = append(rows, append(row, fmtSummary("queries/op", s, ok)))
		}
	}
	w.table(mdTable(header, 2, rows))
}

// breakdownChart draws one op: a horizontal bar per arm, its parts
// stacked, the round trip last. Negative parts (noise around zero) are
// drawn as none; the table has them. Right of each bar stands the arm's
// paired ratio to the op's composed floor, where the results hold it.
func (w *doc) breakdownChart(c breakdownCase) *plot.Plot {
	rows := w.breakdownRows(c)
	if len(rows) == 0 {
		return nil
	}
	slices.Reverse(rows) // the first arm on top
	top := 0.0
	for _, r := range rows {
		top = math.Max(top, math.Max(finiteOr0(r.inproc), finiteOr0(r.total)))
	}
	div, axis := axisScale("ns/op", top)
	p := newPlot(breakdownLabel(c), withUnit("time per call", axis), "")
	p.X.Tick.Marker, p.Y.Tick.Marker = niceTicks{}, nil
	arms := make([]string, len(rows))
	for i, r := range rows {
		arms[i] = r.arm
	}
	layer := func(label string, color uint32, value func(r breakdownRow) float64, below *plotter.BarChart) *plotter.BarChart {
		vs := make(plotter.Values, len(rows))
		for i, r := range rows {
			if v := value(r); v > 0 {
				vs[i] = v / div
			}
		}
		bc, err := plotter.NewBarChart(vs, vg.Points(22))
		if err != nil { // only for NaN or infinite values, which value never gives
			panic(fmt.Sprintf("report: breakdown bars: %v", err))
		}
		bc.Horizontal, bc.Color, bc.LineStyle.Width = true, rgb(color), vg.Points(0.5)
		if below != nil {
			bc.StackOn(below)
		}
		p.Add(bc)
		p.Legend.Add(label, bc)
		return bc
	}
	var below *plotter.BarChart
	for i, part := range breakdownParts {
		below = layer(part.label, part.color, func(r breakdownRow) float64 { return finiteOr0(r.parts[i]) }, below)
	}
	if slices.ContainsFunc(rows, func(r breakdownRow) bool { return r.roundTrip > 0 }) {
		layer("round trip (paired − in-process)", roundTripColor, func(r breakdownRow) float64 { return finiteOr0(r.roundTrip) }, below)
	}
	p.NominalY(arms...)
	// Room above the bars for the legend, top right.
	p.Y.Min, p.Y.Max = -0.6, float64(len(rows))-0.4+1.9
	p.X.Min = 0
	// Each arm's paired ratio to the op's composed floor, right of its bar.
	var xys plotter.XYs
	var texts []string
	for i, r := range rows {
		if fs, ok := w.pairedRatio(c.paired(), r.arm+"/floor"); ok {
			xys = append(xys, plotter.XY{X: math.Max(finiteOr0(r.total), finiteOr0(r.inproc)) / div, Y: float64(i)})
			texts = append(texts, fmt.Sprintf(" %.2f× floor", fs.Mean))
		}
	}
	if len(xys) > 0 {
		labels, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: texts})
		if err != nil {
			panic(fmt.Sprintf("report: breakdown labels: %v", err))
		}
		for i := range labels.TextStyle {
			labels.TextStyle[i].YAlign = -0.5 // centred on the bar
			labels.TextStyle[i].Font.Size = vg.Points(9)
		}
		p.Add(labels)
		p.X.Max = top / div * 1.3
	}
	return p
}

func finiteOr0(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// fmtPart formats a part's median time with its interval, or alone when
// too few runs give it none (the Warnings section says so).
func fmtPart(s benchmath.Summary, ok bool) string {
	if ok && !finite(s.Lo, s.Hi) {
		return fmtValue("ns/op", s.Center)
	}
	return fmtSummary("ns/op", s, ok)
}

// fmtShare formats part/whole in percent, or "–".
func fmtShare(part, whole float64) string {
	if math.IsNaN(part) || math.IsNaN(whole) || whole <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", 100*part/whole)
}

// fmtAllocs formats a median count of allocations, to one decimal.
func fmtAllocs(s benchmath.Summary, ok bool) string {
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.1f", s.Center)
}
