package soak

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/cli"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/study"
	"github.com/crudbench/crudbench/internal/arms"
)

const usage = `Usage: crudbench soak [flags]

Soak every arm (or -arms) in turn: its own "crudbench serve" child on one
durable PostgreSQL server that the soak starts (CRUDBENCH_POSTGRES chooses
the provider), a short closed loop for its capacity, then open-loop mixed
reads and writes at -fraction of it for -duration, with PostgreSQL
restarted abruptly in the middle (not possible on a server given by DSN:
the soak says so and runs without). Results go to stdout in the Go
benchmark format, logs to stderr.

Checks, each failing the run: no error outside the restart window (503 is
expected inside it), a success after the restart without restarting the
server, every acknowledged create and update stored afterwards, and, when
the samples after -warmup span -slope-window, RSS, live heap, goroutines
and connections drifting by more than -max-slope percent per 10 minutes
beyond the 95 % interval of the drift (one slope fitted before and after
the restart, each side with its own level, leaving out -settle after the
restart window): a drift the run is too short to resolve is reported with
its interval, not failed.

Exit codes: 0 every check held, 1 a check failed or the soak could not
run, 3 bad flags.

Flags:
`

// Main runs the soak command.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("crudbench soak", flag.ContinueOnError)
	armList := fs.String("arms", strings.Join(arms.Names(), ","), "arms to soak, comma-separated")
	cfg := Config{Out: stdout, ChildLog: stderr}
	fs.IntVar(&cfg.Rows, "rows", 10000, "users seeded in each arm's database")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Minute, "open-loop load per arm")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "samples before this are left out of the slopes; 0 means a fifth of -duration")
	fs.DurationVar(&cfg.CapacityTime, "capacity-time", 5*time.Second, "closed loop that finds the capacity")
	fs.IntVar(&cfg.Workers, "workers", 16, "clients of that closed loop")
	fs.Float64Var(&cfg.Fraction, "fraction", 0.75, "open-loop rate as a fraction of the capacity")
	fs.DurationVar(&cfg.Down, "down", 5*time.Second, "how long PostgreSQL stays down in the restart")
	fs.DurationVar(&cfg.Grace, "grace", 5*time.Second, "after PostgreSQL is back, failures still count as the restart's for this long")
	fs.DurationVar(&cfg.Sample, "sample", 2*time.Second, "between runtime samples")
	fs.Float64Var(&cfg.MaxSlope, "max-slope", 1, "most a sampled figure may drift, in percent of its mean per 10 minutes")
	fs.DurationVar(&cfg.SlopeWindow, "slope-window", 5*time.Minute, "shortest span of samples after warm-up on which slopes are checked")
	fs.BoolVar(&cfg.Restart, "restart", true, "restart PostgreSQL in the middle of each arm's load")
	fs.DurationVar(&cfg.Settle, "settle", 90*time.Second, "after the restart window, samples are still left out of the slopes for this long")
	samplesPath := fs.String("samples", "", "write every runtime sample to this CSV file")
	if code, ok := cli.Parse(fs, args, stderr, usage); !ok {
		return code
	}
	for _, a := range strings.Split(*armList, ",") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.Arms = append(cfg.Arms, a)
		}
	}
	switch {
	case len(cfg.Arms) == 0:
		fmt.Fprintln(stderr, "crudbench soak: -arms is empty")
		return cli.ExitUsage
	case cfg.Duration <= 0 || cfg.CapacityTime <= 0 || cfg.Sample <= 0:
		fmt.Fprintln(stderr, "crudbench soak: -duration, -capacity-time and -sample must be positive")
		return cli.ExitUsage
	case cfg.Fraction <= 0 || cfg.Fraction > 2:
		fmt.Fprintln(stderr, "crudbench soak: -fraction must be above 0 and at most 2")
		return cli.ExitUsage
	case cfg.Rows < 1 || cfg.Workers < 1:
		fmt.Fprintln(stderr, "crudbench soak: -rows and -workers must be at least 1")
		return cli.ExitUsage
	case cfg.Restart && cfg.Down+cfg.Grace >= cfg.Duration/2:
		fmt.Fprintln(stderr, "crudbench soak: -down plus -grace must be under half of -duration")
		return cli.ExitUsage
	}
	for _, a := range cfg.Arms {
		if !slices.Contains(arms.Names(), a) {
			fmt.Fprintf(stderr, "crudbench soak: unknown arm %q (want some of %v)\n", a, arms.Names())
			return cli.ExitUsage
		}
	}
	if cfg.Warmup == 0 {
		cfg.Warmup = cfg.Duration / 5
	}
	exe, err := study.DefaultExe()
	if err != nil {
		fmt.Fprintln(stderr, "crudbench soak:", err)
		return cli.ExitFail
	}
	cfg.Exe = exe
	if *samplesPath != "" {
		f, err := os.Create(*samplesPath)
		if err != nil {
			fmt.Fprintln(stderr, "crudbench soak:", err)
			return cli.ExitFail
		}
		defer f.Close()
		cfg.Samples = f
	}
	cfg.Log = cli.Logger(stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, err := Run(ctx, cfg)
	if err != nil {
		cfg.Log.Error("soak could not run", "err", err)
		return cli.ExitFail
	}
	failed := false
	for _, r := range results {
		note := "slopes unchecked: the samples after warm-up span less than -slope-window"
		if r.SlopesChecked {
			note = "slopes checked"
		}
		fmt.Fprintf(stderr, "soak %s: %d requests, %d errors outside the restart, %d inside (by status, 0 for no answer: %v), %d writes acknowledged, %d lost, restarted %v, first success %s after; %s\n",
			r.Arm, r.Requests, r.ErrorsOutside, r.ErrorsRestart, r.RestartStatuses, r.AckedWrites, r.LostWrites, r.Restarted, r.Recovery, note)
		if len(r.Failures) > 0 {
			failed = true
		}
	}
	if failed {
		return cli.ExitFail
	}
	return cli.ExitOK
}
