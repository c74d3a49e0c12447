package report

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/crudbench/crudbench/internal/paired"
	"github.com/crudbench/crudbench/internal/suite"
)

// pairedFamily is the family of the paired comparison.
const pairedFamily = "Paired"

// pairedReference is the arm BenchmarkPaired compares every other with;
// its control is paired.ControlName(pairedReference).
const pairedReference = "pgx"

// controlRatio is the unit of the control's ratio, "pgx'/pgx", with an
// estimator's suffix ("-p50") appended.
func controlRatio(suffix string) string {
	return paired.ControlName(pairedReference) + "/" + pairedReference + suffix
}

// notDistinguishable marks a ratio closer to 1 than its leaf's control
// spread: the harness's own bias could account for it.
const notDistinguishable = " ~"

// belowFloor marks a ratio to the composed floor whose interval lies below
// 1 and which stands further from 1 than the leaf's control reaches: the
// floor was not a floor in those runs (belowFloorCell).
const belowFloor = " <"

// pairedLabel names a paired benchmark without its family: "read",
// "relation, 10 posts", "bulk-update, n=100".
func pairedLabel(k Key) string {
	switch {
	case k.Posts != "":
		return k.Op + ", " + k.Posts + " posts"
	case k.N != "":
		return k.Op + ", n=" + k.N
	}
	return k.Op
}

// pairedRatio summarizes the samples of a unit of a paired benchmark, one
// per run, such as a ratio ("ent/pgx"); ok is false without samples.
func (w *doc) pairedRatio(k Key, unit string) (paired.Summary, bool) {
	vs := w.data.Values(k, unit)
	if len(vs) == 0 {
		return paired.Summary{}, false
	}
	return paired.Summarize(vs, confidence), true
}

// fmtPaired formats a ratio summary as "1.234× [1.220, 1.248]".
func fmtPaired(s paired.Summary, ok bool) string {
	switch {
	case !ok:
		return "–"
	case math.IsNaN(s.Lo):
		return fmt.Sprintf("%.3f× [one run]", s.Mean)
	}
	return fmt.Sprintf("%.3f× [%.3f, %.3f]", s.Mean, s.Lo, s.Hi)
}

// fmtPairedTime formats the mean of a time unit over the runs with the
// CV of the runs' values: "412.3µs (CV 8.1 %)".
func fmtPairedTime(unit string, s paired.Summary, ok bool) string {
	if !ok {
		return "–"
	}
	if s.N < 2 {
		return fmtValue(unit, s.Mean)
	}
	return fmt.Sprintf("%s (CV %.1f %%)", fmtValue(unit, s.Mean), 100*s.CV)
}

// fmtCV formats a summary's coefficient of variation in percent.
func fmtCV(s paired.Summary, ok bool) string {
	if !ok || s.N < 2 {
		return "–"
	}
	return fmt.Sprintf("%.1f %%", 100*s.CV)
}

// cvCell formats the CV of ratio r in leaf k, in bold and with a warning
// when it exceeds the leaf's paired.CVTarget as shown, to 0.1 %: a CV
// shown as 2.0 % meets a target of 2 %.
func (w *doc) cvCell(k Key, r string, s paired.Summary, ok bool) string {
	cell := fmtCV(s, ok)
	if cell == "–" || math.Round(1000*s.CV) <= math.Round(1000*paired.CVTarget(isBulk(k))) {
		return cell
	}
	w.warn.add(fmt.Sprintf("a CV across runs above the precision target (%.0f %% for single-row and relation leaves, %.0f %% for bulk) by the %s",
		100*paired.CVTarget(false), 100*paired.CVTarget(true), estimatorOf(r).Name), pairedLabel(k)+" "+r)
	if where, ok := w.followsSpeed(k, r); ok {
		w.warn.add("a CV above its target that follows the machine's speed, by the "+estimatorOf(r).Name+": from run to run "+
			"the ratio moves with its denominator's own time (correlation significant at 5 %), so the machine's speed changed "+
			"during the runs and this target's time did not change in the same proportion; more rounds do not take such a spread away", where)
	}
	return "**" + cell + "**"
}

// minProcessRuns is the fewest runs a file must hold for its own interval
// to be compared with another file's.
const minProcessRuns = 3

// pairedProcesses warns of every ratio whose runs, when several input
// files (each a process of go test) hold at least minProcessRuns of them,
// give two files disjoint intervals: each process's interval is then
// narrower than what separates processes, and only the pooled one, over
// them all, is to be quoted.
func (w *doc) pairedProcesses(keys []Key) {
	if len(w.data.Paths) < 2 {
		return
	}
	for _, k := range keys {
		b := w.data.ByKey(k)
		for _, m := range b.Metrics {
			if !strings.Contains(m.FileUnit, "/") || strings.HasSuffix(m.FileUnit, "/op") {
				continue
			}
			var sums []paired.Summary
			var files []string
			for i, vs := range w.data.ValuesByFile(k, m.FileUnit) {
				if len(vs) >= minProcessRuns {
					sums = append(sums, paired.Summarize(vs, confidence))
					files = append(files, filepath.Base(w.data.Paths[i]))
				}
			}
			lo, hi := 0, 0
			for i, s := range sums {
				if s.Hi < sums[lo].Hi {
					lo = i
				}
				if s.Lo > sums[hi].Lo {
					hi = i
				}
			}
			if len(sums) < 2 || sums[lo].Hi >= sums[hi].Lo {
				continue
			}
			w.warn.add("two processes (input files) whose intervals do not meet, by the "+estimatorOf(m.FileUnit).Name+
				": the runs of one process share more than its interval shows, so quote the pooled interval, not one process's",
				fmt.Sprintf("%s %s (%.3f [%.3f, %.3f] in %s, %.3f [%.3f, %.3f] in %s)", pairedLabel(k), m.FileUnit,
					sums[lo].Mean, sums[lo].Lo, sums[lo].Hi, files[lo], sums[hi].Mean, sums[hi].Lo, sums[hi].Hi, files[hi]))
		}
	}
}

// followsSpeed reports whether the runs' values of ratio r in leaf k
// correlate with its denominator's own time in the same runs (the median
// time for the ratios of medians and of rounds, the mean for the ratio of
// means), and if so names the ratio with the correlation and that time's
// CV across runs.
func (w *doc) followsSpeed(k Key, r string) (string, bool) {
	e := estimatorOf(r)
	_, den, ok := strings.Cut(strings.TrimSuffix(r, e.Suffix), "/")
	if !ok {
		return "", false
	}
	unit := den + "-p50-ns/op"
	if e.Suffix == "" {
		unit = den + "-ns/op"
	}
	ratios, times := w.data.Values(k, r), w.data.Values(k, unit)
	c, p := paired.Correlation(ratios, times)
	if !(p < 0.05) {
		return "", false
	}
	return fmt.Sprintf("%s %s (r = %+.2f with %s, whose CV is %.1f %%)", pairedLabel(k), r, c, unit,
		100*paired.Summarize(times, confidence).CV), true
}

// isBulk reports whether k is a bulk leaf of BenchmarkPaired (op=bulk-…).
func isBulk(k Key) bool { return strings.HasPrefix(k.Op, "bulk-") }

// pairedTable writes a table with a row per paired benchmark that has
// at least one of the times or ratios, the mean time of each of the times units,
// and for each ratio its geometric mean over the runs with a 95%
// interval and its CV, marked notDistinguishable when it lies closer to 1
// than the leaf's control reaches.
func (w *doc) pairedTable(keys []Key, times, ratios []string) {
	header := []string{"benchmark", "runs"}
	for _, t := range times {
		header = append(header, strings.TrimSuffix(t, "-ns/op"))
	}
	for _, r := range ratios {
		header = append(header, r+" [95% CI]", "CV")
	}
	var rows [][]string
	for _, k := range keys {
		row := []string{pairedLabel(k), fmt.Sprint(len(w.data.Values(k, "ns/op")))}
		any := false
		for _, t := range times {
			s, ok := w.pairedRatio(k, t)
			any = any || ok
			row = append(row, fmtPairedTime(t, s, ok))
		}
		for _, r := range ratios {
			s, ok := w.pairedRatio(k, r)
			any = any || ok
			cell := fmtPaired(s, ok)
			if ok && w.withinControl(k, r, s.Mean) {
				cell += notDistinguishable
			}
			if ok && w.belowFloorCell(k, r, s) {
				cell += belowFloor
			}
			row = append(row, cell, w.cvCell(k, r, s, ok))
		}
		if any {
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		w.missing("such ratios")
		return
	}
	w.table(mdTable(header, 1, rows))
}

// estimatorOf returns the estimator whose ratios unit r reports: the one
// with the longest suffix r ends with ("-round", "-p50", or the ratio of
// means).
func estimatorOf(r string) paired.Estimator {
	var best paired.Estimator
	for _, e := range paired.Estimators {
		if strings.HasSuffix(r, e.Suffix) && len(e.Suffix) >= len(best.Suffix) {
			best = e
		}
	}
	return best
}

// belowFloorCell reports, and warns of, a ratio r of leaf k to its
// composed floor ("sqlc/floor-round") whose whole interval lies below 1
// by more than the leaf's control of the same estimator reaches: a target
// faster than its floor beyond the harness's own bias, which a floor
// cannot be. A leaf without a usable control is not judged.
func (w *doc) belowFloorCell(k Key, r string, s paired.Summary) bool {
	e := estimatorOf(r)
	if !strings.HasSuffix(strings.TrimSuffix(r, e.Suffix), "/floor") || !(s.Hi < 1) {
		return false
	}
	ctrl, ok := w.pairedRatio(k, controlRatio(e.Suffix))
	if !ok || !paired.Distinguishable(s.Mean, ctrl) {
		return false
	}
	w.warn.add(fmt.Sprintf("a target faster than its composed floor beyond the control's spread by the %s (marked %q): "+
		"the floor did not bound it in these runs", e.Name, strings.TrimSpace(belowFloor)), pairedLabel(k)+" "+r)
	return true
}

// withinControl reports whether ratio, the mean of unit r in leaf k, lies
// closer to 1 than the leaf's control of the same estimator reaches. A
// control's own ratio, and a leaf without a control or whose control has
// no interval, are not marked.
func (w *doc) withinControl(k Key, r string, ratio float64) bool {
	suffix := estimatorOf(r).Suffix
	if r == controlRatio(suffix) {
		return false
	}
	ctrl, ok := w.pairedRatio(k, controlRatio(suffix))
	return ok && !math.IsNaN(ctrl.Spread()) && !paired.Distinguishable(ratio, ctrl)
}

// pairedControl writes the first table of the paired section: per leaf,
// the control's ratio pgx'/pgx by each estimator with its interval, CV and
// spread, and whether it lies within paired.ControlBand of 1; and warns of
// every leaf whose control does not, naming the estimators.
func (w *doc) pairedControl(keys []Key) {
	ctrl := paired.ControlName(pairedReference)
	w.h3("The control: " + ctrl + " against " + pairedReference)
	ckeys := w.withUnit(keys, controlRatio(""))
	if len(ckeys) == 0 {
		w.para("_These results have no control (" + controlRatio("") + "): the harness's own bias in each leaf is unknown, " +
			"and a ratio within a few percent of 1 shows nothing._")
		w.warn.add("the paired results have no control ("+controlRatio("")+"): their harness bias is unknown", "")
		return
	}
	w.para(fmt.Sprintf("`%s` is %s a second time, on a clone and a pool of its own, run in every leaf like any other target: "+
		"its ratio to %s would be 1 with no bias in the harness. How far its interval reaches from 1 (the spread) is the smallest "+
		"difference the leaf can show: the tables below mark with `~` every ratio closer to 1 than the control of the same estimator reaches, "+
		"not distinguishable from the harness's own bias. A leaf is flagged for each estimator whose control interval does not lie within [%.2f, %.2f].",
		ctrl, pairedReference, pairedReference, 1-paired.ControlBand, 1+paired.ControlBand))
	header := []string{"benchmark", "runs"}
	for _, e := range paired.Estimators {
		header = append(header, controlRatio(e.Suffix)+" [95% CI]", "CV", "spread")
	}
	header = append(header, "control")
	var rows [][]string
	for _, k := range ckeys {
		row := []string{pairedLabel(k), fmt.Sprint(len(w.data.Values(k, controlRatio(""))))}
		var biased []string
		for _, e := range paired.Estimators {
			s, ok := w.pairedRatio(k, controlRatio(e.Suffix))
			spread := "–"
			if ok && !math.IsNaN(s.Spread()) {
				spread = fmt.Sprintf("%.1f %%", 100*s.Spread())
			}
			if ok && s.Biased() {
				biased = append(biased, e.Name)
			}
			row = append(row, fmtPaired(s, ok), fmtCV(s, ok), spread)
		}
		verdict := fmt.Sprintf("within ±%.0f %%", 100*paired.ControlBand)
		if len(biased) > 0 {
			verdict = fmt.Sprintf("**this leaf's harness bias may exceed %.0f %%** (%s)", 100*paired.ControlBand, strings.Join(biased, ", "))
			w.warn.add(fmt.Sprintf("the control %s lies outside [%.2f, %.2f] by the %s: this leaf's harness bias may exceed %.0f %%",
				ctrl+"/"+pairedReference, 1-paired.ControlBand, 1+paired.ControlBand, strings.Join(biased, ", "), 100*paired.ControlBand), k.String())
		}
		rows = append(rows, append(row, verdict))
	}
	w.table(mdTable(header, 1, rows))
}

// pairedArms returns the arms and the variants of suite.Variants that
// BenchmarkPaired measured in keys, in suite order.
func (w *doc) pairedArms(keys []Key) (arms []string, variants []suite.Variant) {
	measured := func(name string) bool {
		return len(w.withUnit(keys, name+"-ns/op")) > 0 || len(w.withUnit(keys, name+"/pgx")) > 0
	}
	for _, a := range suite.Arms {
		if measured(a) {
			arms = append(arms, a)
		}
	}
	for _, v := range suite.Variants {
		if measured(v.Name) {
			variants = append(variants, v)
		}
	}
	return arms, variants
}

// ratiosTo returns "a/to" for each of arms but to; with suffix appended.
func ratiosTo(arms []string, to, suffix string) []string {
	var out []string
	for _, a := range arms {
		if a != to {
			out = append(out, a+"/"+to+suffix)
		}
	}
	return out
}

// suffixed returns each of names with suffix appended.
func suffixed(names []string, suffix string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + suffix
	}
	return out
}

// paired writes the paired comparison: the ratios of BenchmarkPaired,
// their chart, the arms against their composed floors, each variant
// against its arm, and the statements each target sent.
func (w *doc) paired() {
	w.h2("Paired comparison")
	keys := w.data.Keys(pairedFamily)
	if len(keys) == 0 {
		w.missing("BenchmarkPaired results")
		return
	}
	arms, variants := w.pairedArms(keys)
	w.para("BenchmarkPaired sends every iteration's request to each arm (and to the control, the composed floor, and each variant on the ops where it differs) " +
		"in an order drawn afresh for every iteration from the run's seed (the config lines `paired-order` and `paired-seed`), so that no target has a fixed neighbour, " +
		"and times each request on its own; each target runs on a fresh clone of the seeded database. " +
		"Noise that comes and goes lands on all of them alike, so their ratios hold steady where each one's time does not. " +
		"A ratio is the run's total time of one target over another's; the table gives the geometric mean of the runs' ratios, " +
		"a Student t 95% interval of it (on logarithms), and the ratios' coefficient of variation (CV) across runs. " +
		"Times are the geometric means of the runs' mean latencies, with their CV across runs: the noise the ratios cancel. " +
		fmt.Sprintf("A ratio's CV is in bold above the precision target: %.0f %% for single-row and relation leaves, %.0f %% for bulk ones; ",
			100*paired.CVTarget(false), 100*paired.CVTarget(true)) +
		"where such a ratio's runs also follow its denominator's own time, the warnings say that the machine's speed moved it. " +
		"Given several files (each a process of go test), the report pools their runs and warns of every ratio whose processes' intervals do not meet.")
	w.pairedControl(keys)
	w.pairedProcesses(keys)
	w.h3("Arms relative to pgx")
	w.pairedTable(keys, suffixed(arms, "-ns/op"), nil)
	w.pairedTable(keys, nil, ratiosTo(arms, "pgx", ""))
	w.para("The same ratios of medians (`-p50`): a few requests stalled by the machine (a descheduled process on a busy host) " +
		"move a ratio of means but not one of medians.")
	w.pairedTable(keys, nil, ratiosTo(arms, "pgx", "-p50"))
	w.para("The same as medians of the rounds' ratios (`-round`): each round's two requests ran moments apart, so a busy stretch " +
		"of the machine lands on both, and the median of their ratios leaves out the stalls.")
	w.pairedTable(keys, nil, ratiosTo(arms, "pgx", "-round"))
	w.pairedChart(keys, arms)
	if slices.Contains(arms, "sql") {
		w.h3("Arms relative to database/sql")
		w.para("The same arms over plain database/sql with hand-written statements, the baseline of every arm that runs on database/sql.")
		w.pairedTable(keys, nil, ratiosTo(slices.DeleteFunc(slices.Clone(arms), func(a string) bool { return a == "pgx" }), "sql", ""))
	}
	w.h3("Arms relative to their composed floor")
	w.para("The composed floor answers the same request through the same client, the same httpapi wrapper (mux, deadline, body limit) " +
		"and a traced pgx pool like the arms', with one bare statement scanned into locals and pre-encoded bytes written back: " +
		"http-select for read, http-insert for create, http-update for update, http-delete for delete, a 50-row select for list. " +
		"What an arm costs above it is the arm's own data access and the shared handler. " +
		"A ratio marked `<` lies below 1, interval and all, further than the control reaches: the floor did not bound that target in these runs.")
	floorKeys := w.withUnit(keys, "floor-ns/op")
	w.pairedTable(floorKeys, []string{"floor-ns/op"}, suffixed(arms, "/floor"))
	w.pairedTable(floorKeys, nil, suffixed(arms, "/floor-p50"))
	w.pairedTable(floorKeys, nil, suffixed(arms, "/floor-round"))
	for _, v := range variants {
		w.h3(v.Arm + "'s other form: " + v.Name)
		w.para("`" + v.Name + "` gives up " + v.GivesUp + " (docs/arms.md says more).")
		vkeys := w.withUnit(keys, v.Name+"-ns/op")
		w.pairedTable(vkeys, []string{"pgx-ns/op", v.Arm + "-ns/op", v.Name + "-ns/op"},
			[]string{v.Arm + "/pgx", v.Name + "/pgx", v.Arm + "/" + v.Name, v.Name + "/floor"})
		for _, e := range paired.Estimators[1:] { // the ratio of means is in the table above
			w.pairedTable(vkeys, nil, suffixed([]string{v.Arm + "/pgx", v.Name + "/pgx", v.Arm + "/" + v.Name, v.Name + "/floor"}, e.Suffix))
		}
	}
	w.h3("Statements per request")
	targets := slices.Clone(arms)
	if ctrl := paired.ControlName(pairedReference); len(w.withUnit(keys, ctrl+"-queries/op")) > 0 {
		targets = append(targets, ctrl)
	}
	targets = append(targets, "floor")
	for _, v := range variants {
		targets = append(targets, v.Name)
	}
	var qrows [][]string
	for _, k := range keys {
		row := []string{pairedLabel(k)}
		for _, t := range targets {
			s, ok := w.summary(k, t+"-queries/op")
			row = append(row, fmtSummary("queries/op", s, ok))
		}
		qrows = append(qrows, row)
	}
	w.para("Every statement each target sent per request, BEGIN and COMMIT included (– where the target does not run):")
	w.table(mdTable(append([]string{"benchmark"}, targets...), 1, qrows))
}

// withUnit returns those of keys measured in unit.
func (w *doc) withUnit(keys []Key, unit string) []Key {
	var out []Key
	for _, k := range keys {
		if len(w.data.Values(k, unit)) > 0 {
			out = append(out, k)
		}
	}
	return out
}

// unitLine draws the dashed line of ratio 1 on a ratio chart, labelled
// label, and leaves room above it.
func unitLine(p *plot.Plot, label string) {
	one := plotter.NewFunction(func(float64) float64 { return 1 })
	one.Dashes, one.Width, one.Color = []vg.Length{vg.Points(4), vg.Points(3)}, vg.Points(1.2), rgb(0x333333)
	p.Add(one)
	p.Legend.Add(label, one)
	if _, ok := p.Y.Scale.(plot.LogScale); !ok {
		p.Y.Max = math.Max(p.Y.Max, 1.3)
	}
}

// pairedChart draws each arm's ratio to pgx for every paired benchmark,
// with their 95% intervals, as bars from 1 on log axes: one panel for the
// single-row and relation leaves, one for bulk, each with its own range,
// so that single-row differences of a few percent are readable next to
// bulk ratios of ten.
func (w *doc) pairedChart(keys []Key, arms []string) {
	var single, bulk []Key
	for _, k := range keys {
		if isBulk(k) {
			bulk = append(bulk, k)
		} else {
			single = append(single, k)
		}
	}
	var panels []*plot.Plot
	for _, g := range []struct {
		title string
		keys  []Key
	}{{"single row and relation", single}, {"bulk", bulk}} {
		if p := w.pairedPanel(g.title, g.keys, arms); p != nil {
			panels = append(panels, p)
		}
	}
	if len(panels) == 0 {
		return
	}
	f := row("paired-ratio", "Paired latency relative to pgx", panels...)
	f.W = vg.Length(len(panels)) * 6.5 * vg.Inch
	w.figure(f)
}

// pairedPanel draws one panel of pairedChart over keys, or returns nil
// when none of them has a ratio.
func (w *doc) pairedPanel(title string, keys []Key, arms []string) *plot.Plot {
	var cats []string
	for _, k := range keys {
		cats = append(cats, strings.Replace(strings.Replace(pairedLabel(k), ", ", "\n", 1), "bulk-", "bulk ", 1))
	}
	var ss []series
	for i, arm := range arms {
		if arm == pairedReference {
			continue
		}
		s := series{Label: arm + " / pgx", Color: armColor(arms, i), Y: nans(len(keys)), Lo: nans(len(keys)), Hi: nans(len(keys))}
		found := false
		for j, k := range keys {
			if sum, ok := w.pairedRatio(k, arm+"/pgx"); ok {
				s.Y[j], s.Lo[j], s.Hi[j] = sum.Mean, sum.Lo, sum.Hi
				found = true
			}
		}
		if found {
			ss = append(ss, s)
		}
	}
	if len(ss) == 0 {
		return nil
	}
	p := ratioChart("Paired latency relative to pgx, "+title+" (95% CI)", "benchmark", "ratio to pgx (×)", cats, ss)
	unitLine(p, "pgx = 1")
	p.X.Tick.Label.Font.Size = vg.Points(8)
	return p
}
