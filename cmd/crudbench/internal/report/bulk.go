package report

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
)

func (w *doc) bulk() {
	w.h2("Bulk scalability")
	ops, ns := w.data.Ops("Bulk"), w.data.Sizes("Bulk", func(k Key) string { return k.N })
	if len(ops) == 0 || len(ns) == 0 {
		w.missing("BenchmarkBulk results")
		return
	}
	w.para("Time per batch and per row as the batch grows (BenchmarkBulk), both axes logarithmic. " +
		"A flat time per row means the arm scales linearly; a falling one means fixed per-batch costs are amortized.")
	key := func(arm, op, n string) Key { return Key{Family: "Bulk", Arm: arm, Op: op, N: n} }
	for _, m := range []struct{ unit, name, file, legend string }{
		{"ns/op", "Time per batch", "bulk-time", "left"},
		{"ns/row", "Time per row", "bulk-per-row", "right"},
	} {
		if !w.data.hasUnit("Bulk", m.unit) {
			w.missing(m.unit + " in BenchmarkBulk")
			continue
		}
		figs, err := w.bulkPlots(ops, ns, m.unit, m.name, m.legend == "left", key)
		if err != nil {
			w.warn.add("cannot chart "+m.unit+": "+err.Error(), "")
			continue
		}
		w.figure(figs.named(m.file, m.name+" vs batch size"))
	}
	var rowLabels [][]string
	for _, op := range ops {
		for _, n := range ns {
			rowLabels = append(rowLabels, []string{op, n})
		}
	}
	for _, unit := range []string{"ns/op", "ns/row"} {
		if !w.data.hasUnit("Bulk", unit) {
			continue
		}
		w.h3(unit)
		w.table(w.armTable([]string{"op", "n"}, rowLabels, unit, func(arm string, i int) Key {
			return key(arm, rowLabels[i][0], rowLabels[i][1])
		}))
	}
}

// grid is a set of plots laid out two per row.
type grid [][]*plot.Plot

// newGrid returns an empty grid for n panels, two per row, and its
// number of columns.
func newGrid(n int) (grid, int) {
	cols := min(2, n)
	g := make(grid, (n+cols-1)/cols)
	for i := range g {
		g[i] = make([]*plot.Plot, cols)
	}
	return g, cols
}

func (g grid) named(name, title string) figure {
	return figure{Name: name, Title: title, Plots: g, W: vg.Length(len(g[0])) * 5 * vg.Inch, H: vg.Length(len(g)) * 4 * vg.Inch}
}

// bulkPlots draws one log-log panel per op, a line per arm, with the
// same axis unit in every panel.
func (w *doc) bulkPlots(ops, ns []string, unit, name string, legendLeft bool, key func(arm, op, n string) Key) (grid, error) {
	arms := w.data.Arms()
	top := 0.0
	for _, op := range ops {
		for _, arm := range arms {
			for _, n := range ns {
				if s, ok := w.data.Summary(key(arm, op, n), unit); ok {
					top = math.Max(top, s.Center)
				}
			}
		}
	}
	div, axis := axisScale(unit, top)
	g, cols := newGrid(len(ops))
	for i, op := range ops {
		var ls []line
		for a, arm := range arms {
			l := line{Label: arm, Color: armColor(arms, a), Shape: armShapes[a%len(armShapes)]}
			if w.points(&l, ns, unit, div, func(n string) Key { return key(arm, op, n) }) {
				ls = append(ls, l)
			}
		}
		if len(ls) == 0 {
			continue
		}
		p, err := lineChart("Bulk "+op+": "+name, "batch size (rows)", withUnit(name, axis), ls, true, true, legendLeft)
		if err != nil {
			return nil, err
		}
		g[i/cols][i%cols] = p
	}
	var all []*plot.Plot
	for _, r := range g {
		all = append(all, r...)
	}
	shareY(all...)
	return g, nil
}

// points adds to l a point per numeric x whose benchmark key(x) has a
// positive summary in unit, divided by div, and reports whether l has
// any point.
func (w *doc) points(l *line, xs []string, unit string, div float64, key func(x string) Key) bool {
	for _, xv := range xs {
		s, ok := w.summary(key(xv), unit)
		x, err := strconv.ParseFloat(xv, 64)
		if !ok || err != nil || s.Center <= 0 {
			continue
		}
		l.X, l.Y = append(l.X, x), append(l.Y, s.Center/div)
		l.Lo, l.Hi = append(l.Lo, s.Lo/div), append(l.Hi, s.Hi/div)
	}
	return len(l.X) > 0
}
