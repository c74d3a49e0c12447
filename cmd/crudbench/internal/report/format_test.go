package report

import (
	"math"
	"strings"
	"testing"

	"golang.org/x/perf/benchmath"
	"gonum.org/v1/plot"
)

func TestFmtValue(t *testing.T) {
	tests := []struct {
		unit string
		v    float64
		want string
	}{
		{"ns/op", 150000, "150.0µs"},
		{"p99-ns/op", 1264000, "1.264ms"},
		{"ns/row", 2653, "2.653µs"},
		{"B/op", 9000, "8.789KiB"},
		{"req/s", 6600, "6.600k"},
		{"allocs/op", 110, "110.0"},
		{"ns/op", math.NaN(), "–"},
	}
	for _, tt := range tests {
		t.Run(tt.unit, func(t *testing.T) {
			if got := fmtValue(tt.unit, tt.v); got != tt.want {
				t.Errorf("fmtValue(%q, %v) = %q, want %q", tt.unit, tt.v, got, tt.want)
			}
		})
	}
}

func TestFmtSummaryOfExactValues(t *testing.T) {
	tests := []struct {
		name string
		s    benchmath.Summary
		want string
	}{
		{"constant", benchmath.Summary{Center: 2, Lo: 2, Hi: 2, Confidence: 1}, "2"},
		{"varying", benchmath.Summary{Center: 2, Lo: 1, Hi: 3, Confidence: 1}, "2 (varies 1–3)"},
		{"one sample", benchmath.Summary{Center: 2, Lo: math.Inf(-1), Hi: math.Inf(1), Confidence: 1}, "2.000 (no interval)"},
		{"median", benchmath.Summary{Center: 100000, Lo: 98000, Hi: 102000, Confidence: 0.96}, "100.0µs ± 2%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unit := "queries/op"
			if tt.name == "median" {
				unit = "ns/op"
			}
			if got := fmtSummary(unit, tt.s, true); got != tt.want {
				t.Errorf("fmtSummary = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewRatio(t *testing.T) {
	a := benchmath.Summary{Center: 150, Lo: 140, Hi: 160}
	b := benchmath.Summary{Center: 100, Lo: 80, Hi: 125}
	tests := []struct {
		name string
		r    ratio
		want string
	}{
		{"interval from both intervals", newRatio(a, b, true, true), "1.50× [1.12, 2.00]"},
		{"unbounded interval", newRatio(a, benchmath.Summary{Center: 100, Lo: math.Inf(-1), Hi: math.Inf(1)}, true, true), "1.50× [no interval]"},
		{"missing benchmark", newRatio(a, b, true, false), "–"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.r.String(); got != tt.want {
				t.Errorf("ratio = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAxisScale(t *testing.T) {
	tests := []struct {
		unit      string
		max       float64
		div       float64
		wantLabel string
	}{
		{"ns/op", 574000, 1e3, "µs"},
		{"ns/op", 7.7e6, 1e6, "ms"},
		{"ns/op", 500, 1, "ns"},
		{"B/op", 66000, 1024, "KiB"},
		{"req/s", 9300, 1, ""},
		{"req/s", 93000, 1e3, "thousands"},
	}
	for _, tt := range tests {
		t.Run(tt.unit+"/"+tt.wantLabel, func(t *testing.T) {
			div, label := axisScale(tt.unit, tt.max)
			if div != tt.div || label != tt.wantLabel {
				t.Errorf("axisScale(%q, %v) = %v, %q; want %v, %q", tt.unit, tt.max, div, label, tt.div, tt.wantLabel)
			}
		})
	}
}

// labels returns the labelled ticks of a ticker.
func tickLabels(ticks []plot.Tick) string {
	var ls []string
	for _, t := range ticks {
		if t.Label != "" {
			ls = append(ls, t.Label)
		}
	}
	return strings.Join(ls, " ")
}

func TestTicks(t *testing.T) {
	tests := []struct {
		name     string
		ticker   plot.Ticker
		min, max float64
		want     string
	}{
		{"linear, whole numbers without decimals", niceTicks{}, 0, 750, "0 200 400 600"},
		{"linear, small ratios", niceTicks{}, 0, 1.6, "0.0 0.5 1.0 1.5"},
		{"linear, a decade step", niceTicks{}, 0, 12000, "0 2000 4000 6000 8000 10000 12000"},
		{"log within two decades labels 1-2-5", logTicks{}, 2, 60, "2 5 10 20 50"},
		{"log over many decades labels powers of ten", logTicks{}, 1, 1e5, "1 10 100 1000 10000 100000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tickLabels(tt.ticker.Ticks(tt.min, tt.max)); got != tt.want {
				t.Errorf("Ticks(%v, %v) labels %q, want %q", tt.min, tt.max, got, tt.want)
			}
		})
	}
}
