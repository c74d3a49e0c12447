package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/report"
)

const reportUsage = `Usage: crudbench report [flags] results.txt...

Report writes DIR/report.md and the charts it embeds, each as PNG and SVG:
the environment (the files' configuration lines), mean, p95 and p99
latency per CRUD operation with the arms side by side, throughput per
operation and, with p50 and p99 latency, per concurrency level,
allocations per operation, bulk
time and time per row against batch size (log axes), each arm's latency
relative to pgx with 95% confidence intervals and its queries per
request. Samples of the same benchmark from all
files are pooled; values are medians with 95% confidence intervals, which
need at least 6 runs per benchmark (go test -count 6; 10 recommended).
Too few runs are listed under Warnings.

Flags:

`

const reportExitCodes = `
Exit codes:

	0  report written
	3  usage or input error: no file, a missing or unparsable file, a
	   file without results, or the report could not be written
`

// runReport implements "crudbench report".
func runReport(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("o", "report", "write report.md and the charts into `dir`, created if needed")
	if code, ok := parse(fs, args, reportUsage, reportExitCodes); !ok {
		return code
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "crudbench report: want at least one results file")
		fs.Usage()
		return exitUsage
	}
	files, err := report.Generate(*dir, fs.Args()...)
	if err != nil {
		fmt.Fprintf(stderr, "crudbench report: %v\n", err)
		return exitUsage
	}
	fmt.Fprintf(stdout, "wrote %d files to %s, start with %s\n", len(files), *dir, files[len(files)-1])
	return exitOK
}
