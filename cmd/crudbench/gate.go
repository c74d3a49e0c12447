package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/gate"
)

const gateUsage = `Usage: crudbench gate [flags] base.txt head.txt

Gate compares the head benchmark results against the base results the way
benchstat does: for each benchmark and metric in both files it takes the
median of each side and the Mann–Whitney U test's p-value (benchmath).
A metric regresses when it got worse, in its unit's direction, by more
than -threshold with p < -alpha. Time, bytes, allocations and queries are
better lower; req/s (declared "Unit req/s better=higher") is better
higher. Units declared "assume=exact", such as queries/op, are compared
exactly: any change for the worse is a regression, whatever its size,
with no p-value.

The U test needs enough runs of each benchmark: at alpha 0.05 at least 4
per side (go test -count 4), 10 recommended. Benchmarks only in head are
listed as new and not compared.

It prints a table of every compared metric (benchmark, metric, base
median, head median, delta, p, n, verdict) and ends with a verdict line
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
	   samples for the U test to reach -alpha
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
	fs.Float64Var(&opts.Alpha, "alpha", opts.Alpha, "significance level: changes with p >= `α` are noise")
	metrics := fs.String("metrics", "", "comma-separated `list` of metrics (units) to compare, e.g. ns/op,req/s,queries/op (default: all present)")
	format := fs.String("format", "text", "output `format`: text (aligned table) or markdown (for a GitHub job summary)")
	if code, ok := parse(fs, args, gateUsage, gateExitCodes); !ok {
		return code
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(stderr, "crudbench gate: want 2 files, base and head; got %d\n", fs.NArg())
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
	if *metrics != "" {
		for _, m := range strings.Split(*metrics, ",") {
			if m = strings.TrimSpace(m); m != "" {
				opts.Metrics = append(opts.Metrics, m)
			}
		}
	}
	in, err := gate.Load(fs.Arg(0), fs.Arg(1))
	if err != nil {
		fmt.Fprintf(stderr, "crudbench gate: %v\n", err)
		return exitUsage
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
