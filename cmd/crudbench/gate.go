package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/gate"
)

const gateUsage = `Usage: crudbench gate [flags] [-pair pair.txt] base.txt head.txt
       crudbench gate [flags] -pair pair.txt

Gate decides whether the head build regressed against the base build.

Time comes from -pair, the output of "crudbench compare": head/base ratios of
the two builds' request times, measured request by request in alternation
(one sample per block). Each benchmark's ratios are tested one-sided with
Student's t on their logarithms; a row regresses when the ratio is above
1 + -pair-threshold (default 2%) with p < -alpha. The threshold is not 0
because two servers of one build differ a little from run to run, more
than the blocks of one run show; it is well below 5% so that a 5%
slowdown is caught. Each row shows the change its test can detect (see
below). The measured A/A ratios and block variation are in the project's
results folder (results/*/README.md).

The other metrics come from base.txt and head.txt, go test -bench output of
the two builds' test binaries, compared the way benchstat does: the median
of each side and the Mann–Whitney U test's p-value (benchmath). Such a
metric regresses when it got worse, in its unit's direction, by more than
-threshold with p < -alpha. Time, bytes, allocations and queries are
better lower; req/s (declared "Unit req/s better=higher") is better
higher. Units declared "assume=exact", such as queries/op, are compared
exactly: any change for the worse is a regression, with no p-value.
allocs/op and B/op, which vary by a fraction of a percent from run to run,
are compared by their spreads, with no rank test: a regression when head's
best run is worse than base's worst by more than -threshold (shown as p
"spread"). A rank test could never fail them at the run counts people use:
5 runs a side give a smallest p of 0.0079, which Holm's correction over a
few dozen rows lifts far above -alpha.

By default the gate decides on the primary metrics: head/base (paired
time), queries/op, allocs/op and B/op, those present. The test binaries'
times (sec/op, p95-sec/op, sec/row, req/s) vary far more from run to run
and would need a far larger threshold; -metrics all gates every metric,
-metrics LIST the ones listed.

Many rows are tested at once, so the p-values are adjusted by Holm's
method over every row that has one: the chance that an unchanged build
fails on any row stays below -alpha. The table shows p raw→adjusted, and
per row "detectable": the smallest worsening its test catches with power
0.8 at its sample size and Holm's strictest level (alpha over the number
of rows), by the normal approximation; "any" for exact units; for
allocs/op and B/op, how far head must move for its best run to clear
base's worst by -threshold; "none" when the row's test cannot decide at
all with so few runs. A paired row's figure includes -pair-threshold.

Every test needs enough runs of each benchmark, and a comparison that
cannot reach significance is never a pass: it exits 2, naming the runs
needed. The spread rule needs 4 runs a side at alpha 0.05 (two samples of
one distribution fall wholly apart with chance 1/70); the U test needs
two samples wholly apart to reach alpha after Holm's correction over all
its rows, which for the test binaries' times over a whole suite takes 8
or more. Benchmarks only in head are listed as new and not compared.

It prints a table of every compared metric (benchmark, metric, base,
head, delta, p, n, detectable, verdict) and ends with a verdict line
starting PASS, FAIL or INCONCLUSIVE. Like benchstat it shows time in
seconds with SI prefixes: ns/op is sec/op (150.0µ is 150µs), p95-ns/op is
p95-sec/op, ns/row is sec/row; -metrics accepts either spelling.

Flags:

`

const gateExitCodes = `
Exit codes:

	0  no regression (PASS)
	1  at least one metric regressed (FAIL); this wins over exit 2 when
	   other metrics could not be decided
	2  the gate could not decide (INCONCLUSIVE): no benchmark in common,
	   a benchmark or metric of base missing from head, or too few
	   samples for the test to reach -alpha after Holm's correction
	   (the runs needed are named)
	3  usage or input error: a bad flag or flag value, an unknown
	   -metrics unit, not two files, a missing, unreadable or unparsable
	   file, or the output could not be written
`

// runGate implements "crudbench gate".
func runGate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	opts := gate.DefaultOptions
	fs.Func("threshold", "fail when a metric gets worse by more than this `percent`, e.g. 5% (default 5%)", func(s string) error {
		v, err := gate.ParseThreshold(s)
		opts.Threshold = v
		return err
	})
	fs.Func("pair-threshold", "fail when the paired head/base ratio is above 1 + this `percent` (default 2%)", func(s string) error {
		v, err := gate.ParseThreshold(s)
		opts.PairThreshold = v
		return err
	})
	fs.Float64Var(&opts.Alpha, "alpha", opts.Alpha, "family-wise significance level (Holm): changes with adjusted p >= `α` are noise")
	metrics := fs.String("metrics", "primary", "comma-separated `list` of metrics (units) to gate, e.g. head/base,ns/op,queries/op; primary: head/base,queries/op,allocs/op,B/op; all: every metric present")
	pairFile := fs.String("pair", "", "`file` of crudbench compare results: head/base time ratios")
	format := fs.String("format", "text", "output `format`: text (aligned table) or markdown (for a GitHub job summary)")
	if code, ok := parse(fs, args, gateUsage, gateExitCodes); !ok {
		return code
	}
	if fs.NArg() != 2 && !(fs.NArg() == 0 && *pairFile != "") {
		fmt.Fprintf(stderr, "crudbench gate: want 2 files, base and head (or none with -pair); got %d\n", fs.NArg())
		fs.Usage()
		return exitUsage
	}
	write := (*gate.Report).WriteText
	switch *format {
	case "text":
	case "markdown":
		write = (*gate.Report).WriteMarkdown
	default:
		fmt.Fprintf(stderr, "crudbench gate: -format must be text or markdown, not %q\n", *format)
		return exitUsage
	}
	in := &gate.Input{}
	var err error
	if fs.NArg() == 2 {
		if in, err = gate.Load(fs.Arg(0), fs.Arg(1)); err != nil {
			fmt.Fprintf(stderr, "crudbench gate: %v\n", err)
			return exitUsage
		}
	}
	if *pairFile != "" {
		if in.Pair, err = gate.LoadPair(*pairFile); err != nil {
			fmt.Fprintf(stderr, "crudbench gate: %v\n", err)
			return exitUsage
		}
	}
	switch *metrics {
	case "primary":
		opts.Metrics = gate.PrimaryPresent(in)
		if len(opts.Metrics) == 0 {
			fmt.Fprintf(stderr, "crudbench gate: none of the primary metrics (%s) is in the files: pass -metrics all or a list\n", strings.Join(gate.Primary, ","))
			return exitUsage
		}
	case "all", "":
	default:
		for _, m := range strings.Split(*metrics, ",") {
			if m = strings.TrimSpace(m); m != "" {
				opts.Metrics = append(opts.Metrics, m)
			}
		}
	}
	rep, err := gate.Compare(in, opts)
	if err != nil {
		fmt.Fprintf(stderr, "crudbench gate: %v\n", err)
		if errors.Is(err, gate.ErrNoCommon) {
			return exitUndecided
		}
		return exitUsage
	}
	if err := write(rep, stdout); err != nil {
		fmt.Fprintf(stderr, "crudbench gate: %v\n", err)
		return exitUsage
	}
	switch rep.Status() {
	case gate.Fail:
		return exitRegression
	case gate.Inconclusive:
		fmt.Fprintf(stderr, "crudbench gate: %s\n", rep.Verdict())
		return exitUndecided
	}
	return exitOK
}
