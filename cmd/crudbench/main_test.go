package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/crudbench/crudbench/internal/arms"
)

const results = "testdata"

func r(name string) string { return filepath.Join(results, name) }

func TestGateExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantOut    string // substring of stdout
		wantStderr string // substring of stderr
	}{
		{"A/A comparison passes", []string{r("gate-base.txt"), r("gate-aa.txt")}, 0, "PASS: no regression", ""},
		{"10% slower ns/op fails with -metrics all", []string{"-metrics", "all", r("gate-base.txt"), r("gate-slower-ns.txt")}, 1, "CRUD/arm=ent/op=read-2 sec/op +1", ""},
		{"10% slower ns/op is not gated by default", []string{r("gate-base.txt"), r("gate-slower-ns.txt")}, 0, "PASS", ""},
		{"lower req/s fails with -metrics req/s", []string{"-metrics", "req/s", r("gate-base.txt"), r("gate-fewer-reqs.txt")}, 1, "Parallel/arm=pgx/op=read/conc=16-2 req/s -", ""},
		{"an extra query per op fails", []string{r("gate-base.txt"), r("gate-extra-query.txt")}, 1, "CRUD/arm=ent/op=update-2 queries/op +50.00% (exact)", ""},
		{"an improvement passes", []string{r("gate-base.txt"), r("gate-faster.txt")}, 0, "improvements", ""},
		{"markdown output", []string{"-format", "markdown", r("gate-base.txt"), r("gate-extra-query.txt")}, 1, "## crudbench gate: FAIL", ""},
		{"-threshold makes a small slowdown fail", []string{"-metrics", "all", "-threshold", "1%", r("gate-base.txt"), r("gate-slightly-slower.txt")}, 1, "beyond 1%", ""},
		{"-metrics limits the comparison", []string{"-metrics", "queries/op", r("gate-base.txt"), r("gate-slower-ns.txt")}, 0, "PASS", ""},
		{"benchmarks missing from head", []string{r("gate-base.txt"), r("gate-missing.txt")}, 2, "INCONCLUSIVE", "6 benchmarks of"},
		{"no benchmark in common", []string{r("gate-base.txt"), r("gate-renamed.txt")}, 2, "", "no benchmark is in both files"},
		{"too few samples", []string{r("gate-few-base.txt"), r("gate-few-head.txt")}, 2, "too few samples", "need >= 4 per side to reach p < 0.05"},
		{"too few samples at a stricter alpha", []string{"-alpha", "0.01", r("gate-few-base.txt"), r("gate-few-head.txt")}, 2, "", "need >= 5 per side to reach p < 0.01"},
		{"missing file", []string{r("gate-base.txt"), r("nope.txt")}, 3, "", "no such file"},
		{"unparsable file", []string{r("gate-base.txt"), r("gate-garbled.txt")}, 3, "", "gate-garbled.txt:7: missing units"},
		{"one file only", []string{r("gate-base.txt")}, 3, "", "want 2 files"},
		{"bad threshold", []string{"-threshold", "lots", r("gate-base.txt"), r("gate-aa.txt")}, 3, "", "parsing threshold"},
		{"bad format", []string{"-format", "html", r("gate-base.txt"), r("gate-aa.txt")}, 3, "", "-format must be text or markdown"},
		{"unknown metric", []string{"-metrics", "widgets/op", r("gate-base.txt"), r("gate-aa.txt")}, 3, "", `"widgets/op" is in neither file`},
		{"unknown flag", []string{"-treshold", "1%", r("gate-base.txt"), r("gate-aa.txt")}, 3, "", "flag provided but not defined"},
		{"alpha out of range", []string{"-alpha", "2", r("gate-base.txt"), r("gate-aa.txt")}, 3, "", "alpha must be in (0, 1]"},
		{"help", []string{"-h"}, 0, "", "Exit codes:"},
		{"real A/A: a pair of one build and two runs of its test binary pass", []string{"-pair", r("pair-aa.txt"), r("real-aa-base.txt"), r("real-aa-head.txt")}, 0, "PASS", ""},
		{"real A/A pair alone passes", []string{"-pair", r("pair-aa.txt")}, 0, "Pair/arm=pgx/op=read", ""},
		{"a negative -pair-threshold", []string{"-pair-threshold", "-50%", "-pair", r("pair-aa.txt")}, 3, "", "parsing threshold"},
		{"a results file is not a pair file", []string{"-pair", r("gate-base.txt")}, 3, "", "no head/base samples"},
		{"-pair and one file", []string{"-pair", r("pair-aa.txt"), r("gate-base.txt")}, 3, "", "want 2 files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(append([]string{"gate"}, tt.args...), &stdout, &stderr)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, tail(stdout.String()), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.wantOut) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantOut, tail(stdout.String()))
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr.String())
			}
		})
	}
}

// TestGateRealAASpread gates the committed real A/A pair of test binary
// runs, as files: unchanged it passes; with every allocs/op of head raised
// 15 % it fails, at 5 runs a side and at 6; at 3 runs a side it exits 2
// naming the runs needed.
func TestGateRealAASpread(t *testing.T) {
	read := func(name string) []string {
		b, err := os.ReadFile(r(name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(string(b), "\n")
	}
	allocs := regexp.MustCompile(`(\d+) allocs/op`)
	raise := func(lines []string) []string {
		out := make([]string, len(lines))
		for i, l := range lines {
			out[i] = allocs.ReplaceAllStringFunc(l, func(m string) string {
				n, _ := strconv.Atoi(allocs.FindStringSubmatch(m)[1])
				return fmt.Sprintf("%.2f allocs/op", float64(n)*1.15)
			})
		}
		return out
	}
	// runs keeps the first k runs of each benchmark, or with k > 5 adds
	// copies of the third run.
	runs := func(k int) func([]string) []string {
		return func(lines []string) []string {
			var out []string
			seen := map[string]int{}
			for _, l := range lines {
				name, _, ok := strings.Cut(l, " ")
				if !strings.HasPrefix(l, "Benchmark") || !ok {
					out = append(out, l)
					continue
				}
				if seen[name]++; seen[name] <= k {
					out = append(out, l)
				}
				if seen[name] == 3 {
					for range k - 5 {
						out = append(out, l)
					}
				}
			}
			return out
		}
	}
	write := func(name string, lines []string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	same := func(l []string) []string { return l }
	for _, tt := range []struct {
		name       string
		keep       func([]string) []string
		head       func([]string) []string
		wantCode   int
		wantOutput string
	}{
		{"unchanged", same, same, 0, "PASS"},
		{"allocs/op +15%, 5 runs", same, raise, 1, "allocs/op +15.00% (head's best run beyond base's worst)"},
		{"allocs/op +15%, 6 runs", runs(6), raise, 1, "FAIL: 18 regressions"},
		{"3 runs", runs(3), same, 2, "-count 4 or more"},
		{"3 runs, allocs/op +15%", runs(3), raise, 2, "-count 4 or more"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := write("base.txt", tt.keep(read("real-aa-base.txt")))
			head := write("head.txt", tt.head(tt.keep(read("real-aa-head.txt"))))
			var stdout, stderr bytes.Buffer
			code := run([]string{"gate", base, head}, &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stdout.String()+stderr.String(), tt.wantOutput) {
				t.Errorf("exit %d, want %d with %q:\n%s\n%s", code, tt.wantCode, tt.wantOutput, tail(stdout.String()), stderr.String())
			}
		})
	}
}

// TestUsageDocumentsEveryFlag checks the help text of each command names
// every flag and the exit codes.
func TestUsageDocumentsEveryFlag(t *testing.T) {
	tests := []struct {
		cmd  string
		want []string
	}{
		{"compare", []string{"-base-bin", "-head-bin", "-base", "-head", "-arm", "-ops", "-rounds", "-blocks", "-warmup", "-rows", "-o", "Exit codes",
			"-arms", "-target", "-bin", "-clients", "-slice", "-slices", "-discard", "-tail-slice", "-tail-slices", "-tail-fraction", "-cpu-slice", "-cpu-slices", "-cpu-fraction", "-seed", "-arm-bins", "-build-arms", "-no-control"}},
		{"gate", []string{"-threshold", "-pair", "-pair-threshold", "Holm", "primary", "-alpha", "-metrics", "-format", "0  no regression", "1  at least one metric regressed", "2  the gate could not decide", "3  usage or input error"}},
		{"report", []string{"-o dir", "0  report written", "3  usage or input error"}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"help", tt.cmd}, &stdout, &stderr); code != 0 {
				t.Fatalf("help %s: exit %d: %s", tt.cmd, code, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("help %s lacks %q:\n%s", tt.cmd, w, stdout.String())
				}
			}
		})
	}
}

// TestCompareUsage checks bad flags under the command's name and under
// its older name, "pair", which still works.
func TestCompareUsage(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"-base", "http://127.0.0.1:1"},
		{"-base-bin", "a", "-head", "http://127.0.0.1:1"},
		{"-base", "http://a", "-head", "http://b", "-ops", "delete"},
		{"-base", "http://a", "-head", "http://b", "extra"},
		{"-arms", "nosuch"},
		{"-arms", "pgx", "-base", "http://a"},
		{"-arms", "pgx", "-slices", "1"},
		{"-arms", "pgx", "-ops", "delete"},
		{"-target", "name=a,url=ftp://b"},
		{"-target", "name=a,url=http://b"}, // no second target
		{"-bin", "nameonly"},
		{"-arms", "pgx", "-build-arms", "-arm-bins", "/tmp"},
	} {
		for _, name := range []string{"compare", "pair"} {
			var stdout, stderr bytes.Buffer
			if code := run(append([]string{name}, args...), &stdout, &stderr); code != 3 {
				t.Errorf("%s %q: exit %d, want 3; stderr: %s", name, args, code, stderr.String())
			}
		}
	}
}

func TestReport(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"writes the report", []string{"-o", dir, r("full-base.txt")}, 0, ""},
		{"no input", []string{"-o", dir}, 3, "want at least one results file"},
		{"unparsable input", []string{"-o", dir, r("gate-garbled.txt")}, 3, "missing units"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(append([]string{"report"}, tt.args...), &stdout, &stderr); code != tt.wantCode {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantStderr) {
				t.Errorf("stderr lacks %q: %s", tt.wantStderr, stderr.String())
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "report.md")); err != nil {
		t.Errorf("report.md not written: %v", err)
	}
}

func TestTopLevel(t *testing.T) {
	tests := []struct {
		args       []string
		wantCode   int
		wantOut    string // substring of stdout
		wantStderr string // substring of stderr
	}{
		{[]string{"bench"}, 3, "", `unknown command "bench"`},
		{[]string{"help", "bench"}, 3, "", `unknown command "bench"`},
		{nil, 3, "", "crudbench -version"},
		{[]string{"help"}, 0, "crudbench -version", ""},
		{[]string{"-version"}, 0, "crudbench ", ""},
		{[]string{"-version"}, 0, runtime.Version(), ""},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(tt.args, &stdout, &stderr)
		if code != tt.wantCode || !strings.Contains(stdout.String(), tt.wantOut) || !strings.Contains(stderr.String(), tt.wantStderr) {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want %d, %q, %q", tt.args, code, stdout.String(), stderr.String(), tt.wantCode, tt.wantOut, tt.wantStderr)
		}
	}
}

func tail(s string) string {
	lines := strings.Split(s, "\n")
	return strings.Join(lines[max(0, len(lines)-8):], "\n")
}

// TestUsageArms holds every help text to the table of arms: the top-level
// help and each command's list the arms of package arms, never a stale set.
func TestUsageArms(t *testing.T) {
	texts := map[string]string{"help": usage}
	for name := range commands {
		var stdout, stderr bytes.Buffer
		run([]string{"help", name}, &stdout, &stderr)
		texts["help "+name] = stdout.String() + stderr.String()
	}
	for name, text := range texts {
		for _, s := range arms.StaleSets(text) {
			t.Errorf("crudbench %s: %s", name, s)
		}
	}
	if !strings.Contains(usage, "serve -arm "+arms.Usage(arms.Names())) {
		t.Errorf("crudbench help does not list the arms %v:\n%s", arms.Names(), usage)
	}
}
