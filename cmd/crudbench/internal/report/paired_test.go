package report

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gonum.org/v1/plot"
)

// TestPairedSection checks the paired section's ratios: the geometric
// mean of the runs' ratios, its interval, the CV, and the floor and ent
// update tables, against values worked out by hand.
func TestPairedSection(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("goos: linux\nUnit ent/pgx better=lower\nUnit pgx-queries/op assume=exact\nUnit ent-queries/op assume=exact\nUnit ent-lean-queries/op assume=exact\nUnit floor-queries/op assume=exact\n")
	for _, r := range []float64{1.98, 2.00, 2.02, 2.00} {
		fmt.Fprintf(&sb, "BenchmarkPaired/op=update-2 300 1000000 ns/op 200000 pgx-ns/op %.0f ent-ns/op 300000 ent-lean-ns/op 160000 floor-ns/op "+
			"1 pgx-queries/op 4 ent-queries/op 2 ent-lean-queries/op 1 floor-queries/op %.4f ent/pgx 1.1 sql/pgx 1.5 ent-lean/pgx 1.25 pgx/floor 1.3333 ent/ent-lean\n",
			200000*r, r)
		fmt.Fprintf(&sb, "BenchmarkPaired/op=bulk-read/n=10-2 300 1000000 ns/op 300000 pgx-ns/op 1.2 ent/pgx 1.05 sql/pgx\n")
	}
	_, md := generateFrom(t, sb.String())
	wantInReport(t, md,
		// ent/pgx 1.98, 2.00, 2.02, 2.00: geometric mean 2.000, t interval ±1.3 %, CV 0.8 %.
		"| update | 4 | 200.0µs (CV 0.0 %) | – | 400.0µs (CV 0.8 %) |",
		"| update | 4 | 1.100× [1.100, 1.100] | 0.0 % | 2.000× [1.974, 2.026] | 0.8 % |",
		"| bulk-read, n=10 | 4 | 1.050× [1.050, 1.050] | 0.0 % | 1.200× [1.200, 1.200] | 0.0 % |",
		"| update | 4 | 160.0µs (CV 0.0 %) | 1.250× [1.250, 1.250] | 0.0 % |",
		"| update | 4 | 200.0µs (CV 0.0 %) | 400.0µs (CV 0.8 %) | 300.0µs (CV 0.0 %) | 2.000× [1.974, 2.026] | 0.8 % | 1.500× [1.500, 1.500] | 0.0 % | 1.333× [1.333, 1.333] | 0.0 % |",
		"| update | 1 | – | 4 | 1 | 2 |",
		"![Paired latency relative to pgx](paired-ratio.png)",
	)
	if t.Failed() {
		i := strings.Index(md, "## Paired")
		t.Logf("paired section:\n%s", md[i:min(len(md), i+4000)])
	}
}

// pairedRuns returns four runs of BenchmarkPaired on read and bulk-update:
// a control around ctrl (on read), sql/pgx around 1.004 and ent/pgx
// around 1.30 on read, ent/pgx around 10 on the bulk update.
func pairedRuns(ctrl float64) string {
	var sb strings.Builder
	sb.WriteString("goos: linux\npaired-order: shuffle\npaired-seed: 42\n")
	for i, d := range []float64{-0.002, 0.002, 0, 0.001} {
		fmt.Fprintf(&sb, "BenchmarkPaired/op=read-2 300 1000000 ns/op 200000 pgx-ns/op 200000 pgx'-ns/op 1 pgx-queries/op 1 pgx'-queries/op %.4f pgx'/pgx %.4f pgx'/pgx-p50 %.4f sql/pgx %.4f ent/pgx\n",
			ctrl+d*float64(1+i%2), ctrl+d, 1.004+d, 1.30+d)
		fmt.Fprintf(&sb, "BenchmarkPaired/op=bulk-update/n=100-2 30 1000000 ns/op 900000 pgx-ns/op %.4f pgx'/pgx %.4f ent/pgx 1.2 sql/pgx\n", 1+d, 10+10*d)
	}
	return sb.String()
}

// TestPairedControl: the control comes first in the paired section, with
// its interval; a leaf whose control strays beyond 1 % is flagged; a ratio
// closer to 1 than the control's spread is marked not distinguishable.
func TestPairedControl(t *testing.T) {
	_, md := generateFrom(t, pairedRuns(1.0))
	i, j := strings.Index(md, "### The control: pgx' against pgx"), strings.Index(md, "### Arms relative to pgx")
	if i < 0 || j < i {
		t.Fatalf("the control's table is not first in the paired section (at %d, the arms at %d)", i, j)
	}
	wantInReport(t, md, "| read | 4 | 1.001× [", "within ±1 %", "paired-seed | 42", "| benchmark | pgx | sql | ent | pgx' | floor |")
	// sql/pgx 1.004 on read lies within the control's spread; ent/pgx does not.
	if !strings.Contains(md, "1.004× [") || !regexp.MustCompile(`1\.004× \[[0-9., ]+\] ~`).MatchString(md) {
		t.Errorf("sql/pgx on read, within the control's spread, is not marked ~")
	}
	if regexp.MustCompile(`1\.300× \[[0-9., ]+\] ~`).MatchString(md) {
		t.Errorf("ent/pgx 1.30 on read is marked not distinguishable")
	}
	if strings.Contains(md, "harness bias may exceed") {
		t.Errorf("a control within 1 %% is flagged")
	}
	_, md = generateFrom(t, pairedRuns(1.03))
	wantInReport(t, md, "this leaf's harness bias may exceed 1 %", "1.030× [")
	// With the control 3 % off, sql/pgx 1.004 and ent/pgx 1.30 on read:
	// only ent's stands clear of the control's reach.
	if !regexp.MustCompile(`1\.004× \[[0-9., ]+\] ~`).MatchString(md) || regexp.MustCompile(`1\.300× \[[0-9., ]+\] ~`).MatchString(md) {
		t.Errorf("with a 3 %% control, want sql/pgx 1.004 marked ~ and ent/pgx 1.30 not")
	}
	_, md = generateFrom(t, strings.ReplaceAll(strings.ReplaceAll(pairedRuns(1), " pgx'/pgx-p50", " x"), " pgx'/pgx", " y"))
	wantInReport(t, md, "These results have no control")
}

// TestPairedControlPerEstimator: each estimator has its control; a leaf
// is flagged naming the estimators whose control strays, and a ratio is
// marked ~ against the control of its own estimator.
func TestPairedControlPerEstimator(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("goos: linux\n")
	for _, d := range []float64{-0.002, 0.002, 0, 0.001} {
		fmt.Fprintf(&sb, "BenchmarkPaired/op=read-2 300 1000000 ns/op 200000 pgx-ns/op 200000 pgx'-ns/op "+
			"%.4f pgx'/pgx %.4f pgx'/pgx-p50 %.4f pgx'/pgx-round 1.02 sql/pgx 1.02 sql/pgx-p50 %.4f sql/pgx-round\n",
			1.05+d, 1.0+d, 1.0+d/2, 1.03+d)
	}
	_, md := generateFrom(t, sb.String())
	wantInReport(t, md,
		"**this leaf's harness bias may exceed 1 %** (ratio of means)",
		"by the ratio of means: this leaf's harness bias may exceed 1 %",
		"| benchmark | runs | pgx'/pgx [95% CI] | CV | spread | pgx'/pgx-p50 [95% CI] | CV | spread | pgx'/pgx-round [95% CI] | CV | spread | control |")
	for _, c := range []struct {
		re   string
		want bool
	}{
		{`1\.020× \[[0-9., ]+\] ~ \| 0\.0 % \|`, true}, // sql/pgx 1.02, within the means control's 5 %
		{`1\.030× \[[0-9., ]+\] \|`, true},             // sql/pgx-round 1.03, beyond the round control's spread
		{`1\.030× \[[0-9., ]+\] ~`, false},
	} {
		if got := regexp.MustCompile(c.re).MatchString(md); got != c.want {
			t.Errorf("%s in the report: %v, want %v", c.re, got, c.want)
		}
	}
	if strings.Contains(md, "(ratio of means, ") {
		t.Errorf("a leaf is flagged for more estimators than its means control")
	}
}

// TestPairedChartReadable: the ratio chart draws single-row leaves and
// bulk in panels of their own, on log axes, so that a single-row ratio of
// 1.3 is not squashed by a bulk ratio of 10.
func TestPairedChartReadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bench.txt")
	if err := os.WriteFile(path, []byte(pairedRuns(1)), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	w := &doc{data: d, warn: newWarnings()}
	w.build()
	f := w.fig(t, "paired-ratio")
	panels := flatten(f.Plots)
	if len(panels) != 2 {
		t.Fatalf("%d panels, want single row and bulk", len(panels))
	}
	for i, p := range panels {
		if _, ok := p.Y.Scale.(plot.LogScale); !ok || !strings.Contains(p.Y.Label.Text, "log scale") {
			t.Errorf("panel %q: y axis not on a log scale, labelled so", p.Title.Text)
		}
		if !(p.Y.Min < 1 && p.Y.Max > 1) {
			t.Errorf("panel %q: y range [%v, %v] does not hold 1", p.Title.Text, p.Y.Min, p.Y.Max)
		}
		labels := 0
		for _, tk := range p.Y.Tick.Marker.Ticks(p.Y.Min, p.Y.Max) {
			if tk.Label != "" {
				labels++
			}
		}
		if labels < 3 {
			t.Errorf("panel %q: %d labelled ticks on [%v, %v], want several", p.Title.Text, labels, p.Y.Min, p.Y.Max)
		}
		if i == 0 && p.Y.Max > 3 {
			t.Errorf("single-row panel reaches %v: the bulk ratio of 10 squashes ratios near 1", p.Y.Max)
		}
		if i == 1 && p.Y.Max < 10 {
			t.Errorf("bulk panel tops at %v, below its ratio of 10", p.Y.Max)
		}
	}
	dir := t.TempDir()
	if err := f.save(dir); err != nil {
		t.Fatal(err)
	}
	checkPNG(t, filepath.Join(dir, "paired-ratio.png"))
}

// TestPairedCVTarget: a ratio whose CV across runs exceeds its leaf's
// precision target is in bold and warned of, with its estimator; the same
// CV on a bulk leaf, whose target is wider, is not.
func TestPairedCVTarget(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("goos: linux\n")
	// bun/pgx-round 1.30 × (1 ± 0.025): CV 2.9 %, above 2 % and within 3 %.
	for _, d := range []float64{-0.025, 0.025, -0.025, 0.025} {
		fmt.Fprintf(&sb, "BenchmarkPaired/op=read-2 300 1000000 ns/op 200000 pgx-ns/op 220000 ent-ns/op 260000 bun-ns/op 1.10 ent/pgx-round %.4f bun/pgx-round\n", 1.30*(1+d))
		fmt.Fprintf(&sb, "BenchmarkPaired/op=bulk-update/n=100-2 30 1000000 ns/op 900000 pgx-ns/op 990000 ent-ns/op 1170000 bun-ns/op 1.10 ent/pgx-round %.4f bun/pgx-round\n", 1.30*(1+d))
	}
	_, md := generateFrom(t, sb.String())
	wantInReport(t, md,
		"a CV across runs above the precision target (2 % for single-row and relation leaves, 3 % for bulk) by the median of the rounds' ratios: read bun/pgx-round",
	)
	if !regexp.MustCompile(`\| read \| 4 \| [^\n]*\| \*\*2\.[0-9] %\*\* \|`).MatchString(md) {
		t.Errorf("bun/pgx-round's CV of 2.9 %% on read is not in bold")
	}
	if regexp.MustCompile(`\| bulk-update, n=100 \| 4 \| [^\n]*\*\*`).MatchString(md) {
		t.Errorf("a CV of 2.9 %% on a bulk leaf, within its 3 %% target, is in bold")
	}
	if strings.Contains(md, "bulk-update, n=100 bun/pgx-round") {
		t.Errorf("a bulk ratio within its target is warned of")
	}
	// ent/pgx-round 1.10 × (1 ± 0.0176): CV 2.03 %, shown as 2.0 %, meets 2 %.
	sb.Reset()
	sb.WriteString("goos: linux\n")
	for _, d := range []float64{-0.0176, 0.0176, -0.0176, 0.0176} {
		fmt.Fprintf(&sb, "BenchmarkPaired/op=read-2 300 1000000 ns/op 200000 pgx-ns/op 220000 ent-ns/op %.5f ent/pgx-round\n", 1.10*(1+d))
	}
	_, md = generateFrom(t, sb.String())
	if !strings.Contains(md, "| 2.0 % |") || strings.Contains(md, "**2.0 %**") || strings.Contains(md, "precision target (") {
		t.Errorf("a CV shown as 2.0 %% is marked as above a 2 %% target")
	}
}

// TestPairedFollowsSpeed: a ratio above its CV target whose runs rise
// with pgx's own median time is warned of as following the machine's
// speed, with its correlation; one above its target whose runs do not
// follow that time is not.
func TestPairedFollowsSpeed(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("goos: linux\n")
	// Six runs as pgx's median goes from 200 to 250 µs: bun/pgx-round
	// rises with it (CV 4 %, r = +1), ent/pgx-round alternates ±3 %.
	for i := range 6 {
		fmt.Fprintf(&sb, "BenchmarkPaired/op=read-2 300 1000000 ns/op 200000 pgx-ns/op %d pgx-p50-ns/op 220000 ent-ns/op 260000 bun-ns/op %.4f bun/pgx-round %.4f ent/pgx-round\n",
			200000+10000*i, 1.24+0.03*float64(i), 1.10*(1+0.03*float64(1-2*(i%2))))
	}
	_, md := generateFrom(t, sb.String())
	wantInReport(t, md,
		"a CV across runs above the precision target (2 % for single-row and relation leaves, 3 % for bulk) by the median of the rounds' ratios: read ",
		"follows the machine's speed",
		"read bun/pgx-round (r = +1.00 with pgx-p50-ns/op, whose CV is 8.",
	)
	if strings.Contains(md, "read ent/pgx-round (r =") {
		t.Errorf("ent/pgx-round, which does not follow pgx's time, is warned of as following the machine's speed")
	}
}

// TestPairedProcesses: two input files (processes) whose runs of
// bun/pgx-round give intervals that do not meet are warned of with both
// intervals; ent/pgx-round, whose two files agree, is not, and neither is
// anything when one file holds every run.
func TestPairedProcesses(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for f, bun := range []float64{1.40, 1.50} {
		var sb strings.Builder
		sb.WriteString("goos: linux\n")
		for _, d := range []float64{-0.004, 0, 0.004, -0.002, 0.002} {
			fmt.Fprintf(&sb, "BenchmarkPaired/op=read-2 300 1000000 ns/op 200000 pgx-ns/op 220000 ent-ns/op 280000 bun-ns/op %.4f ent/pgx-round %.4f bun/pgx-round\n",
				1.10+d, bun+d)
		}
		paths = append(paths, filepath.Join(dir, fmt.Sprintf("p%d.txt", f)))
		if err := os.WriteFile(paths[f], []byte(sb.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	if _, err := Generate(out, paths...); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(out, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	wantInReport(t, md,
		"two processes (input files) whose intervals do not meet, by the median of the rounds' ratios",
		"read bun/pgx-round (1.400 [1.396, 1.404] in p0.txt, 1.500 [1.496, 1.504] in p1.txt)",
	)
	if strings.Contains(md, "read ent/pgx-round (") {
		t.Errorf("ent/pgx-round, whose two files agree, is warned of")
	}
	// The same ten runs from one file: nothing to compare.
	both := filepath.Join(dir, "both.txt")
	var all []byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if err := os.WriteFile(both, all, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(out, both); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	if b, err = os.ReadFile(filepath.Join(out, MarkdownFile)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "two processes") {
		t.Errorf("one input file is warned of as two processes")
	}
}

// TestPairedBelowFloor checks the floor's check: sqlc below its floor by
// 2 %, its interval below 1, against a control within ±0.3 %, is marked
// and warned of; pgx at 0.998, within the control's reach, is not, and
// neither is anything in a leaf without a control.
func TestPairedBelowFloor(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("goos: linux\n")
	for _, d := range []float64{-0.002, 0.002, -0.002, 0.002} {
		fmt.Fprintf(&sb, "BenchmarkPaired/op=delete-2 1000 1000000 ns/op 200000 pgx-ns/op 200000 pgx'-ns/op 197000 sqlc-ns/op 201000 floor-ns/op %.4f pgx'/pgx-round %.4f pgx/floor-round %.4f sqlc/floor-round\n", 1+d, 0.998+d, 0.98+d)
		fmt.Fprintf(&sb, "BenchmarkPaired/op=read-2 1000 1000000 ns/op 200000 pgx-ns/op 197000 sqlc-ns/op 201000 floor-ns/op %.4f sqlc/floor-round\n", 0.98+d)
	}
	_, md := generateFrom(t, sb.String())
	wantInReport(t, md,
		"a target faster than its composed floor beyond the control's spread by the median of the rounds' ratios (marked \"<\"): the floor did not bound it in these runs: delete sqlc/floor-round",
	)
	if !regexp.MustCompile(`\| delete \| 4 \| [^\n]*0\.980× \[[0-9., ]*\] < \|`).MatchString(md) {
		t.Errorf("sqlc/floor-round of 0.980 on delete is not marked %q", "<")
	}
	for _, wrong := range []string{"delete pgx/floor-round", "read sqlc/floor-round"} {
		if strings.Contains(md, wrong) {
			t.Errorf("the report warns of %q as below its floor", wrong)
		}
	}
	if regexp.MustCompile(`0\.998× \[[0-9., ]*\] [~ ]*<|\| read \|[^\n]*<`).MatchString(md) {
		t.Errorf("pgx/floor-round within the control's reach, or a leaf without a control, is marked %q", "<")
	}
}
