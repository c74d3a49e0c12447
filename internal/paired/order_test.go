package paired_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/crudbench/crudbench/internal/paired"
)

// follows counts, over rounds rounds of o, how often target b runs
// immediately after target a within a round (follows[a][b]), and how often
// each target runs first.
func follows(o *paired.Order, rounds int) (f [][]int, first []int) {
	n := o.Len()
	f = make([][]int, n)
	for a := range f {
		f[a] = make([]int, n)
	}
	first = make([]int, n)
	for range rounds {
		ord := o.Next()
		if !slices.Equal(slices.Sorted(slices.Values(ord)), seq(n)) {
			panic(fmt.Sprintf("order %v is not a permutation of 0..%d", ord, n-1))
		}
		first[ord[0]]++
		for k := 1; k < n; k++ {
			f[ord[k-1]][ord[k]]++
		}
	}
	return f, first
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// TestOrderNoFixedNeighbours: over many rounds, every target follows
// every other one about equally often (exactly, over whole Williams
// squares), and goes first about equally often; the former rotation fails
// the same test.
func TestOrderNoFixedNeighbours(t *testing.T) {
	for _, n := range []int{2, 3, 6, 7, 10} {
		for _, design := range []string{paired.Shuffle, paired.Williams} {
			t.Run(fmt.Sprintf("%s/n=%d", design, n), func(t *testing.T) {
				o, err := paired.Config{Design: design, Seed: 42}.NewOrder(n, "leaf")
				if err != nil {
					t.Fatal(err)
				}
				square := n
				if n%2 == 1 {
					square = 2 * n
				}
				rounds := square * 3000 // whole squares, and enough rounds for the shuffle
				f, first := follows(o, rounds)
				pair := float64(rounds) / float64(n) // each ordered pair's expected count
				for a := range n {
					for b := range n {
						if a == b {
							if f[a][b] != 0 {
								t.Fatalf("target %d follows itself", a)
							}
							continue
						}
						got := float64(f[a][b])
						if design == paired.Williams && got != pair {
							t.Errorf("%d follows %d %v times in %d rounds, want exactly %v", b, a, got, rounds, pair)
						}
						// Shuffle: binomial counts, within 6 standard deviations.
						if sd := math.Sqrt(pair); math.Abs(got-pair) > 6*sd {
							t.Errorf("%d follows %d %v times in %d rounds, want about %v", b, a, got, rounds, pair)
						}
					}
					if got, want := float64(first[a]), float64(rounds)/float64(n); math.Abs(got-want) > 6*math.Sqrt(want) {
						t.Errorf("target %d first %v times in %d rounds, want about %v", a, got, rounds, want)
					}
				}
			})
		}
	}
	o, err := paired.Config{Design: paired.Rotate}.NewOrder(4, "leaf")
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := follows(o, 400); f[0][2] != 0 || f[0][1] != 300 {
		t.Errorf("rotation: 1 follows 0 %d times, 2 follows 0 %d times in 400 rounds; want 300 and 0 (a fixed neighbour)", f[0][1], f[0][2])
	}
}

// TestOrderRepeats: the same seed and stream give the same orders; another
// stream or seed gives others.
func TestOrderRepeats(t *testing.T) {
	draw := func(c paired.Config, stream string) [][]int {
		o, err := c.NewOrder(5, stream)
		if err != nil {
			t.Fatal(err)
		}
		var out [][]int
		for range 20 {
			out = append(out, slices.Clone(o.Next()))
		}
		return out
	}
	for _, design := range []string{paired.Shuffle, paired.Williams} {
		c := paired.Config{Design: design, Seed: 7}
		a := draw(c, "op=read")
		if b := draw(c, "op=read"); !slices.EqualFunc(a, b, slices.Equal) {
			t.Errorf("%s: the same seed and stream gave other orders", design)
		}
		if b := draw(c, "op=list"); slices.EqualFunc(a, b, slices.Equal) {
			t.Errorf("%s: another stream gave the same orders", design)
		}
		if b := draw(paired.Config{Design: design, Seed: 8}, "op=read"); slices.EqualFunc(a, b, slices.Equal) {
			t.Errorf("%s: another seed gave the same orders", design)
		}
	}
}

func TestWilliamsSquare(t *testing.T) {
	for n := 1; n <= 9; n++ {
		rows := paired.WilliamsSquare(n)
		want := n
		if n%2 == 1 {
			want = 2 * n
		}
		if len(rows) != want {
			t.Fatalf("n=%d: %d rows, want %d", n, len(rows), want)
		}
		count := map[[2]int]int{}
		for _, r := range rows {
			if !slices.Equal(slices.Sorted(slices.Values(r)), seq(n)) {
				t.Fatalf("n=%d: row %v is not a permutation", n, r)
			}
			for k := 1; k < n; k++ {
				count[[2]int{r[k-1], r[k]}]++
			}
		}
		for p, c := range count {
			if c != len(rows)/n {
				t.Errorf("n=%d: pair %v side by side %d times, want %d", n, p, c, len(rows)/n)
			}
		}
		if len(count) != n*(n-1) {
			t.Errorf("n=%d: %d ordered pairs side by side, want %d", n, len(count), n*(n-1))
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	t.Setenv(paired.EnvOrder, "")
	t.Setenv(paired.EnvSeed, "")
	c, err := paired.ConfigFromEnv()
	if err != nil || c.Design != paired.Shuffle {
		t.Fatalf("unset: %+v, %v; want a shuffle", c, err)
	}
	t.Setenv(paired.EnvOrder, "williams")
	t.Setenv(paired.EnvSeed, "123")
	c, err = paired.ConfigFromEnv()
	if err != nil || c != (paired.Config{Design: paired.Williams, Seed: 123}) {
		t.Fatalf("williams, 123: %+v, %v", c, err)
	}
	if got, want := c.ConfigLines(), "paired-order: williams\npaired-seed: 123\n"; got != want {
		t.Errorf("config lines %q, want %q", got, want)
	}
	for env, v := range map[string]string{paired.EnvOrder: "zigzag", paired.EnvSeed: "-1"} {
		t.Run(env, func(t *testing.T) {
			t.Setenv(env, v)
			if _, err := paired.ConfigFromEnv(); err == nil {
				t.Errorf("%s=%s: no error", env, v)
			}
		})
	}
}

// synthetic is a machine on a synthetic clock: each request costs its
// target's cost, times a little noise, plus what the previous request
// left behind, whichever target sent it.
type synthetic struct {
	now   time.Time
	rng   *rand.Rand
	carry time.Duration // left for the next request
}

func (s *synthetic) clock() time.Time { return s.now }

// target costs cost; leaves is what it leaves to the next request (a
// collector's work, a cold cache).
func (s *synthetic) target(name string, cost, leaves time.Duration) paired.Target {
	return paired.Target{Name: name, Do: func(int) error {
		noise := 1 + 0.03*s.rng.NormFloat64()
		s.now = s.now.Add(time.Duration(float64(cost)*noise) + s.carry)
		s.carry = leaves
		return nil
	}}
}

// TestSyntheticSlowdown runs, on a synthetic clock, a reference, its
// control, a target 5 % slower than the reference, and others, one of
// which leaves work to whatever comes next and sits just before the
// control in the list. With no fixed neighbours the slow target shows
// 1.05 ± 0.01 and the control 1.00 ± 0.01, intervals included; the
// rotation shows the control off by the carried work.
func TestSyntheticSlowdown(t *testing.T) {
	const rounds, blocks = 20000, 20
	run := func(design string) (ctrl, slow paired.Summary) {
		s := &synthetic{now: time.Unix(0, 0), rng: rand.New(rand.NewPCG(1, 2))}
		us := time.Microsecond
		targets := []paired.Target{
			s.target("pgx", 100*us, 0),
			s.target("heavy", 300*us, 6*us),
			s.target(paired.ControlName("pgx"), 100*us, 0),
			s.target("slow", 105*us, 0),
			s.target("other", 130*us, 0),
			s.target("light", 80*us, 0),
		}
		o, err := paired.Config{Design: design, Seed: 3}.NewOrder(len(targets), "synthetic")
		if err != nil {
			t.Fatal(err)
		}
		r, err := paired.RunClock(targets, rounds, o, s.clock)
		if err != nil {
			t.Fatal(err)
		}
		return paired.Summarize(r.Blocks("pgx'", "pgx", blocks), 0.95), paired.Summarize(r.Blocks("slow", "pgx", blocks), 0.95)
	}
	within := func(s paired.Summary, want float64) bool {
		return math.Abs(s.Mean-want) <= 0.01 && s.Lo >= want-0.01 && s.Hi <= want+0.01
	}
	for _, design := range []string{paired.Shuffle, paired.Williams} {
		ctrl, slow := run(design)
		t.Logf("%s: control %.4f [%.4f, %.4f], slow %.4f [%.4f, %.4f]", design, ctrl.Mean, ctrl.Lo, ctrl.Hi, slow.Mean, slow.Lo, slow.Hi)
		if !within(ctrl, 1) || ctrl.Biased() {
			t.Errorf("%s: control %.4f [%.4f, %.4f], want 1.00 ± 0.01", design, ctrl.Mean, ctrl.Lo, ctrl.Hi)
		}
		if !within(slow, 1.05) {
			t.Errorf("%s: slow/pgx %.4f [%.4f, %.4f], want 1.05 ± 0.01", design, slow.Mean, slow.Lo, slow.Hi)
		}
		if !paired.Distinguishable(slow.Mean, ctrl) {
			t.Errorf("%s: slow/pgx %.4f not distinguishable from control spread %.4f", design, slow.Mean, ctrl.Spread())
		}
	}
	if ctrl, _ := run(paired.Rotate); ctrl.Mean < 1.03 || !ctrl.Biased() {
		t.Errorf("rotate: control %.4f [%.4f, %.4f], want it to carry the heavy target's 6 %%", ctrl.Mean, ctrl.Lo, ctrl.Hi)
	}
}

func TestControl(t *testing.T) {
	if c := paired.ControlName("pgx"); c != "pgx'" {
		t.Errorf("ControlName(pgx) = %q", c)
	}
	if ref, ok := paired.ControlOf("pgx'"); !ok || ref != "pgx" {
		t.Errorf("ControlOf(pgx') = %q, %v", ref, ok)
	}
	for _, name := range []string{"pgx", "'", "sqlc"} {
		if _, ok := paired.ControlOf(name); ok {
			t.Errorf("ControlOf(%q) says it is a control", name)
		}
	}
	tight := paired.Summary{Mean: 1.002, Lo: 0.996, Hi: 1.008}
	wide := paired.Summary{Mean: 1.01, Lo: 0.985, Hi: 1.035}
	if tight.Biased() || !wide.Biased() || !(paired.Summary{Lo: math.NaN(), Hi: math.NaN()}).Biased() {
		t.Errorf("Biased: tight %v, wide %v; want false, true", tight.Biased(), wide.Biased())
	}
	if math.Abs(wide.Spread()-0.035) > 1e-9 {
		t.Errorf("spread of [0.985, 1.035] = %v, want 0.035", wide.Spread())
	}
	for _, tc := range []struct {
		ratio float64
		ctrl  paired.Summary
		want  bool
	}{{1.02, tight, true}, {0.99, tight, true}, {1.005, tight, false}, {1.02, wide, false}, {0.95, wide, true}} {
		if got := paired.Distinguishable(tc.ratio, tc.ctrl); got != tc.want {
			t.Errorf("Distinguishable(%v, [%v, %v]) = %v, want %v", tc.ratio, tc.ctrl.Lo, tc.ctrl.Hi, got, tc.want)
		}
	}
}

// TestRoundRatioUnderStalls runs a reference, its control and a target
// 5 % slower on a synthetic machine that stalls one request in fifty by
// twenty times its cost, as a busy machine does. Each run's median of the
// rounds' ratios still puts the control within 1.00 ± 0.01 and the slow
// target within 1.05 ± 0.01.
func TestRoundRatioUnderStalls(t *testing.T) {
	const rounds = 1000
	us := time.Microsecond
	for seed := range uint64(10) {
		rng := rand.New(rand.NewPCG(seed, 7))
		now := time.Unix(0, 0)
		target := func(name string, cost time.Duration) paired.Target {
			return paired.Target{Name: name, Do: func(int) error {
				d := time.Duration(float64(cost) * (1 + 0.05*rng.NormFloat64()))
				if rng.IntN(50) == 0 {
					d += 20 * cost
				}
				now = now.Add(max(d, 0))
				return nil
			}}
		}
		targets := []paired.Target{target("pgx", 100*us), target(paired.ControlName("pgx"), 100*us), target("slow", 105*us)}
		o, err := paired.Config{Design: paired.Shuffle, Seed: seed}.NewOrder(len(targets), "stalls")
		if err != nil {
			t.Fatal(err)
		}
		r, err := paired.RunClock(targets, rounds, o, func() time.Time { return now })
		if err != nil {
			t.Fatal(err)
		}
		if c := r.RoundRatio("pgx'", "pgx"); math.Abs(c-1) > 0.01 {
			t.Errorf("seed %d: control's round ratio %.4f, want 1.00 ± 0.01 (ratio of means %.4f)", seed, c, r.Ratio("pgx'", "pgx"))
		}
		if s := r.RoundRatio("slow", "pgx"); math.Abs(s-1.05) > 0.01 {
			t.Errorf("seed %d: slow/pgx round ratio %.4f, want 1.05 ± 0.01", seed, s)
		}
	}
}
