package paired_test

import (
	"errors"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/crudbench/crudbench/internal/paired"
)

// order returns a design's order of n targets.
func order(t *testing.T, design string, n int) *paired.Order {
	t.Helper()
	o, err := paired.Config{Design: design, Seed: 1}.NewOrder(n, t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// TestRunAlternatesAndTimes checks the order of the calls and the times:
// on the machine's clock a sleep's time is at least the sleep (an upper
// bound would fail on a loaded machine), and on a synthetic clock, where a
// call takes exactly what it advances, the ratios are exact.
func TestRunAlternatesAndTimes(t *testing.T) {
	var (
		log   []string
		clock time.Time // the synthetic clock, advanced by the calls
	)
	target := func(name string, d time.Duration) paired.Target {
		return paired.Target{Name: name, Do: func(int) error {
			log = append(log, name)
			time.Sleep(d)
			clock = clock.Add(d)
			return nil
		}}
	}
	targets := []paired.Target{target("a", 2*time.Millisecond), target("b", 1*time.Millisecond)}
	r, err := paired.Run(targets, 4, order(t, paired.Rotate, 2))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a", "b", "b", "a", "a", "b", "b", "a"}; !slices.Equal(log, want) {
		t.Errorf("call order %v, want %v", log, want)
	}
	for name, least := range map[string]time.Duration{"a": 2 * time.Millisecond, "b": time.Millisecond} {
		for i, d := range r.Of(name) {
			if d < least {
				t.Errorf("%s, round %d: timed %s for a %s sleep", name, i, d, least)
			}
		}
	}
	if _, err := paired.Run([]paired.Target{target("a", 0)}, 1, order(t, paired.Shuffle, 2)); err == nil {
		t.Error("an order for 2 targets ran 1")
	}
	r, err = paired.RunClock(targets, 4, order(t, paired.Rotate, 2), func() time.Time { return clock })
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Ratio("a", "b"); got != 2 {
		t.Errorf("ratio a/b = %v for calls of 2 ms against 1 ms on a synthetic clock, want 2", got)
	}
	if got := r.MedianRatio("a", "b"); got != 2 {
		t.Errorf("median ratio a/b = %v for calls of 2 ms against 1 ms on a synthetic clock, want 2", got)
	}
	if got := r.RoundRatio("a", "b"); got != 2 {
		t.Errorf("round ratio a/b = %v for calls of 2 ms against 1 ms on a synthetic clock, want 2", got)
	}
	if bl := r.Blocks("a", "b", 2); len(bl) != 2 {
		t.Errorf("Blocks gave %d samples, want 2", len(bl))
	}
}

func TestRunStopsAtFirstError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	_, err := paired.Run([]paired.Target{{Name: "x", Do: func(round int) error {
		calls++
		if round == 2 {
			return boom
		}
		return nil
	}}}, 10, order(t, paired.Shuffle, 1))
	if !errors.Is(err, boom) || calls != 3 {
		t.Errorf("err %v after %d calls, want boom after 3", err, calls)
	}
	checked := 0
	r, err := paired.Run([]paired.Target{{Name: "y", Do: func(int) error { return nil }, Check: func(round int) error {
		checked++
		time.Sleep(time.Millisecond)
		if round == 1 {
			return boom
		}
		return nil
	}}}, 10, order(t, paired.Shuffle, 1))
	if !errors.Is(err, boom) || checked != 2 {
		t.Errorf("err %v after %d checks, want boom after 2", err, checked)
	}
	if r.Lat[0][0] >= time.Millisecond {
		t.Errorf("round 0 took %v: the check was timed", r.Lat[0][0])
	}
}

func TestPercentileNeedsTenBeyond(t *testing.T) {
	for _, tc := range []struct {
		n    int
		q    float64
		want bool
	}{
		{199, 0.95, false}, {200, 0.95, true}, {999, 0.99, false}, {1000, 0.99, true}, {20, 0.5, true}, {19, 0.5, false},
	} {
		d := make([]time.Duration, tc.n)
		for i := range d {
			d[i] = time.Duration(tc.n - i)
		}
		v, ok := paired.Percentile(d, tc.q)
		if ok != tc.want {
			t.Errorf("n=%d q=%v: ok=%v, want %v", tc.n, tc.q, ok, tc.want)
		}
		if ok && v == time.Duration(tc.n) {
			t.Errorf("n=%d q=%v: percentile is the maximum", tc.n, tc.q)
		}
	}
	d := []time.Duration{}
	for i := 1; i <= 1000; i++ {
		d = append(d, time.Duration(i))
	}
	if v, _ := paired.Percentile(d, 0.99); v != 990 {
		t.Errorf("p99 of 1..1000 = %d, want 990", v)
	}
}

func TestSummarizeAndTest(t *testing.T) {
	same := []float64{1.2, 1.2, 1.2, 1.2}
	s := paired.Summarize(same, 0.95)
	if math.Abs(s.Mean-1.2) > 1e-12 || s.CV != 0 || math.Abs(s.Lo-1.2) > 1e-12 {
		t.Errorf("constant samples: %+v", s)
	}
	noisy := []float64{1.00, 1.02, 0.98, 1.01, 0.99, 1.00, 1.03, 0.97}
	s = paired.Summarize(noisy, 0.95)
	if !(s.Lo < 1 && s.Hi > 1) || s.CV < 0.01 || s.CV > 0.03 {
		t.Errorf("samples around 1: %+v, want an interval around 1 and CV about 2 %%", s)
	}
	if p := paired.PGreater(noisy, 1.0); p < 0.2 {
		t.Errorf("p = %.3f that samples around 1 exceed 1, want large", p)
	}
	slower := []float64{1.10, 1.12, 1.08, 1.11, 1.09, 1.10, 1.13, 1.07}
	if p := paired.PGreater(slower, 1.05); p > 0.01 {
		t.Errorf("p = %.3f that samples around 1.10 exceed 1.05, want small", p)
	}
	if p := paired.PGreater(slower, 1.15); p < 0.9 {
		t.Errorf("p = %.3f that samples around 1.10 exceed 1.15, want large", p)
	}
	if m := paired.MinDetectable(0.02, 10, 0.05); m < 0.01 || m > 0.03 {
		t.Errorf("minimum detectable change at CV 2 %%, n=10: %.3f, want about 0.016", m)
	}
}
