package gate

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	synthetic   = "../../testdata"               // synthetic result files
	realResults = "../../../../testdata/results" // results of the real suite
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
	for _, want := range []string{"have 3 base and 3 head", "needs >= 4 per side", "-count 4"} {
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
// testdata/results/real-*.txt: a file compared with itself never fails,
// and passes when it has enough samples.
func TestRealResults(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join(realResults, "real-*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Skip("no testdata/results/real-*.txt yet")
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
