package paired

import (
	"math"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Summary describes samples of a ratio: their geometric mean, a confidence
// interval for it, their coefficient of variation, and the p-value of a
// one-sided test that the true ratio exceeds a bound.
type Summary struct {
	N      int
	Mean   float64 // geometric mean
	Lo, Hi float64 // confidence interval of the geometric mean
	CV     float64 // standard deviation over mean, of the samples themselves
}

// Summarize computes a Summary at confidence level conf (e.g. 0.95) with a
// Student t interval on the logarithms: ratios are multiplicative, so their
// logarithms are what is close to normal. Fewer than two samples give NaN
// bounds.
func Summarize(samples []float64, conf float64) Summary {
	s := Summary{N: len(samples), Mean: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), CV: math.NaN()}
	if len(samples) == 0 {
		return s
	}
	m, sd := meanSD(logs(samples))
	s.Mean = math.Exp(m)
	am, asd := meanSD(samples)
	s.CV = asd / am
	if len(samples) < 2 {
		return s
	}
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(samples) - 1)}.Quantile(1 - (1-conf)/2)
	half := t * sd / math.Sqrt(float64(len(samples)))
	s.Lo, s.Hi = math.Exp(m-half), math.Exp(m+half)
	return s
}

// PGreater returns the one-sided p-value of the hypothesis that the true
// (geometric mean) ratio is at most bound, against it being larger: small
// values mean the samples show a ratio above bound.
func PGreater(samples []float64, bound float64) float64 {
	if len(samples) < 2 {
		return math.NaN()
	}
	m, sd := meanSD(logs(samples))
	se := sd / math.Sqrt(float64(len(samples)))
	if se == 0 {
		if m > math.Log(bound) {
			return 0
		}
		return 1
	}
	tstat := (m - math.Log(bound)) / se
	return 1 - distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(samples) - 1)}.CDF(tstat)
}

// MinDetectable returns the smallest relative change (e.g. 0.03 for 3 %)
// that n samples with coefficient of variation cv detect at one-sided
// significance alpha with power 0.8, by the usual normal approximation.
func MinDetectable(cv float64, n int, alpha float64) float64 {
	if n < 2 || math.IsNaN(cv) {
		return math.NaN()
	}
	z := distuv.UnitNormal
	return (z.Quantile(1-alpha) + z.Quantile(0.8)) * cv / math.Sqrt(float64(n))
}

// Correlation returns Pearson's correlation r of x and y, paired by
// index, and the two-sided p-value of the hypothesis that they are
// uncorrelated (Student's t with len(x)-2 degrees of freedom). Fewer than
// three pairs, series of unequal length or a constant series give NaN.
func Correlation(x, y []float64) (r, p float64) {
	n := len(x)
	if n < 3 || len(y) != n {
		return math.NaN(), math.NaN()
	}
	if _, sx := meanSD(x); sx == 0 {
		return math.NaN(), math.NaN()
	}
	if _, sy := meanSD(y); sy == 0 {
		return math.NaN(), math.NaN()
	}
	r = math.Max(-1, math.Min(1, stat.Correlation(x, y, nil)))
	if math.Abs(r) == 1 {
		return r, 0
	}
	df := float64(n - 2)
	tstat := math.Abs(r) * math.Sqrt(df/(1-r*r))
	return r, 2 * (1 - distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.CDF(tstat))
}

func logs(x []float64) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = math.Log(v)
	}
	return out
}

func meanSD(x []float64) (m, sd float64) {
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	if len(x) < 2 {
		return m, 0
	}
	var ss float64
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return m, math.Sqrt(ss / float64(len(x)-1))
}
