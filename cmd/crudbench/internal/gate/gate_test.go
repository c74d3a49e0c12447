package gate

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/perf/benchmath"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/results"
)

const (
	synthetic   = "../../testdata"      // synthetic result files
	realResults = "../../../../results" // the published runs, one folder each
)

func load(t *testing.T, base, head string) *Input {
	t.Helper()
	in, err := Load(filepath.Join(synthetic, base), filepath.Join(synthetic, head))
	if err != nil {
		t.Fatalf("Load(%s, %s): %v", base, head, err)
	}
	return in
}

// regressed returns "benchmark unit" of every regression.
func regressed(r *Report) []string {
	var out []string
	for _, row := range r.Rows {
		if row.Verdict == Regression {
			out = append(out, row.Benchmark+" "+row.Unit)
		}
	}
	return out
}

func TestCompareSyntheticCases(t *testing.T) {
	tests := []struct {
		name          string
		head          string
		opts          Options
		want          Status
		wantRegressed []string
		wantVerdict   string // substring of the verdict line
	}{
		{"A/A comparison passes", "gate-aa.txt", DefaultOptions, Pass, nil, "PASS: no regression"},
		{"10% slower ns/op fails", "gate-slower-ns.txt", DefaultOptions, Fail, []string{"CRUD/arm=ent/op=read-2 sec/op"}, "FAIL: 1 regression"},
		{"2% slower ns/op is within the 5% threshold", "gate-slightly-slower.txt", DefaultOptions, Pass, nil, "PASS"},
		{"2% slower ns/op fails a 1% threshold", "gate-slightly-slower.txt", Options{Threshold: 0.01, Alpha: 0.05}, Fail, []string{"CRUD/arm=ent/op=read-2 sec/op"}, "beyond 1%"},
		{"10% slower ns/op passes when only queries/op is gated", "gate-slower-ns.txt", Options{Threshold: 0.05, Alpha: 0.05, Metrics: []string{"queries/op"}}, Pass, nil, "PASS"},
		{"lower req/s fails (higher is better)", "gate-fewer-reqs.txt", DefaultOptions, Fail, []string{"Parallel/arm=pgx/op=read/conc=16-2 req/s"}, "FAIL"},
		{"one more query per op fails without a p-value", "gate-extra-query.txt", DefaultOptions, Fail, []string{"CRUD/arm=ent/op=update-2 queries/op"}, "FAIL"},
		{"an extra query fails even with a huge threshold", "gate-extra-query.txt", Options{Threshold: 10, Alpha: 0.05}, Fail, []string{"CRUD/arm=ent/op=update-2 queries/op"}, "FAIL"},
		{"improvement passes", "gate-faster.txt", DefaultOptions, Pass, nil, "improvements"},
		{"benchmarks missing from head are inconclusive", "gate-missing.txt", DefaultOptions, Inconclusive, nil, "6 benchmarks of"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compare(load(t, "gate-base.txt", tt.head), tt.opts)
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			if got := r.Status(); got != tt.want {
				t.Errorf("status = %s, want %s; verdict: %s", got, tt.want, r.Verdict())
			}
			if got := regressed(r); strings.Join(got, ",") != strings.Join(tt.wantRegressed, ",") {
				t.Errorf("regressions = %q, want %q", got, tt.wantRegressed)
			}
			if v := r.Verdict(); !strings.Contains(v, tt.wantVerdict) {
				t.Errorf("verdict %q does not contain %q", v, tt.wantVerdict)
			}
		})
	}
}

func TestCompareImprovementIsReportedAsSuch(t *testing.T) {
	r, err := Compare(load(t, "gate-base.txt", "gate-faster.txt"), DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Verdict{
		"CRUD/arm=ent/op=read-2 sec/op":     Improvement,
		"CRUD/arm=ent/op=read-2 req/s":      Improvement,
		"CRUD/arm=ent/op=read-2 allocs/op":  Improvement,
		"CRUD/arm=ent/op=read-2 queries/op": Same,
		"CRUD/arm=pgx/op=read-2 allocs/op":  Same,
	}
	for _, row := range r.Rows {
		if v, ok := want[row.Benchmark+" "+row.Unit]; ok {
			if row.Verdict != v {
				t.Errorf("%s %s: verdict %s, want %s", row.Benchmark, row.Unit, row.Verdict, v)
			}
			delete(want, row.Benchmark+" "+row.Unit)
		}
	}
	for k := range want {
		t.Errorf("%s: not compared", k)
	}
}

func TestCompareTooFewSamples(t *testing.T) {
	r, err := Compare(load(t, "gate-few-base.txt", "gate-few-head.txt"), DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status() != Inconclusive {
		t.Errorf("status = %s, want INCONCLUSIVE", r.Status())
	}
	if r.Count(TooFewSamples) == 0 {
		t.Error("no row has verdict too few samples")
	}
	// Every metric: the U test over 126 rows needs 8 runs a side for two
	// samples wholly apart to reach 0.05 after Holm's correction.
	for _, want := range []string{"have 3 base and 3 head", "need >= 8 per side", "-count 8"} {
		if !strings.Contains(r.Verdict(), want) {
			t.Errorf("verdict %q does not say %q", r.Verdict(), want)
		}
	}
	for _, row := range r.Rows {
		if row.Exact && row.Verdict == TooFewSamples {
			t.Errorf("%s %s: exact units need no samples, got too few samples", row.Benchmark, row.Unit)
		}
	}
}

func TestCompareInputErrors(t *testing.T) {
	tests := []struct {
		name, base, head string
		opts             Options
		wantErr          string
	}{
		{"no benchmark in common", "gate-base.txt", "gate-renamed.txt", DefaultOptions, "no benchmark is in both files"},
		{"unknown metric", "gate-base.txt", "gate-aa.txt", Options{Threshold: 0.05, Alpha: 0.05, Metrics: []string{"widgets/op"}}, `"widgets/op" is in neither file`},
		{"alpha out of range", "gate-base.txt", "gate-aa.txt", Options{Threshold: 0.05, Alpha: 0}, "alpha must be in (0, 1]"},
		{"negative threshold", "gate-base.txt", "gate-aa.txt", Options{Threshold: -1, Alpha: 0.05}, "thresholds must be >= 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compare(load(t, tt.base, tt.head), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, base, head, wantErr string
	}{
		{"missing file", "gate-base.txt", "no-such-file.txt", "no such file"},
		{"unparsable file", "gate-base.txt", "gate-garbled.txt", "gate-garbled.txt:7: missing units"},
		{"file without results", "README.md", "gate-base.txt", "no benchmark results"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(filepath.Join(synthetic, tt.base), filepath.Join(synthetic, tt.head))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("err = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestLoadMergesConcatenatedRuns(t *testing.T) {
	in := load(t, "full-base.txt", "gate-base.txt") // full-base.txt is two runs of 5
	got := len(in.Base.Bench("CRUD/arm=pgx/op=read-2").Metric("sec/op").Values)
	if got != 10 {
		t.Errorf("CRUD/arm=pgx/op=read-2 has %d samples, want 10 from two concatenated runs", got)
	}
	if v := in.Base.ConfigValues("postgres"); len(v) != 1 || v[0] != "15.18" {
		t.Errorf("postgres config = %q, want [15.18]", v)
	}
}

func TestWriteFormats(t *testing.T) {
	r, err := Compare(load(t, "gate-base.txt", "gate-extra-query.txt"), DefaultOptions)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		write func(*Report, *bytes.Buffer) error
		want  []string
	}{
		{"text", func(r *Report, b *bytes.Buffer) error { return r.WriteText(b) }, []string{
			"benchmark", "verdict",
			"CRUD/arm=ent/op=update-2            queries/op    2.000    3.000  +50.00%     exact  10         any  REGRESSION",
		}},
		{"markdown", func(r *Report, b *bytes.Buffer) error { return r.WriteMarkdown(b) }, []string{
			"## crudbench gate: FAIL", "### Regressions",
			"| CRUD/arm=ent/op=update-2 | queries/op | 2.000 | 3.000 | +50.00% | exact | 10 | any | **REGRESSION** |",
			"<details>",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.write(r, &b); err != nil {
				t.Fatal(err)
			}
			out := b.String()
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if last := lines[len(lines)-1]; !strings.Contains(last, "FAIL: 1 regression") {
				t.Errorf("last line %q is not the verdict", last)
			}
		})
	}
}

// TestRealResults runs the gate over every real suite output committed as
// results/*/real-*.txt: a file compared with itself never fails,
// and passes when it has enough samples.
func TestRealResults(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(realResults, "*", "real-*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Skip("no results/*/real-*.txt yet")
	}
	for _, p := range paths {
		t.Run(filepath.Base(p), func(t *testing.T) {
			in, err := Load(p, p)
			if err != nil {
				t.Fatal(err)
			}
			r, err := Compare(in, DefaultOptions)
			if err != nil {
				t.Fatal(err)
			}
			switch st := r.Status(); {
			case st == Fail:
				t.Errorf("A/A of %s failed: %s", p, r.Verdict())
			case st == Inconclusive && r.Count(TooFewSamples) == 0:
				t.Errorf("A/A of %s inconclusive for another reason than samples: %s", p, r.Verdict())
			}
			if err := r.WriteText(&bytes.Buffer{}); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestMain(m *testing.M) {
	if _, err := os.Stat(synthetic); err != nil {
		panic("testdata not found: " + err.Error())
	}
	os.Exit(m.Run())
}

// TestRealAAPair gates a real A/A: crudbench compare on two servers of one
// build, and two runs of one test binary. It must pass; the same ratios
// made 5 % slower must fail on every op, and 1 % slower must not.
func TestRealAAPair(t *testing.T) {
	in := load(t, "real-aa-base.txt", "real-aa-head.txt")
	pairSet := func() *Input {
		set, err := LoadPair(filepath.Join(synthetic, "pair-aa.txt"))
		if err != nil {
			t.Fatal(err)
		}
		return &Input{Base: in.Base, Head: in.Head, Pair: set}
	}
	opts := DefaultOptions
	opts.Metrics = Primary
	for _, tt := range []struct {
		name  string
		scale float64
		want  Status
		regs  int
	}{{"as measured", 1, Pass, 0}, {"1% slower", 1.01, Pass, 0}, {"5% slower", 1.05, Fail, 4}} {
		t.Run(tt.name, func(t *testing.T) {
			in := pairSet()
			for _, b := range in.Pair.Benchmarks {
				m := b.Metric(PairUnit)
				for i := range m.Values {
					m.Values[i] *= tt.scale
				}
			}
			r, err := Compare(in, opts)
			if err != nil {
				t.Fatal(err)
			}
			if r.Status() != tt.want || r.Count(Regression) != tt.regs {
				var b bytes.Buffer
				r.WriteText(&b)
				t.Errorf("status %s with %d regressions, want %s with %d:\n%s", r.Status(), r.Count(Regression), tt.want, tt.regs, b.String())
			}
		})
	}
}

// realAA loads the committed real A/A pair of test binary runs (5 a side),
// and reshapes each side with edit: every metric's values, by unit.
func realAA(t *testing.T, edit func(side, unit string, v []float64) []float64) *Input {
	t.Helper()
	in := load(t, "real-aa-base.txt", "real-aa-head.txt")
	for side, set := range map[string]*results.Set{"base": in.Base, "head": in.Head} {
		for _, b := range set.Benchmarks {
			for _, m := range b.Metrics {
				m.Values = edit(side, m.Unit, m.Values)
			}
		}
	}
	return in
}

// TestRealAASpread: on the real A/A pair, an unchanged head passes; every
// allocs/op raised 15 % fails, at 5 and at 6 runs a side (where a U test
// with Holm's correction could never fail); too few runs are inconclusive,
// naming the runs needed; and the detectable column says what the rule
// applied catches.
func TestRealAASpread(t *testing.T) {
	opts := DefaultOptions
	opts.Metrics = []string{"queries/op", "allocs/op", "B/op"}
	same := func(_, _ string, v []float64) []float64 { return v }
	sixth := func(_, _ string, v []float64) []float64 { return append(v, v[2]) } // a sixth run like the third
	raise := func(by float64, more func(string, string, []float64) []float64) func(string, string, []float64) []float64 {
		return func(side, unit string, v []float64) []float64 {
			v = more(side, unit, v)
			if side == "head" && unit == "allocs/op" {
				for i := range v {
					v[i] *= by
				}
			}
			return v
		}
	}
	for _, tt := range []struct {
		name string
		in   *Input
		want Status
		regs int
	}{
		{"unchanged, 5 runs", realAA(t, same), Pass, 0},
		{"unchanged, 6 runs", realAA(t, sixth), Pass, 0},
		{"allocs/op +15%, 5 runs", realAA(t, raise(1.15, same)), Fail, 18},
		{"allocs/op +15%, 6 runs", realAA(t, raise(1.15, sixth)), Fail, 18},
		{"allocs/op +3%, 5 runs: within the threshold", realAA(t, raise(1.03, same)), Pass, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Compare(tt.in, opts)
			if err != nil {
				t.Fatal(err)
			}
			// tt.regs: every benchmark's allocs/op (18 in the file), or none.
			if r.Status() != tt.want || r.Count(Regression) != tt.regs {
				var b bytes.Buffer
				r.WriteText(&b)
				t.Fatalf("status %s with %d regressions, want %s with %d:\n%s", r.Status(), r.Count(Regression), tt.want, tt.regs, b.String())
			}
			for _, row := range r.Rows {
				if row.Unit == "allocs/op" && (row.Verdict == Regression) != (tt.regs > 0) {
					t.Errorf("%s allocs/op: %s", row.Benchmark, row.Verdict)
				}
				if row.Spread && !(row.MDC > DefaultOptions.Threshold && row.MDC < 0.15) {
					t.Errorf("%s %s: detectable %.3f, want between the threshold and 15 %%", row.Benchmark, row.Unit, row.MDC)
				}
			}
		})
	}
	t.Run("3 runs a side", func(t *testing.T) {
		r, err := Compare(realAA(t, func(_, _ string, v []float64) []float64 { return v[:3] }), opts)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status() != Inconclusive || r.MinSamples != 4 || !strings.Contains(r.Verdict(), "-count 4") {
			t.Errorf("status %s, runs needed %d: %s; want INCONCLUSIVE naming 4 runs", r.Status(), r.MinSamples, r.Verdict())
		}
		for _, row := range r.Rows {
			if row.Spread && (row.Verdict != TooFewSamples || formatMDC(row) != "none") {
				t.Errorf("%s %s: %s, detectable %s; want too few samples, none", row.Benchmark, row.Unit, row.Verdict, formatMDC(row))
			}
		}
	})
	t.Run("every metric, 5 runs", func(t *testing.T) {
		// The times go to the U test: over this many rows, 5 runs a side
		// cannot reach 0.05 after Holm's correction, so the gate cannot
		// pass them.
		r, err := Compare(realAA(t, same), DefaultOptions)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status() != Inconclusive || r.MinSamples <= 5 {
			t.Fatalf("status %s, runs needed %d, want INCONCLUSIVE needing more than 5: %s", r.Status(), r.MinSamples, r.Verdict())
		}
		for _, row := range r.Rows {
			if row.Unit == "sec/op" && (row.Verdict != TooFewSamples || formatMDC(row) != "none") {
				t.Errorf("%s sec/op: %s, detectable %s; want too few samples, none", row.Benchmark, row.Verdict, formatMDC(row))
			}
		}
	})
}

func TestSeparable(t *testing.T) {
	// 1/C(6,3) = 0.05 is not below 0.05; 1/C(8,4) = 1/70 is.
	if separable(3, 3, 0.05) || !separable(4, 4, 0.05) || minSeparable(0.05) != 4 || minSeparable(0.01) != 5 {
		t.Errorf("separable: 3+3 %v, 4+4 %v, min at 0.05 %d, at 0.01 %d; want false, true, 4, 5",
			separable(3, 3, 0.05), separable(4, 4, 0.05), minSeparable(0.05), minSeparable(0.01))
	}
	r := func(blo, bhi, hlo, hhi float64) Row {
		return Row{Spread: true, Better: -1, NBase: 5, NHead: 5, baseRange: spread{blo, bhi}, headRange: spread{hlo, hhi},
			Base: benchmath.Summary{Center: (blo + bhi) / 2}, Head: benchmath.Summary{Center: (hlo + hhi) / 2}}
	}
	for _, tt := range []struct {
		name string
		row  Row
		want Verdict
	}{
		{"head's best beyond base's worst by more than 5%", r(100, 101, 107, 108), Regression},
		{"apart, but by less than 5%", r(100, 101, 103, 104), WithinThreshold},
		{"overlapping", r(100, 110, 105, 120), NotSignificant},
		{"head's worst below base's best by more than 5%", r(100, 101, 90, 94), Improvement},
	} {
		if got := decideSpread(tt.row, DefaultOptions); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	// Spreads of 1 % each side: the head must rise by about 5 % plus both
	// half-spreads.
	if got := spreadDetectable(r(100, 101, 100, 101), DefaultOptions); math.Abs(got-0.0605) > 0.001 {
		t.Errorf("detectable with 1%% spreads: %.4f, want about 0.0605", got)
	}
}
