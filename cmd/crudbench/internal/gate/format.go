package gate

import (
	"fmt"
	"io"
	"math"
	"strings"

	"golang.org/x/perf/benchunit"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/table"
)

// columns are the table columns of both formats.
var columns = []string{"benchmark", "metric", "base", "head", "delta", "p", "n", "detectable", "verdict"}

// cells returns the printed cells of a row, in columns order.
func (row Row) cells() []string {
	class := benchunit.ClassOf(row.Unit)
	n := fmt.Sprintf("%d+%d", row.NBase, row.NHead)
	if row.NBase == row.NHead {
		n = fmt.Sprint(row.NBase)
	}
	base, head := benchunit.Scale(row.Base.Center, class), benchunit.Scale(row.Head.Center, class)
	if row.Paired { // mean request times, as sec/op
		base, head = benchunit.Scale(row.Base.Center, benchunit.Decimal)+"s", benchunit.Scale(row.Head.Center, benchunit.Decimal)+"s"
	}
	return []string{
		row.Benchmark, row.Unit, base, head,
		formatDelta(row.Delta), formatP(row), n, formatMDC(row), row.Verdict.String(),
	}
}

func formatDelta(d float64) string {
	switch {
	case math.IsInf(d, 1):
		return "+∞"
	case math.IsInf(d, -1):
		return "-∞"
	}
	return fmt.Sprintf("%+.2f%%", d*100)
}

// WriteText writes the comparison as an aligned plain-text table followed
// by lists of regressions, missing benchmarks and notes, and ends with
// the verdict line.
func (r *Report) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "crudbench gate: %s\n\n", r.header())
	rows := [][]string{columns}
	for _, row := range r.Rows {
		rows = append(rows, row.cells())
	}
	fmt.Fprint(ew, table.Text(rows, numeric))
	r.writeLists(ew, true, func(title string, items []string) {
		fmt.Fprintf(ew, "\n%s:\n", title)
		for _, it := range items {
			fmt.Fprintf(ew, "  %s\n", it)
		}
	})
	fmt.Fprintf(ew, "\n%s\n", r.Verdict())
	if ew.err != nil {
		return fmt.Errorf("writing the gate table: %w", ew.err)
	}
	return nil
}

// WriteMarkdown writes the comparison as GitHub-flavoured Markdown, for
// a job summary: the verdict first, the regressions, every comparison in
// a collapsed table, notes, and the verdict again at the end.
func (r *Report) WriteMarkdown(w io.Writer) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "## crudbench gate: %s\n\n**%s**\n\n", r.Status(), mdEscape(r.Verdict()))
	fmt.Fprintf(ew, "%s.\n", mdEscape(r.header()))
	var regressions []Row
	for _, row := range r.Rows {
		if row.Verdict == Regression {
			regressions = append(regressions, row)
		}
	}
	if len(regressions) > 0 {
		fmt.Fprintf(ew, "\n### Regressions\n\n")
		writeMarkdownTable(ew, regressions)
	}
	fmt.Fprintf(ew, "\n<details><summary>All %d comparisons</summary>\n\n", len(r.Rows))
	writeMarkdownTable(ew, r.Rows)
	fmt.Fprintf(ew, "\n</details>\n")
	r.writeLists(ew, false, func(title string, items []string) {
		fmt.Fprintf(ew, "\n### %s\n\n", strings.ToUpper(title[:1])+title[1:])
		for _, it := range items {
			fmt.Fprintf(ew, "- %s\n", mdEscape(it))
		}
	})
	fmt.Fprintf(ew, "\n**%s**\n", mdEscape(r.Verdict()))
	if ew.err != nil {
		return fmt.Errorf("writing the gate Markdown: %w", ew.err)
	}
	return nil
}

func writeMarkdownTable(w io.Writer, rows []Row) {
	cells := make([][]string, len(rows))
	for i, row := range rows {
		cells[i] = row.cells()
	}
	fmt.Fprint(w, table.Markdown(columns, numeric, cells, func(c string) string {
		if c == Regression.String() { // only a verdict is upper-case
			return "**" + c + "**"
		}
		return mdEscape(c)
	}))
}

// writeLists calls list for each non-empty list of the report; the list
// of regressions only if withRegressions.
func (r *Report) writeLists(w io.Writer, withRegressions bool, list func(title string, items []string)) {
	var regs []string
	for _, row := range r.Rows {
		if row.Verdict == Regression && withRegressions {
			var p string
			switch {
			case row.Exact:
				p = "exact"
			case row.Spread:
				p = "head's best run beyond base's worst"
			default:
				p = fmt.Sprintf("p=%.3g, Holm %.3g", row.P, row.PAdj)
			}
			regs = append(regs, fmt.Sprintf("%s %s %s (%s)", row.Benchmark, row.Unit, formatDelta(row.Delta), p))
		}
	}
	for _, l := range []struct {
		title string
		items []string
	}{
		{"regressions", regs},
		{"missing from head (in base only)", r.MissingBenchmarks},
		{"metrics missing from head", r.MissingMetrics},
		{"new in head (not compared)", r.NewBenchmarks},
		{"notes", r.Notes},
	} {
		if len(l.items) > 0 {
			list(l.title, l.items)
		}
	}
}

// numeric marks the columns that are right-aligned in text output.
var numeric = []bool{false, false, true, true, true, true, true, true, false}

// header describes the inputs and the rules of the comparison.
func (r *Report) header() string {
	var parts []string
	if r.Pair != "" {
		parts = append(parts, fmt.Sprintf("paired ratios %s (one-sided t test on log head/base > 1+%s; base and head show mean request times)",
			r.Pair, FormatPercent(r.Options.PairThreshold)))
	}
	if r.Base != "" {
		parts = append(parts, fmt.Sprintf("base %s, head %s (medians, Mann–Whitney U test, threshold %s; allocs/op and B/op by their spreads: a regression when head's best run is worse than base's worst by more than the threshold; exact units compared exactly)",
			r.Base, r.Head, FormatPercent(r.Options.Threshold)))
	}
	return strings.Join(parts, "; ") + fmt.Sprintf("; alpha %v over all p-values by Holm's method (p shown raw→adjusted); detectable: smallest worsening caught with power 0.8", r.Options.Alpha)
}

// mdEscape keeps text from breaking a Markdown table or emphasis.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "<", "&lt;").Replace(s)
}

// errWriter remembers the first write error so callers check once.
type errWriter struct {
	w   io.Writer
	err error
}

// Write writes p unless an earlier write failed.
func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
