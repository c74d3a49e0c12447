package synth

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

var update = flag.Bool("update", false, "rewrite the committed synthetic files in cmd/crudbench/testdata")

const dir = "../../testdata"

// TestGoldenFiles checks that the committed synthetic files are what the
// generator writes today, so tests never run on stale or hand-edited data.
func TestGoldenFiles(t *testing.T) {
	for _, g := range GoldenFiles {
		t.Run(g.Name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, g.Options); err != nil {
				t.Fatalf("generating: %v", err)
			}
			path := filepath.Join(dir, g.Name)
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatalf("updating: %v", err)
				}
				return
			}
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("reading committed file (run go test ./internal/report/synth -update): %v", err)
			}
			if !bytes.Equal(got, buf.Bytes()) {
				t.Errorf("%s differs from what the generator writes; run go test ./internal/report/synth -update", path)
			}
		})
	}
}

// TestWriteIsValidBenchmarkFormat checks every generated line parses and
// every benchmark gets Count results with the suite's metrics.
func TestWriteIsValidBenchmarkFormat(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		benches int
	}{
		{"full suite, one run", Options{Seed: 1, Count: 3, Noise: 0.01}, len(Full())},
		{"small suite, three concatenated runs", Options{Seed: 1, Count: 3, Blocks: 3, Benches: Small()}, len(Small())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.opts); err != nil {
				t.Fatal(err)
			}
			r := benchfmt.NewReader(&buf, "synthetic")
			perBench := make(map[string]int)
			for r.Scan() {
				switch rec := r.Result().(type) {
				case *benchfmt.SyntaxError:
					t.Fatalf("syntax error: %v", rec)
				case *benchfmt.Result:
					perBench[string(rec.Name.Full())]++
					if _, ok := rec.Value("sec/op"); !ok {
						t.Errorf("%s: no ns/op", rec.Name.Full())
					}
					if q, ok := rec.Value("queries/op"); !ok || q != float64(int(q)) {
						t.Errorf("%s: queries/op = %v, %v; want a whole number", rec.Name.Full(), q, ok)
					}
					if strings.HasPrefix(string(rec.Name), "Bulk/") {
						if _, ok := rec.Value("sec/row"); !ok {
							t.Errorf("%s: Bulk without ns/row", rec.Name.Full())
						}
					}
				}
			}
			if len(perBench) != tt.benches {
				t.Errorf("got %d benchmarks, want %d", len(perBench), tt.benches)
			}
			for name, n := range perBench {
				if n != tt.opts.Count {
					t.Errorf("%s: %d results, want %d", name, n, tt.opts.Count)
				}
			}
			if a := r.Units().GetAssumption("queries/op"); a.SummaryLabel() != "exact" {
				t.Errorf("queries/op assumption = %s, want exact", a.SummaryLabel())
			}
		})
	}
}

func TestWriteRejectsZeroCount(t *testing.T) {
	if err := Write(&bytes.Buffer{}, Options{}); err == nil {
		t.Error("Write with Count 0 succeeded, want an error")
	}
}

// TestModelArmsInTable holds the cost model to the table of arms: every
// arm it prices is an arm of package arms, so Arms, which comes from the
// table, includes it.
func TestModelArmsInTable(t *testing.T) {
	for a := range armCost {
		if !slices.Contains(Arms, a) {
			t.Errorf("armCost prices %q, which is not an arm of package arms", a)
		}
	}
	if len(Arms) != len(armCost) {
		t.Errorf("Arms = %v, want the %d arms armCost prices", Arms, len(armCost))
	}
}
