package report

import (
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	_ "image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const (
	synthetic        = "../../testdata"      // synthetic result files
	publishedResults = "../../../../results" // the published runs, one folder each
)

// inputs are the result sets every report test runs over: the synthetic
// full suite and a run with too few samples.
func inputs(t *testing.T) map[string][]string {
	t.Helper()
	in := map[string][]string{
		"full synthetic suite":          {filepath.Join(synthetic, "full-base.txt")},
		"two files pooled":              {filepath.Join(synthetic, "full-base.txt"), filepath.Join(synthetic, "full-head.txt")},
		"too few samples for intervals": {filepath.Join(synthetic, "gate-few-base.txt")},
	}
	return in
}

func TestGenerateWritesValidFiles(t *testing.T) {
	for name, paths := range inputs(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			written, err := Generate(dir, paths...)
			if err != nil {
				t.Fatalf("Generate: %v", err)
			}
			md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
			if err != nil {
				t.Fatalf("reading report: %v", err)
			}
			for _, section := range []string{"## Environment", "## Latency", "## Throughput", "## Allocations", "## Bulk scalability", "## ORM vs raw SQL", "## Warnings"} {
				if !strings.Contains(string(md), section+"\n") {
					t.Errorf("report.md lacks section %q", section)
				}
			}
			// Every chart the Markdown refers to exists and is valid.
			refs := regexp.MustCompile(`\]\(([^)]+\.(png|svg))\)`).FindAllStringSubmatch(string(md), -1)
			if len(refs) == 0 {
				t.Fatal("report.md embeds no chart")
			}
			for _, ref := range refs {
				path := filepath.Join(dir, ref[1])
				switch ref[2] {
				case "png":
					checkPNG(t, path)
				case "svg":
					checkSVG(t, path)
				}
			}
			if len(written) != len(refs)+1 {
				t.Errorf("Generate reported %d files, the report refers to %d charts plus itself", len(written), len(refs))
			}
		})
	}
}

// openChart opens a chart, or reports it missing and returns nil.
func openChart(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("chart missing: %v", err)
		return nil
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// generateFrom writes text as a file of benchmark results, runs Generate
// on it into a fresh directory, and returns that directory and the
// report's Markdown.
func generateFrom(t *testing.T, text string) (dir, md string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bench.txt")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	if _, err := Generate(dir, path); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatalf("reading report: %v", err)
	}
	return dir, string(b)
}

// wantInReport fails t for each of wants that md lacks.
func wantInReport(t *testing.T, md string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func checkPNG(t *testing.T, path string) {
	t.Helper()
	f := openChart(t, path)
	if f == nil {
		return
	}
	img, format, err := image.Decode(f)
	if err != nil {
		t.Errorf("%s is not a valid image: %v", path, err)
		return
	}
	if b := img.Bounds(); format != "png" || b.Dx() < 600 || b.Dy() < 300 {
		t.Errorf("%s: %s image of %v, want a PNG at least 600x300", path, format, b)
	}
}

func checkSVG(t *testing.T, path string) {
	t.Helper()
	f := openChart(t, path)
	if f == nil {
		return
	}
	dec := xml.NewDecoder(f)
	root := ""
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Errorf("%s is not valid XML: %v", path, err)
			return
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Errorf("%s: root element %q, want svg", path, root)
	}
}

// known writes a small results file whose summaries are easy to work
// out by hand: six runs, pgx and ent only.
func known(t *testing.T) string {
	t.Helper()
	var sb strings.Builder
	sb.WriteString("goos: linux\npostgres: 15.18\npool: 16\nUnit req/s better=higher\nUnit queries/op assume=exact\n")
	line := func(name string, ns, queries float64) {
		fmt.Fprintf(&sb, "Benchmark%s-2 1000 %.0f ns/op %.0f p95-ns/op %.0f req/s %.0f queries/op 1024 B/op 10 allocs/op\n", name, ns, ns*2, 1e9/ns, queries)
	}
	for _, ns := range []float64{99000, 100000, 100000, 101000, 102000, 98000} { // median 100µs, CI [98, 102]
		line("CRUD/arm=pgx/op=read", ns, 1)
	}
	for range 6 {
		line("CRUD/arm=ent/op=read", 150000, 2)
		line("Floor/op=http-noop", 20000, 0)
		line("Floor/op=select", 60000, 1)
	}
	path := filepath.Join(t.TempDir(), "known.txt")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestMarkdownHoldsTheRightValues(t *testing.T) {
	dir := t.TempDir()
	if _, err := Generate(dir, known(t)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	tests := []struct{ what, want string }{
		{"environment", "| postgres | 15.18 |"},
		{"run count", "4 benchmarks, 6 runs each"},
		{"mean latency: median with CI half-width, arms side by side", "| read | 100.0µs ± 2% | 150.0µs ± 0% |"},
		{"p95 latency", "| read | 200.0µs ± 2% | 300.0µs ± 0% |"},
		{"throughput", "| read | 10.00k ± 2% | 6.667k ± 0% |"},
		{"bytes per op", "| read | 1.000KiB ± 0% | 1.000KiB ± 0% |"},
		{"ORM ratio with interval and exact queries", "| read | 100.0µs ± 2% | 150.0µs ± 0% | 1.50× [1.47, 1.53] | 1 / 2 |"},
		{"missing families are said to be missing", "_No BenchmarkBulk results._"},
	}
	for _, tt := range tests {
		t.Run(tt.what, func(t *testing.T) {
			if !strings.Contains(md, tt.want) {
				t.Errorf("report.md lacks %q", tt.want)
			}
		})
	}
	if t.Failed() {
		t.Logf("report.md:\n%s", md)
	}
}

func TestTooFewSamplesAreWarnedAbout(t *testing.T) {
	dir := t.TempDir()
	if _, err := Generate(dir, filepath.Join(synthetic, "gate-few-base.txt")); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	warnings := string(b[strings.Index(string(b), "## Warnings"):])
	for _, want := range []string{"need >= 6 samples for confidence interval at level 0.95", "ratios have no confidence interval"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("Warnings section lacks %q:\n%s", want, warnings)
		}
	}
	if !strings.Contains(string(b), "[no interval]") {
		t.Error("ratios without an interval are not marked [no interval]")
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name    string
		paths   []string
		wantErr string
	}{
		{"no input", nil, "no input files"},
		{"missing file", []string{filepath.Join(synthetic, "no-such.txt")}, "no such file"},
		{"unparsable file", []string{filepath.Join(synthetic, "gate-garbled.txt")}, "missing units"},
		{"no results", []string{filepath.Join(synthetic, "README.md")}, "no benchmark results"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(t.TempDir(), tt.paths...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

// oneRun writes the configuration lines of path and the first result line
// of each benchmark: one run of every benchmark the file holds.
func oneRun(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	seen := map[string]bool{}
	for l := range strings.Lines(string(b)) {
		if name, _, ok := strings.Cut(l, " "); ok && strings.HasPrefix(name, "Benchmark") {
			if seen[name] {
				continue
			}
			seen[name] = true
		}
		out.WriteString(l)
	}
	one := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(one, []byte(out.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return one
}

// TestOneRunHasNoInfOrNaN reports one run of every benchmark of every
// published result file (each family: paired, breakdown, the per-arm
// families, memory, load) and of the synthetic suite: no cell may print
// an infinity or a NaN where an interval cannot be had.
func TestOneRunHasNoInfOrNaN(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(publishedResults, "*", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if raceOn { // the published runs are the same without the detector
		t.Log("the race detector is on: the synthetic suite only")
		paths = nil
	}
	paths = append(paths, filepath.Join(synthetic, "full-base.txt"))
	bad := regexp.MustCompile(`[-+]?Inf\b|\bNaN\b`)
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			dir := t.TempDir()
			if _, err := Generate(dir, oneRun(t, p)); err != nil {
				t.Fatal(err)
			}
			md, err := os.ReadFile(filepath.Join(dir, MarkdownFile))
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range strings.Split(string(md), "\n") {
				if bad.MatchString(l) {
					t.Errorf("report.md line %d: %s", i+1, l)
				}
			}
		})
	}
}
