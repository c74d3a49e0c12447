package report

import (
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot"
)

// flatten lists the panels of a figure, skipping empty cells.
func flatten(g [][]*plot.Plot) []*plot.Plot {
	var out []*plot.Plot
	for _, r := range g {
		for _, p := range r {
			if p != nil {
				out = append(out, p)
			}
		}
	}
	return out
}

// built returns the document of the synthetic full suite, built.
func built(t *testing.T) *doc {
	t.Helper()
	d, err := Load(filepath.Join(synthetic, "full-base.txt"))
	if err != nil {
		t.Fatal(err)
	}
	w := &doc{data: d, warn: newWarnings()}
	w.build()
	return w
}

func (w *doc) fig(t *testing.T, name string) figure {
	t.Helper()
	for _, f := range w.figs {
		if f.Name == name {
			return f
		}
	}
	t.Fatalf("no figure %s", name)
	return figure{}
}

// TestSideBySidePanelsShareTheirScale checks that the panels of a figure
// that are compared with each other have one y range.
func TestSideBySidePanelsShareTheirScale(t *testing.T) {
	w := built(t)
	for _, name := range []string{"throughput-concurrency", "bulk-time", "bulk-per-row"} {
		f := w.fig(t, name)
		rows := f.Plots
		if name == "bulk-time" || name == "bulk-per-row" {
			rows = [][]*plot.Plot{flatten(f.Plots)}
		}
		for i, r := range rows {
			if len(r) < 2 {
				t.Errorf("%s row %d: %d panels, want several side by side", name, i, len(r))
				continue
			}
			for _, p := range r[1:] {
				if p.Y.Min != r[0].Y.Min || p.Y.Max != r[0].Y.Max {
					t.Errorf("%s row %d: %q has y range [%v, %v], %q [%v, %v]", name, i,
						r[0].Title.Text, r[0].Y.Min, r[0].Y.Max, p.Title.Text, p.Y.Min, p.Y.Max)
				}
			}
		}
	}
}

func TestLatencyByConcurrencyJoinsThroughput(t *testing.T) {
	f := built(t).fig(t, "throughput-concurrency")
	if len(f.Plots) != 2 {
		t.Fatalf("%d rows, want throughput then latency", len(f.Plots))
	}
	for _, p := range f.Plots[1] {
		if !strings.Contains(p.Title.Text, "p50") || !strings.Contains(p.Title.Text, "p99") {
			t.Errorf("latency panel %q does not name p50 and p99", p.Title.Text)
		}
		if !strings.Contains(p.Y.Label.Text, "log scale") || !strings.Contains(p.X.Label.Text, "log scale") {
			t.Errorf("log axes labelled %q and %q", p.X.Label.Text, p.Y.Label.Text)
		}
	}
}

func TestLogLabel(t *testing.T) {
	for in, want := range map[string]string{"latency (ms)": "latency (ms, log scale)", "concurrent clients": "concurrent clients (log scale)"} {
		if got := logLabel(in); got != want {
			t.Errorf("logLabel(%q) = %q, want %q", in, got, want)
		}
	}
}
