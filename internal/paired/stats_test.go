package paired_test

import (
	"math"
	"testing"

	"github.com/crudbench/crudbench/internal/paired"
)

// TestCorrelation checks Pearson's r and its two-sided p-value against
// values worked by hand, and the series it cannot judge.
func TestCorrelation(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5}
	// y = 1, 3, 2, 5, 4: r = 0.8; t = 0.8·√(3/0.36) = 2.309 on 3 degrees
	// of freedom, two-sided p = 0.104.
	r, p := paired.Correlation(x, []float64{1, 3, 2, 5, 4})
	if math.Abs(r-0.8) > 1e-9 || math.Abs(p-0.104) > 0.001 {
		t.Errorf("Correlation(1..5, 1 3 2 5 4) = %.4f, p %.4f; want 0.8000, p 0.104", r, p)
	}
	r, p = paired.Correlation(x, []float64{10, 8, 6, 4, 2})
	if math.Abs(r+1) > 1e-12 || p > 1e-9 {
		t.Errorf("Correlation of a falling line = %v, p %v; want -1, p 0", r, p)
	}
	for name, y := range map[string][]float64{
		"a constant series": {3, 3, 3, 3, 3},
		"unequal lengths":   {1, 2, 3},
		"fewer than three":  nil,
	} {
		xs := x
		if y == nil {
			xs, y = x[:2], []float64{1, 2}
		}
		if r, p := paired.Correlation(xs, y); !math.IsNaN(r) || !math.IsNaN(p) {
			t.Errorf("%s: Correlation = %v, p %v; want NaN", name, r, p)
		}
	}
}
