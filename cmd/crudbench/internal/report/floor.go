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
	var plots []*plot.Plot
	var rows [][]string
	for _, fc := range floorCases {
		parts := make([]float64, len(fc.parts))
		var lo, hi float64
		ok := true
		for i, p := range fc.parts {
			s, found := w.summary(Key{Family: "Floor", Op: p}, "ns/op")
			ok = ok && found
			parts[i], lo, hi = s.Center, lo+s.Lo, hi+s.Hi
		}
		if !ok || !slices.ContainsFunc(arms, func(a string) bool { return w.data.has(crud(a, fc.op)) }) {
			w.warn.add(fmt.Sprintf("no floor for %s: needs BenchmarkFloor op=%s and BenchmarkCRUD op=%s", fc.op, strings.Join(fc.parts, ", op="), fc.op), "")
			continue
		}
		floor := parts[0] + parts[1]
		floorSum := summaryOf(floor, lo, hi)
		top := floor
		for _, arm := range arms {
			if s, ok := w.summary(crud(arm, fc.op), "ns/op"); ok {
				top = math.Max(top, s.Center)
				r := newRatio(s, floorSum, true, true)
				rows = append(rows, []string{fc.op, arm, fmtSummary("ns/op", s, true), fmtValue("ns/op", floor),
					fmtValue("ns/op", s.Center-floor), r.String()})
			}
		}
		plots = append(plots, w.floorPlot(fc, arms, parts, top))
	}
	if len(plots) == 0 {
		w.missing("floor and CRUD results to compare")
		return
	}
	w.figure(row("floor", "Serial latency against the floor", plots...))
	w.table(mdTable([]string{"op", "arm", "serial ns/op", "floor", "above floor", "op / floor [95% CI]"}, 2, rows))
}

// floorPlot stacks, for each arm, the floor's parts and what the arm
// spends above them.
func (w *doc) floorPlot(fc floorCase, arms []string, parts []float64, top float64) *plot.Plot {
	div, axis := axisScale("ns/op", top)
	n := len(arms)
	first := series{Label: fc.parts[0], Color: greys[0], Y: nans(n)}
	second := series{Label: fc.parts[1], Color: greys[1], Y: nans(n), Base: make([]float64, n)}
	above := series{Label: "arm above the floor", Color: otherColors[0], Y: nans(n), Base: make([]float64, n), Lo: nans(n), Hi: nans(n)}
	for i, arm := range arms {
		s, ok := w.data.Summary(crud(arm, fc.op), "ns/op")
		if !ok {
			continue
		}
		floor := (parts[0] + parts[1]) / div
		first.Y[i] = parts[0] / div
		second.Base[i], second.Y[i] = parts[0]/div, floor
		above.Base[i], above.Y[i] = floor, math.Max(s.Center/div, floor)
		above.Lo[i], above.Hi[i] = s.Lo/div, s.Hi/div
	}
	return barChart("Serial "+fc.op+" vs floor ("+fc.name+")", "arm", withUnit("mean latency", axis), arms, []series{first, second, above})
}

// summaryOf builds a summary from a centre and interval.
func summaryOf(center, lo, hi float64) (s benchmath.Summary) {
	s.Center, s.Lo, s.Hi = center, lo, hi
	return s
}
