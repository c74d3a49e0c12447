package report

import (
	"fmt"
	"strings"
)

// comparison is one benchmark compared across arms.
type comparison struct {
	label string
	key   func(arm string) Key
	chart bool // also drawn in the ratio chart
}

func (w *doc) comparisons() []comparison {
	var cs []comparison
	for _, op := range w.data.Ops("CRUD") {
		cs = append(cs, comparison{op, func(arm string) Key { return crud(arm, op) }, true})
	}
	for _, p := range w.data.Sizes("Relation", func(k Key) string { return k.Posts }) {
		cs = append(cs, comparison{"relation, " + p + " posts", func(arm string) Key { return Key{Family: "Relation", Arm: arm, Posts: p} }, true})
	}
	for _, op := range w.data.Ops("Bulk") {
		for _, n := range w.data.Sizes("Bulk", func(k Key) string { return k.N }) {
			cs = append(cs, comparison{"bulk " + op + ", n=" + n, func(arm string) Key { return Key{Family: "Bulk", Arm: arm, Op: op, N: n} }, false})
		}
	}
	return cs
}

func (w *doc) ormVsRaw() {
	w.h2("ORM vs raw SQL")
	arms := w.data.Arms()
	if len(arms) < 2 || arms[0] != "pgx" {
		w.missing("pgx baseline and other arm to compare with it")
		return
	}
	others := arms[1:]
	w.para("Each arm's mean latency (ns/op) divided by pgx's, with a conservative 95% interval built from the two medians' intervals " +
		"([lo/hi, hi/lo]); 1.00× is as fast as pgx. queries/op counts the SQL statements per request (exact).")
	cs := w.comparisons()
	var ss []series
	var cats []string
	for _, c := range cs {
		if c.chart {
			cats = append(cats, strings.Replace(c.label, "relation, ", "relation\n", 1))
		}
	}
	noInterval := 0
	for a, arm := range others {
		s := series{Label: arm + " / pgx", Color: armColor(arms, a+1), Y: nans(len(cats)), Lo: nans(len(cats)), Hi: nans(len(cats))}
		i := 0
		for _, c := range cs {
			r := w.ratio(c.key(arm), c.key("pgx"))
			if r.OK && !r.hasInterval() {
				noInterval++
			}
			if c.chart {
				s.Y[i], s.Lo[i], s.Hi[i] = r.V, r.Lo, r.Hi
				i++
			}
		}
		ss = append(ss, s)
	}
	if len(cats) > 0 {
		title := "Latency relative to pgx (ns/op ratio)"
		if noInterval > 0 {
			title += noCI
		}
		p := barChart(title, "benchmark", "ratio to pgx (×)", cats, ss)
		unitLine(p, "pgx = 1")
		w.figure(single("orm-ratio", "Latency relative to pgx", p))
	}
	if noInterval > 0 {
		w.warn.add(fmt.Sprintf("%d ratios have no confidence interval: a median's interval is unbounded with too few runs", noInterval), "")
	}
	header := []string{"benchmark"}
	header = append(header, arms...)
	for _, arm := range others {
		header = append(header, arm+"/pgx [95% CI]")
	}
	header = append(header, "queries/op ("+strings.Join(arms, " / ")+")")
	var rows [][]string
	for _, c := range cs {
		r := []string{c.label}
		for _, arm := range arms {
			s, ok := w.summary(c.key(arm), "ns/op")
			r = append(r, fmtSummary("ns/op", s, ok))
		}
		for _, arm := range others {
			r = append(r, w.ratio(c.key(arm), c.key("pgx")).String())
		}
		var qs []string
		for _, arm := range arms {
			s, ok := w.summary(c.key(arm), "queries/op")
			qs = append(qs, fmtSummary("queries/op", s, ok))
		}
		rows = append(rows, append(r, strings.Join(qs, " / ")))
	}
	w.table(mdTable(header, 1, rows))
}

// ratio is the ns/op ratio of benchmark a to benchmark b.
func (w *doc) ratio(a, b Key) ratio {
	sa, aok := w.data.Summary(a, "ns/op")
	sb, bok := w.data.Summary(b, "ns/op")
	return newRatio(sa, sb, aok, bok)
}
