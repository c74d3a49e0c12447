package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"golang.org/x/perf/benchmath"
	"gonum.org/v1/plot"
)

// floorCase compares a serial CRUD op with the floor it cannot beat.
type floorCase struct {
	op    string   // CRUD op
	parts []string // Floor ops whose sum is the floor
	name  string
}

var floorCases = []floorCase{
	{"read", []string{"http-noop", "select"}, "HTTP no-op + SELECT"},
	{"create", []string{"http-noop", "insert"}, "HTTP no-op + INSERT"},
}

func (w *doc) floor() {
	w.h2("The floor")
	w.para("The physical floor measured in the same run (BenchmarkFloor): an HTTP round trip that does nothing plus the bare statement on pgx. " +
		"Whatever an arm spends above it is the cost of its data-access layer and handler code. " +
		"The floor of a read is HTTP no-op + SELECT, of a create HTTP no-op + INSERT.")
	arms := w.data.Arms()
	type floorData struct {
		fc    floorCase
		parts []benchmath.Summary
	}
	var cases []floorData
	var rows [][]string
	top := 0.0 // one scale for every panel
	for _, fc := range floorCases {
		parts := make([]benchmath.Summary, len(fc.parts))
		ok := true
		for i, p := range fc.parts {
			var found bool
			parts[i], found = w.summary(Key{Family: "Floor", Op: p}, "ns/op")
			ok = ok && found
		}
		if !ok || !slices.ContainsFunc(arms, func(a string) bool { return w.data.has(crud(a, fc.op)) }) {
			w.warn.add(fmt.Sprintf("no floor for %s: needs BenchmarkFloor op=%s and BenchmarkCRUD op=%s", fc.op, strings.Join(fc.parts, ", op="), fc.op), "")
			continue
		}
		floorSum := sumOf(parts)
		floor := floorSum.Center
		top = math.Max(top, floor)
		for _, arm := range arms {
			if s, ok := w.summary(crud(arm, fc.op), "ns/op"); ok {
				top = math.Max(top, s.Center)
				r := newRatio(s, floorSum, true, true)
				rows = append(rows, []string{fc.op, arm, fmtSummary("ns/op", s, true), fmtValue("ns/op", floor),
					fmtValue("ns/op", s.Center-floor), r.String()})
			}
		}
		cases = append(cases, floorData{fc, parts})
	}
	if len(cases) == 0 {
		w.missing("floor and CRUD results to compare")
		return
	}
	var plots []*plot.Plot
	for _, c := range cases {
		plots = append(plots, w.floorPlot(c.fc, arms, c.parts, top))
	}
	shareY(plots...)
	w.figure(row("floor", "Serial latency against the floor", plots...))
	w.table(mdTable([]string{"op", "arm", "serial ns/op", "floor", "above floor", "op / floor [95% CI]"}, 2, rows))
}

// floorPlot stacks, for each arm, the floor's two parts and what the arm
// spends above them, on an axis scaled for top. The first part's whisker
// is its own interval, the second's the floor's (the sum of the parts'
// intervals), the arm's its own.
func (w *doc) floorPlot(fc floorCase, arms []string, parts []benchmath.Summary, top float64) *plot.Plot {
	div, axis := axisScale("ns/op", top)
	return barChart("Serial "+fc.op+" vs floor ("+fc.name+")", "arm", withUnit("mean latency", axis), arms, w.floorSeries(fc, arms, parts, div))
}

// floorSeries returns the stacked series of floorPlot, divided by div.
func (w *doc) floorSeries(fc floorCase, arms []string, parts []benchmath.Summary, div float64) []series {
	n := len(arms)
	floor := sumOf(parts)
	first := series{Label: fc.parts[0], Color: greys[0], Y: nans(n), Lo: nans(n), Hi: nans(n)}
	second := series{Label: fc.parts[1], Color: greys[1], Y: nans(n), Base: make([]float64, n), Lo: nans(n), Hi: nans(n)}
	above := series{Label: "arm above the floor", Color: otherColors[0], Y: nans(n), Base: make([]float64, n), Lo: nans(n), Hi: nans(n)}
	for i, arm := range arms {
		s, ok := w.data.Summary(crud(arm, fc.op), "ns/op")
		if !ok {
			continue
		}
		first.Y[i], first.Lo[i], first.Hi[i] = parts[0].Center/div, parts[0].Lo/div, parts[0].Hi/div
		second.Base[i], second.Y[i] = parts[0].Center/div, floor.Center/div
		second.Lo[i], second.Hi[i] = floor.Lo/div, floor.Hi/div
		above.Base[i], above.Y[i] = floor.Center/div, math.Max(s.Center/div, floor.Center/div)
		above.Lo[i], above.Hi[i] = s.Lo/div, s.Hi/div
	}
	return []series{first, second, above}
}

// sumOf adds summaries: centres and interval bounds (a conservative
// interval for the sum).
func sumOf(ss []benchmath.Summary) (sum benchmath.Summary) {
	for _, s := range ss {
		sum.Center, sum.Lo, sum.Hi = sum.Center+s.Center, sum.Lo+s.Lo, sum.Hi+s.Hi
	}
	return sum
}
