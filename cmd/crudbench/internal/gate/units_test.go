package gate

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"golang.org/x/perf/benchmath"
)

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
		wantErr bool
	}{
		{"5%", 0.05, false}, {"5", 0.05, false}, {"0.5%", 0.005, false}, {"0", 0, false},
		{"-1%", 0, true}, {"five", 0, true}, {"NaN", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseThreshold(tt.in)
			if (err != nil) != tt.wantErr || math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("ParseThreshold(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
	if got := FormatPercent(0.05); got != "5%" {
		t.Errorf("FormatPercent(0.05) = %q, want 5%%", got)
	}
}

// TestMinSamplesAgreesWithBenchmath checks MinSamples against the
// "need >= N samples" warning benchmath itself gives.
func TestMinSamplesAgreesWithBenchmath(t *testing.T) {
	for _, alpha := range []float64{0.05, 0.01, 0.001} {
		t.Run(fmt.Sprint(alpha), func(t *testing.T) {
			th := &benchmath.Thresholds{CompareAlpha: alpha}
			cmp := benchmath.AssumeNothing.Compare(benchmath.NewSample([]float64{1, 2}, th), benchmath.NewSample([]float64{3, 4}, th))
			want := fmt.Sprintf("need >= %d samples", MinSamples(alpha))
			if len(cmp.Warnings) == 0 || !strings.Contains(cmp.Warnings[0].Error(), want) {
				t.Errorf("benchmath warns %v, MinSamples says %q", cmp.Warnings, want)
			}
		})
	}
	if !canDecide(2, 10, 0.05) || canDecide(1, 10, 0.05) {
		t.Error("canDecide: 2+10 samples can reach p < 0.05 and 1+10 cannot")
	}
}

func TestDecide(t *testing.T) {
	sum := func(c float64) benchmath.Summary { return benchmath.Summary{Center: c} }
	tests := []struct {
		name string
		row  Row
		want Verdict
	}{
		{"exact increase of a lower-is-better unit", Row{Exact: true, Better: -1, Base: sum(1), Head: sum(2)}, Regression},
		{"exact decrease of a lower-is-better unit", Row{Exact: true, Better: -1, Base: sum(2), Head: sum(1)}, Improvement},
		{"exact unchanged", Row{Exact: true, Better: -1, Base: sum(2), Head: sum(2)}, Same},
		{"exact change of unknown direction", Row{Exact: true, Base: sum(2), Head: sum(3)}, Changed},
		{"significant slowdown beyond threshold", Row{Better: -1, Base: sum(100), Head: sum(110), Delta: 0.1, P: 0.001, NBase: 10, NHead: 10}, Regression},
		{"significant drop of higher-is-better", Row{Better: 1, Base: sum(100), Head: sum(90), Delta: -0.1, P: 0.001, NBase: 10, NHead: 10}, Regression},
		{"significant gain of higher-is-better", Row{Better: 1, Base: sum(100), Head: sum(110), Delta: 0.1, P: 0.001, NBase: 10, NHead: 10}, Improvement},
		{"significant but small", Row{Better: -1, Base: sum(100), Head: sum(103), Delta: 0.03, P: 0.001, NBase: 10, NHead: 10}, WithinThreshold},
		{"large but not significant", Row{Better: -1, Base: sum(100), Head: sum(150), Delta: 0.5, P: 0.2, NBase: 10, NHead: 10}, NotSignificant},
		{"large with 3 samples each", Row{Better: -1, Base: sum(100), Head: sum(150), Delta: 0.5, P: 0.1, NBase: 3, NHead: 3}, TooFewSamples},
		{"p exactly alpha is not significant", Row{Better: -1, Base: sum(100), Head: sum(150), Delta: 0.5, P: 0.05, NBase: 10, NHead: 10}, NotSignificant},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decide(tt.row, DefaultOptions); got != tt.want {
				t.Errorf("decide = %s, want %s", got, tt.want)
			}
		})
	}
}
