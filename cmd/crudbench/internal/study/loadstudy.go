package study

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/load"
)

// LoadConfig is a load study: per arm, per operation, the closed-loop
// capacity and then open-loop runs at fractions of it.
type LoadConfig struct {
	Arms      []string
	Ops       []string // of load.Ops
	Rows      int
	Workers   int           // closed-loop clients that find the capacity
	Capacity  time.Duration // how long the closed loop runs
	Fractions []float64     // of the capacity, each an open-loop rate
	Step      time.Duration // how long each open-loop rate runs
	P99Bound  time.Duration // a rate is held when its p99 stays under this
	Exe       Exe
	Out       io.Writer    // results in the Go benchmark format
	ChildLog  io.Writer    // the children's logs
	Log       *slog.Logger // progress and the summary
}

// Held reports whether an open-loop run held its rate: no errors, at least
// 95 % of the rate achieved, and p99 within bound.
func Held(r *load.Result, bound time.Duration) bool {
	return r.Errors == 0 && r.Throughput() >= 0.95*float64(r.Rate) && r.Quantile(0.99) <= bound
}

// LoadSummary is what the load study found for one arm and operation.
type LoadSummary struct {
	Arm, Op     string
	Closed      *load.Result   // the capacity run
	Open        []*load.Result // one per fraction
	HighestHeld int            // highest rate held; 0 if none
}

// Load runs the load study and returns its summaries.
func Load(ctx context.Context, cfg LoadConfig) ([]LoadSummary, error) {
	fmt.Fprintf(cfg.Out, "rows: %d\nworkers: %d\np99-bound: %s\n", cfg.Rows, cfg.Workers, cfg.P99Bound)
	load.WriteUnits(cfg.Out)
	return perArm(ctx, cfg.Exe, cfg.Arms, cfg.Rows, cfg.ChildLog, func(child *Child) ([]LoadSummary, error) {
		return loadArm(ctx, cfg, child)
	})
}

func loadArm(ctx context.Context, cfg LoadConfig, child *Child) (out []LoadSummary, err error) {
	arm := child.Arm
	for _, op := range cfg.Ops {
		s := LoadSummary{Arm: arm, Op: op}
		s.Closed, err = load.Closed(ctx, load.ClosedConfig{URL: child.URL, Op: op, Workers: cfg.Workers, Duration: cfg.Capacity, Rows: cfg.Rows})
		if err != nil {
			return out, fmt.Errorf("capacity of %s %s: %w", arm, op, err)
		}
		load.WriteResult(cfg.Out, arm, s.Closed)
		capacity := s.Closed.Throughput()
		cfg.Log.Info("closed-loop capacity", "arm", arm, "op", op, "result", load.Summary(s.Closed))
		if s.Closed.Errors > 0 {
			return out, fmt.Errorf("capacity of %s %s: %d requests failed, first: %s", arm, op, s.Closed.Errors, s.Closed.FirstError)
		}
		for _, f := range cfg.Fractions {
			rate := max(1, int(f*capacity))
			r, err := load.Open(ctx, load.Config{URL: child.URL, Op: op, Rate: rate, Duration: cfg.Step, Rows: cfg.Rows})
			if err != nil {
				return out, fmt.Errorf("%s %s at %d/s: %w", arm, op, rate, err)
			}
			load.WriteResult(cfg.Out, arm, r)
			cfg.Log.Info("open loop", "arm", arm, "op", op, "fraction", f, "rate", rate, "result", load.Summary(r))
			s.Open = append(s.Open, r)
			if Held(r, cfg.P99Bound) {
				s.HighestHeld = max(s.HighestHeld, rate)
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// WriteLoadSummary writes a table of the summaries: capacity, closed-loop
// p99, the highest rate held and the open-loop p99 at the fraction nearest
// 75 %.
func WriteLoadSummary(w io.Writer, sums []LoadSummary, fractions []float64, bound time.Duration) {
	near := 0
	for i, f := range fractions {
		if abs(f-0.75) < abs(fractions[near]-0.75) {
			near = i
		}
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/1e6) }
	fmt.Fprintf(w, "| arm | op | capacity (%d clients) | closed-loop p99 | highest rate held (p99 ≤ %s) | open-loop p99 at %.0f %% |\n|---|---|--:|--:|--:|--:|\n",
		firstWorkers(sums), bound, fractions[near]*100)
	for _, s := range sums {
		open := "–"
		if near < len(s.Open) {
			open = ms(s.Open[near].Quantile(0.99))
		}
		fmt.Fprintf(w, "| %s | %s | %.0f req/s | %s | %d req/s | %s |\n",
			s.Arm, s.Op, s.Closed.Throughput(), ms(s.Closed.Quantile(0.99)), s.HighestHeld, open)
	}
}

func firstWorkers(sums []LoadSummary) int {
	if len(sums) == 0 {
		return 0
	}
	return sums[0].Closed.Workers
}

func abs(f float64) float64 { return max(f, -f) }
