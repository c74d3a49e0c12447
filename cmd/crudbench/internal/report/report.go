// Package report writes the crudbench report: a Markdown file with the
// run's environment, the paired comparison, where the time of a call
// goes, latency, throughput, allocation, bulk scalability and
// ORM-versus-raw sections, the process memory and open-loop load sections when the inputs hold those studies, and the charts it embeds, each as
// PNG and SVG. Every number is a benchmath summary of the pooled runs:
// the median with its 95% confidence interval, or the exact value of an
// assume=exact unit such as queries/op.
package report

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/crudbench/crudbench/internal/arms"
	"golang.org/x/perf/benchmath"
)

// MarkdownFile is the name of the report in the output directory.
const MarkdownFile = "report.md"

// Generate loads the result files and writes the report into dir. It
// returns the paths of the files written.
func Generate(dir string, paths ...string) ([]string, error) {
	d, err := Load(paths...)
	if err != nil {
		return nil, err
	}
	return Write(dir, d)
}

// Write writes report.md and its charts into dir, creating dir if
// needed, and returns the paths of the files written.
func Write(dir string, d *Data) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the report directory: %w", err)
	}
	w := &doc{data: d, warn: newWarnings()}
	w.build()
	var written []string
	for _, f := range w.figs {
		if err := f.save(dir); err != nil {
			return written, err
		}
		written = append(written, filepath.Join(dir, f.Name+".png"), filepath.Join(dir, f.Name+".svg"))
	}
	md := filepath.Join(dir, MarkdownFile)
	if err := os.WriteFile(md, []byte(w.md.String()), 0o644); err != nil {
		return written, fmt.Errorf("writing %s: %w", md, err)
	}
	return append(written, md), nil
}

// doc accumulates the Markdown text and the figures it refers to.
type doc struct {
	data *Data
	md   strings.Builder
	figs []figure
	warn *warnings
}

func (w *doc) build() {
	w.md.WriteString("# crudbench report\n\n")
	w.md.WriteString("What each arm's data-access library (" + libraries() + ") costs next to raw SQL for a CRUD HTTP API on PostgreSQL. " +
		"Every value is the median of the runs with the half-width of its 95% confidence interval (benchstat's summary); " +
		"whiskers on the bars show that interval.\n\n")
	w.environment()
	w.paired()
	w.whereTimeGoes()
	w.latency()
	w.throughput()
	w.allocations()
	w.bulk()
	w.ormVsRaw()
	w.memory()
	w.throughputCPUMemory()
	w.seedComparison()
	w.warnings()
}

// libraries lists the arms of package arms' table with their libraries,
// e.g. "pgx: jackc/pgx v5 (pgxpool); …".
func libraries() string {
	var out []string
	for _, name := range arms.Arms() {
		e, _ := arms.Lookup(name)
		out = append(out, name+": "+e.Library)
	}
	return strings.Join(out, "; ")
}

func (w *doc) h2(title string)     { fmt.Fprintf(&w.md, "## %s\n\n", title) }
func (w *doc) h3(title string)     { fmt.Fprintf(&w.md, "### %s\n\n", title) }
func (w *doc) para(text string)    { fmt.Fprintf(&w.md, "%s\n\n", text) }
func (w *doc) table(md string)     { fmt.Fprintf(&w.md, "%s\n", md) }
func (w *doc) missing(what string) { w.para("_No " + what + "._") }

// figure adds a chart and its Markdown reference.
func (w *doc) figure(f figure) {
	w.figs = append(w.figs, f)
	fmt.Fprintf(&w.md, "![%s](%s.png)\n\n[SVG](%s.svg)\n\n", f.Title, f.Name, f.Name)
}

// summary returns the summary of a benchmark's unit and records its
// warnings (too few samples for an interval, varying exact values).
func (w *doc) summary(k Key, unit string) (benchmath.Summary, bool) {
	s, ok := w.data.Summary(k, unit)
	for _, e := range s.Warnings {
		w.warn.add(e.Error(), k.String()+" "+unit)
	}
	return s, ok
}

// armSeries returns one bar series per arm over categories, where
// key(arm, i) is the benchmark of category i, scaled for an axis; and
// the axis unit.
func (w *doc) armSeries(unit string, n int, key func(arm string, i int) Key) ([]series, string) {
	ss, label, _ := w.armSeriesCI(unit, n, key)
	return ss, label
}

// noCI is appended to the title of a chart that lacks some intervals.
const noCI = " (some without 95% CI: too few runs)"

// armSeriesCI is armSeries that also reports whether every bar has a
// finite confidence interval.
func (w *doc) armSeriesCI(unit string, n int, key func(arm string, i int) Key) ([]series, string, bool) {
	arms := w.data.Arms()
	ss := make([]series, len(arms))
	top, complete := 0.0, true
	for a, arm := range arms {
		s := series{Label: arm, Color: armColor(arms, a), Y: nans(n), Lo: nans(n), Hi: nans(n)}
		for i := range n {
			if sum, ok := w.summary(key(arm, i), unit); ok {
				s.Y[i], s.Lo[i], s.Hi[i] = sum.Center, sum.Lo, sum.Hi
				top = math.Max(top, sum.Center)
				complete = complete && finite(sum.Lo, sum.Hi)
			}
		}
		ss[a] = s
	}
	div, label := axisScale(unit, top)
	for _, s := range ss {
		for _, v := range [][]float64{s.Y, s.Lo, s.Hi} {
			for i := range v {
				v[i] /= div
			}
		}
	}
	return ss, label, complete
}

// armTable renders a table with a row per category, labelled by one or
// more text columns, and a column per arm.
func (w *doc) armTable(header []string, cats [][]string, unit string, key func(arm string, i int) Key) string {
	arms := w.data.Arms()
	rows := make([][]string, len(cats))
	for i, c := range cats {
		rows[i] = append([]string(nil), c...)
		for _, arm := range arms {
			s, ok := w.summary(key(arm, i), unit)
			rows[i] = append(rows[i], fmtSummary(unit, s, ok))
		}
	}
	return mdTable(append(append([]string(nil), header...), arms...), len(header), rows)
}

func nans(n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = math.NaN()
	}
	return v
}

// withUnit appends an axis unit to an axis label: "latency (µs)".
func withUnit(label, unit string) string {
	if unit == "" {
		return label
	}
	return label + " (" + unit + ")"
}

// warnings groups identical messages by the benchmarks they concern.
type warnings struct {
	order []string
	where map[string][]string
}

func newWarnings() *warnings { return &warnings{where: make(map[string][]string)} }

func (w *warnings) add(msg, where string) {
	if _, ok := w.where[msg]; !ok {
		w.order = append(w.order, msg)
	}
	if where != "" && !slices.Contains(w.where[msg], where) {
		w.where[msg] = append(w.where[msg], where)
	}
}

// warnings writes the Warnings section: problems found while reading and
// summarizing, each with the benchmarks it concerns.
func (w *doc) warnings() {
	w.h2("Warnings")
	for _, msg := range w.data.Warnings {
		w.warn.add(msg, "")
	}
	if len(w.warn.order) == 0 {
		w.para("None.")
		return
	}
	for _, msg := range w.warn.order {
		where := w.warn.where[msg]
		switch {
		case len(where) == 0:
			fmt.Fprintf(&w.md, "- %s\n", msg)
		case len(where) <= 3:
			fmt.Fprintf(&w.md, "- %s: %s\n", msg, strings.Join(where, ", "))
		default:
			fmt.Fprintf(&w.md, "- %s: %s and %d more\n", msg, strings.Join(where[:3], ", "), len(where)-3)
		}
	}
}
