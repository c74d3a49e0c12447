// Package paired measures what it compares side by side in time, at the
// finest grain: every round sends one request to each target, in an order
// drawn afresh for every round (Order), and times each request on its own.
// Noise that comes and goes on the machine then lands on every target
// alike, and a ratio of two targets' times is far steadier than either time.
// No target has a fixed neighbour: what one request leaves behind lands on
// each other target equally often.
//
// A control measures what the design itself leaves: the reference target
// a second time, on its own resources (ControlName). Its ratio to the
// reference should be 1; how far its interval strays is the harness's own
// bias, and no ratio closer to 1 than that says anything.
//
// Run does the alternation; Ratio, MedianRatio, RoundRatio, Blocks and
// Summarize turn the recorded latencies into ratios with intervals;
// Percentile refuses to name a percentile that too few requests lie beyond.
package paired

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
)

// Target is one side of a comparison: a name and one request. Do gets the
// round number, so a target can pick the round's prepared input; Check,
// if set, runs after Do outside its timing, to verify the answer.
type Target struct {
	Name  string
	Do    func(round int) error
	Check func(round int) error
}

// Result holds every request's latency, per target, in round order, and
// where in its round's order each request went.
type Result struct {
	Names []string
	Lat   [][]time.Duration // Lat[t][round]
	Pos   [][]int           // Pos[t][round]: 0 went first
}

// Run sends rounds rounds to targets, each round in the order o gives
// (o must order len(targets) targets), and times each request. It stops at
// the first error, naming the target and round.
func Run(targets []Target, rounds int, o *Order) (*Result, error) {
	return RunClock(targets, rounds, o, time.Now)
}

// RunClock is Run timed by now instead of the machine's clock: a test
// drives it with a synthetic one.
func RunClock(targets []Target, rounds int, o *Order, now func() time.Time) (*Result, error) {
	if len(targets) == 0 {
		return nil, errors.New("paired: no targets")
	}
	if o == nil || o.Len() != len(targets) {
		return nil, fmt.Errorf("paired: an order for %d targets is needed", len(targets))
	}
	r := &Result{Names: make([]string, len(targets)), Lat: make([][]time.Duration, len(targets)), Pos: make([][]int, len(targets))}
	for t := range targets {
		r.Names[t] = targets[t].Name
		r.Lat[t] = make([]time.Duration, rounds)
		r.Pos[t] = make([]int, rounds)
	}
	for i := range rounds {
		for p, t := range o.Next() {
			r.Pos[t][i] = p
			t0 := now()
			err := targets[t].Do(i)
			r.Lat[t][i] = now().Sub(t0)
			if err == nil && targets[t].Check != nil {
				err = targets[t].Check(i)
			}
			if err != nil {
				return r, fmt.Errorf("paired: %s, round %d: %w", targets[t].Name, i, err)
			}
		}
	}
	return r, nil
}

// Of returns the latencies of the named target, or nil.
func (r *Result) Of(name string) []time.Duration {
	if i := slices.Index(r.Names, name); i >= 0 {
		return r.Lat[i]
	}
	return nil
}

// Mean returns the mean latency of the named target in nanoseconds.
func (r *Result) Mean(name string) float64 {
	return mean(r.Of(name))
}

// Ratio returns the total time of target a over that of target b: over the
// same rounds, a ratio of sums is a ratio of means.
func (r *Result) Ratio(a, b string) float64 {
	return sum(r.Of(a)) / sum(r.Of(b))
}

// MedianRatio returns the median latency of target a over that of target
// b: unlike Ratio, it does not move when a few requests stall for
// reasons of the machine (a descheduled process, a page fault), which on
// a shared machine a ratio of means cannot escape.
func (r *Result) MedianRatio(a, b string) float64 {
	return median(r.Of(a)) / median(r.Of(b))
}

// RoundRatio returns the median over rounds of each round's ratio of a's
// latency to b's: the estimator that uses the pairing itself. A round's
// two requests run moments apart, so a stretch of a busy machine lands on
// both; and of two targets that do the same work, either is as likely as
// the other to come out slower in a round, so the median sits at 1 however
// skewed the stalls.
func (r *Result) RoundRatio(a, b string) float64 {
	la, lb := r.Of(a), r.Of(b)
	if len(la) == 0 || len(la) != len(lb) {
		return math.NaN()
	}
	q := make([]float64, len(la))
	for i := range la {
		q[i] = float64(la[i]) / float64(lb[i])
	}
	return medianOf(q)
}

func median(d []time.Duration) float64 {
	q := make([]float64, len(d))
	for i, v := range d {
		q[i] = float64(v)
	}
	return medianOf(q)
}

// medianOf returns the median of q, sorting it in place; NaN when empty.
func medianOf(q []float64) float64 {
	if len(q) == 0 {
		return math.NaN()
	}
	slices.Sort(q)
	if n := len(q); n%2 == 0 {
		return (q[n/2-1] + q[n/2]) / 2
	}
	return q[len(q)/2]
}

// Blocks splits the rounds into k consecutive blocks and returns the ratio
// a/b within each: k paired samples of the ratio from one run.
func (r *Result) Blocks(a, b string, k int) []float64 {
	la, lb := r.Of(a), r.Of(b)
	if k <= 0 || len(la) < k || len(la) != len(lb) {
		return nil
	}
	out := make([]float64, k)
	for j := range k {
		lo, hi := j*len(la)/k, (j+1)*len(la)/k
		out[j] = sum(la[lo:hi]) / sum(lb[lo:hi])
	}
	return out
}

func sum(d []time.Duration) float64 {
	var s float64
	for _, v := range d {
		s += float64(v)
	}
	return s
}

func mean(d []time.Duration) float64 {
	if len(d) == 0 {
		return math.NaN()
	}
	return sum(d) / float64(len(d))
}

// Percentile returns the q-quantile (0 < q < 1) of d by the nearest-rank
// method, and false when fewer than 10 samples lie beyond it: a p95 needs
// at least 200 samples, a p99 at least 1,000. It never calls the maximum a
// percentile. d is sorted in place.
func Percentile(d []time.Duration, q float64) (time.Duration, bool) {
	if !Enough(len(d), q) {
		return 0, false
	}
	slices.Sort(d)
	i := int(math.Ceil(q*float64(len(d)))) - 1
	return d[max(i, 0)], true
}

// Enough reports whether n samples leave at least 10 beyond the q-quantile.
func Enough(n int, q float64) bool {
	return float64(n)*(1-q) >= 10-1e-9
}

// An Estimator is one way of turning two targets' latencies into a ratio.
// Each is reported as a unit of its own: the ratio's name, "ent/pgx",
// followed by Suffix.
type Estimator struct {
	Suffix string
	Name   string // what the ratio is, in words
	Ratio  func(r *Result, a, b string) float64
}

// Estimators are the ratios every paired comparison reports: of means
// (what the requests cost in all), of medians, and the median of the
// rounds' ratios.
var Estimators = []Estimator{
	{"", "ratio of means", (*Result).Ratio},
	{"-p50", "ratio of medians", (*Result).MedianRatio},
	{"-round", "median of the rounds' ratios", (*Result).RoundRatio},
}
