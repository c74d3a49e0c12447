package load

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/cli"
)

// Main parses the load command's flags, runs one open-loop load and writes
// its result in the Go benchmark format to stdout. It returns 0 when every
// request succeeded, 1 when any failed or the run could not be made, 3 on a
// usage error.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("crudbench load", flag.ContinueOnError)
	var cfg Config
	var arm string
	fs.StringVar(&cfg.URL, "url", "", "base URL of a crudbench server, e.g. http://127.0.0.1:8080")
	fs.IntVar(&cfg.Rate, "rate", 100, "requests per second")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "how long to send")
	fs.StringVar(&cfg.Op, "op", "read", fmt.Sprintf("operation: one of %v", Ops))
	fs.Uint64Var(&cfg.MaxRequests, "max-requests", 0, "stop after this many requests (0: no limit)")
	fs.IntVar(&cfg.Rows, "rows", 10000, "seeded users of the server: ids are picked from 1..rows")
	fs.Uint64Var(&cfg.MaxWorkers, "max-workers", 0, "most requests in flight at once (0: 10,000)")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "per request")
	fs.StringVar(&arm, "arm", "any", "arm name to put in the result line")
	if code, ok := cli.Parse(fs, args, stderr, `Usage: crudbench load -url URL [flags]

Sends requests at a constant rate (open loop: a slow answer does not delay
the next request) and writes p50, p90, p99, p99.9 and max latency, errors
and achieved throughput as a Go benchmark line. Latency counts from each
request's intended send time. Exits 1 if any request failed.

Flags:
`); !ok {
		return code
	}
	if err := cfg.check(); err != nil {
		fmt.Fprintln(stderr, "crudbench load:", err)
		return cli.ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := cli.Logger(stderr)
	log.Info("sending load", "url", cfg.URL, "op", cfg.Op, "rate", cfg.Rate, "duration", cfg.Duration)
	r, err := Open(ctx, cfg)
	if err != nil {
		log.Error("load failed", "err", err)
		return 1
	}
	WriteUnits(stdout)
	WriteResult(stdout, arm, r)
	log.Info("load done", "result", Summary(r))
	if r.Errors > 0 {
		log.Error("requests failed", "errors", r.Errors, "first", r.FirstError)
		return 1
	}
	return 0
}
