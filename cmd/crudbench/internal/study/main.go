package study

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/cli"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/load"
	"github.com/crudbench/crudbench/internal/suite"
)

const usage = `Usage:

	crudbench study load [flags]     closed-loop capacity, then open-loop rates, per arm and op
	crudbench study memory [flags]   resident memory per arm, at idle and per workload

Each arm runs as its own "crudbench serve" child on loopback, with
PostgreSQL chosen by CRUDBENCH_POSTGRES. Results go to stdout in the Go
benchmark format, a summary table to stderr. Add -h after the study for its
flags.
`

// Main runs "crudbench study load" or "crudbench study memory" and returns
// the exit code: 0 done, 1 failed, 3 (cli.ExitUsage) usage error.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if len(args) == 0 || (args[0] != "load" && args[0] != "memory") {
		fmt.Fprint(stderr, usage)
		return cli.ExitUsage
	}
	which := args[0]
	fs := flag.NewFlagSet("crudbench study "+which, flag.ContinueOnError)
	armList := fs.String("arms", strings.Join(suite.Arms, ","), "arms to study, comma-separated")
	rows := fs.Int("rows", 10000, "users seeded in each arm's database")
	workers := fs.Int("workers", 16, "concurrent clients of the closed loops")
	maxTime := fs.Duration("max-time", 30*time.Minute, "give up after this long")
	var (
		ops, fractions         *string
		capTime, step, bound   *time.Duration
		requests, bulkRequests *int
	)
	if which == "load" {
		ops = fs.String("ops", strings.Join(load.Ops, ","), "operations, comma-separated")
		fractions = fs.String("fractions", "25,50,75,90", "open-loop rates in percent of the closed-loop capacity")
		capTime = fs.Duration("capacity-time", 3*time.Second, "duration of the closed loop that finds the capacity")
		step = fs.Duration("step", 5*time.Second, "duration of each open-loop rate")
		bound = fs.Duration("p99-bound", 10*time.Millisecond, "a rate is held when p99 stays within this, without errors")
	} else {
		requests = fs.Int("requests", 2000, "requests per single-row workload (at most -rows)")
		bulkRequests = fs.Int("bulk-requests", 20, "requests of the bulk-create workload, 1000 users each")
	}
	if code, ok := cli.Parse(fs, args[1:], stderr, "Usage: crudbench study "+which+" [flags]\n\nFlags:\n"); !ok {
		return code
	}
	exe, err := DefaultExe()
	if err != nil {
		fmt.Fprintln(stderr, "crudbench study:", err)
		return 1
	}
	log := cli.Logger(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *maxTime)
	defer cancel()
	arms := split(*armList)
	if which == "memory" {
		rows, err := Memory(ctx, MemoryConfig{Arms: arms, Rows: *rows, Requests: *requests, BulkRequests: *bulkRequests,
			Workers: *workers, Exe: exe, Out: stdout, ChildLog: stderr, Log: log})
		WriteMemorySummary(stderr, rows)
		if err != nil {
			log.Error("memory study failed", "err", err)
			return 1
		}
		return 0
	}
	var fr []float64
	for _, f := range split(*fractions) {
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || v <= 0 || v > 200 {
			fmt.Fprintf(stderr, "crudbench study load: -fractions %q: want percentages above 0\n", *fractions)
			return cli.ExitUsage
		}
		fr = append(fr, v/100)
	}
	for _, op := range split(*ops) {
		if !slices.Contains(load.Ops, op) {
			fmt.Fprintf(stderr, "crudbench study load: -ops: %q is not one of %v\n", op, load.Ops)
			return cli.ExitUsage
		}
	}
	sums, err := Load(ctx, LoadConfig{Arms: arms, Ops: split(*ops), Rows: *rows, Workers: *workers, Capacity: *capTime,
		Fractions: fr, Step: *step, P99Bound: *bound, Exe: exe, Out: stdout, ChildLog: stderr, Log: log})
	WriteLoadSummary(stderr, sums, fr, *bound)
	if err != nil {
		log.Error("load study failed", "err", err)
		return 1
	}
	return 0
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
