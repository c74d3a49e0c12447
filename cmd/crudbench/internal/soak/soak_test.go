package soak

import (
	"math"
	"testing"
	"time"
)

func TestSlopePct(t *testing.T) {
	xs := []float64{0, 60, 120, 180, 240, 300}
	flat := []float64{100, 100, 100, 100, 100, 100}
	one := func(x, y []float64) ([][]float64, [][]float64) { return [][]float64{x}, [][]float64{y} }
	if v, _, ok := slopePct(one(xs, flat)); !ok || v != 0 {
		t.Errorf("flat series: slope %v (ok %v), want 0", v, ok)
	}
	// From 95 to 105 over 300 s around a mean of 100: 10 per 300 s is 20
	// per 600 s, 20 % of the mean per 10 minutes.
	rising := []float64{95, 97, 99, 101, 103, 105}
	if v, half, ok := slopePct(one(xs, rising)); !ok || math.Abs(v-20) > 1e-9 || half > 1e-9 {
		t.Errorf("rising series: slope %v ± %v (ok %v), want 20 ± 0", v, half, ok)
	}
	// Noise around a flat line widens the interval, and it holds 0.
	noisy := []float64{100, 104, 97, 103, 96, 100}
	if v, half, ok := slopePct(one(xs, noisy)); !ok || half <= 0 || math.Abs(v) > half {
		t.Errorf("noisy flat series: slope %v ± %v (ok %v), want an interval around 0", v, half, ok)
	}
	if _, _, ok := slopePct(one(xs[:2], rising[:2])); ok {
		t.Error("two points gave a slope")
	}
	// A step between two flat segments is a level the restart left, not a
	// drift; the same rise in both segments is one.
	if v, _, ok := slopePct([][]float64{xs[:3], xs[3:]}, [][]float64{{100, 100, 100}, {120, 120, 120}}); !ok || v != 0 {
		t.Errorf("a step between flat segments: slope %v (ok %v), want 0", v, ok)
	}
	if v, _, ok := slopePct([][]float64{xs[:3], xs[3:]}, [][]float64{{95, 97, 99}, {101, 103, 105}}); !ok || math.Abs(v-20) > 1e-9 {
		t.Errorf("a rise through both segments: slope %v (ok %v), want 20", v, ok)
	}
}

func TestWindowContains(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := window{halted: t0, resumed: t0.Add(5 * time.Second), grace: 2 * time.Second}
	for _, c := range []struct {
		at   time.Duration
		want bool
	}{{-time.Millisecond, false}, {0, true}, {3 * time.Second, true}, {6 * time.Second, true}, {7 * time.Second, false}} {
		if got := w.contains(t0.Add(c.at)); got != c.want {
			t.Errorf("contains(halt%+v) = %v, want %v", c.at, got, c.want)
		}
	}
	if (&window{}).contains(t0) {
		t.Error("a soak without a restart has a window")
	}
}

func TestSlopesLeaveOutWarmupAndRestart(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var samples []sample
	for s := range 100 {
		v := 1000.0
		if s < 10 || (s >= 50 && s < 60) {
			v = 5000 // warm-up and restart: left out
		}
		samples = append(samples, sample{at: time.Duration(s) * time.Second, rss: v, heap: v, goroutines: v, conns: math.NaN()})
	}
	w := window{halted: start.Add(50 * time.Second), resumed: start.Add(55 * time.Second), grace: 5 * time.Second}
	got, _, checked := slopes(samples, leftOut(start, 10*time.Second, &w, 0), time.Minute)
	if !checked {
		t.Error("80 seconds of samples after warm-up were not checked against a 1-minute window")
	}
	for _, n := range []string{"rss", "heap", "goroutines"} {
		if v, ok := got[n]; !ok || v != 0 {
			t.Errorf("%s slope %v (ok %v), want 0: the warm-up or the restart was counted", n, v, ok)
		}
	}
	if _, ok := got["conns"]; ok {
		t.Error("conns has a slope though no sample read it")
	}
}

func TestSlopesLeaveOutTheSettling(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	w := window{halted: start.Add(50 * time.Second), resumed: start.Add(55 * time.Second), grace: 5 * time.Second}
	left := leftOut(start, 0, &w, 20*time.Second)
	var samples []sample
	for s := range 120 {
		at := time.Duration(s) * time.Second
		v := 1000.0
		if s >= 60 && s < 80 {
			v = 3000 - 100*float64(s-60) // connections of the restart's burst closing: left out
		} else if s >= 80 {
			v = 1100 // the level after the restart: a step, not a drift
		}
		samples = append(samples, sample{at: at, rss: v, heap: v, goroutines: v, conns: math.NaN()})
	}
	for _, c := range []struct {
		at   time.Duration
		want bool
	}{{49 * time.Second, false}, {50 * time.Second, true}, {79 * time.Second, true}, {80 * time.Second, false}} {
		if got := left(c.at); got != c.want {
			t.Errorf("left out at %s = %v, want %v", c.at, got, c.want)
		}
	}
	got, _, checked := slopes(samples, left, 80*time.Second)
	if !checked {
		t.Error("89 seconds of kept samples were not checked against an 80-second window")
	}
	if v := got["goroutines"]; v != 0 {
		t.Errorf("goroutines slope %v, want 0: the settling or the step was counted as drift", v)
	}
}

func TestChecksFailOnlyADriftTheRunResolves(t *testing.T) {
	cfg := Config{MaxSlope: 1}
	for _, c := range []struct {
		slope, ci float64
		fail      bool
	}{{0.5, 0.2, false}, {3, 5, false}, {-3, 5, false}, {3, 1, true}, {-3, 1, true}} {
		r := Result{AckedWrites: 1, SlopesChecked: true, Slopes: map[string]float64{"heap": c.slope}, SlopeCIs: map[string]float64{"heap": c.ci}}
		if got := len(checks(&r, cfg)) > 0; got != c.fail {
			t.Errorf("heap drift %v ± %v: failed %v, want %v", c.slope, c.ci, got, c.fail)
		}
	}
}
