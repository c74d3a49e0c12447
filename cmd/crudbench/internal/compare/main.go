package compare

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/cli"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/serve"
	"github.com/crudbench/crudbench/internal/paired"
)

const usage = `Usage:

	crudbench compare -arms pgx,sql,ent [flags]
	crudbench compare -arms pgx -peers rust,flask-raw-gunicorn [flags]
	crudbench compare -target name=N,url=URL[,dsn=DSN][,pid=PID][,cgroup=DIR] ... [flags]
	crudbench compare -bin NAME=BIN -bin NAME=BIN -arm ARM [flags]
	crudbench compare -base-bin BIN -head-bin BIN [flags]
	crudbench compare -base URL -head URL [flags]

Compare measures servers side by side in time ("pair" is an older name of
this command and still works).

N targets (-arms, -peers, -target, -bin): arms and builds are "crudbench serve"
children it starts on one PostgreSQL server (CRUDBENCH_POSTGRES), each on
its own clone of one database seeded with -rows users; URL targets are
servers already running, named with the DSN of the database they serve and
the PID of their process tree where known. The first target is the
reference; a control, the reference a second time in its own process on
its own clone (named with a trailing '), is added for arms and builds; for
URL targets, start one and name it so.

Peers (-peers) are the servers of the contract in other languages under
peers/ (internal/peer), started like arms, after them, each on its own
clone of the same seeded database, so that they serve the same data; their
process group is their process tree (gunicorn's workers, say). Run it in
the repository, with the peers' Debian packages installed (the error says
which). A peer is the reference, with its control, only when no arm or
build is given.

Per op it runs, in rounds whose order is a fresh shuffle from -seed:

  capacity: each target in turn gets a -slice of closed-loop load from
    -clients clients, the first -discard of it not counted; -slices rounds;
    per round, each target's throughput over the reference's;
  CPU per request over the same slices: the server's process tree
    (each process's CPU-time clock, ended threads included, or cgroup v2 cpu.stat), its PostgreSQL
    backends (pg_stat_activity by database, read from /proc), and this
    process, divided by the requests answered;
  tail latency at equal load: each target in turn gets a -tail-slice of
    open-loop load at -tail-fraction of the slowest target's capacity,
    latency from the intended send time; -tail-slices rounds; p50, p95 and
    p99 pooled over the rounds (a percentile is named only with 10 samples
    beyond it), bootstrap intervals over rounds;
  CPU per request at equal load, all targets at once: -cpu-slices slices
    of -cpu-slice in which every target at the same time gets open-loop
    load at one rate, -cpu-fraction of the slowest target's capacity
    divided by the number of targets; each target's server and PostgreSQL
    CPU, read for all targets just before and after the slice, divided by
    the requests it answered; per slice each target's ratio to the
    reference, geometric mean and 95% interval over slices. The machine's
    speed varies from one moment to the next alike for every process
    running then, so ratios within one slice are far steadier than ratios
    of slices at different times. This process's CPU serves all targets
    at once and is not counted here;
  memory: PSS and RSS summed over each server's process tree at idle and
    after the ops, and each server binary's size.

Results go to stdout (or -o) in the Go benchmark format (BenchmarkCompare*
families, which crudbench report reads); a summary goes to stderr.

Two builds (-base-bin and -head-bin, or -base and -head URLs): every round
sends the same request to base and to head, one at a time, in an order
drawn from a seeded generator (CRUDBENCH_PAIRED_ORDER: shuffle or williams;
CRUDBENCH_PAIRED_SEED: the seed, random when unset, recorded in the
results' config lines), and times each. A block is -rounds rounds of one
op; its sample is the head/base ratio of the two sides' times. Results, one line per block:

	BenchmarkPair/arm=pgx/op=read  200  1.0021 head/base  151200 base-ns/op  151500 head-ns/op

where crudbench gate -pair reads them; a summary table goes to stderr.

Exit codes: 0 done, 1 the run failed, 3 bad flags.

Flags:
`

// Main runs "crudbench compare" and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("crudbench compare", flag.ContinueOnError)
	cfg := Config{}
	fs.StringVar(&cfg.BaseURL, "base", "", "base `URL` of a running base server")
	fs.StringVar(&cfg.HeadURL, "head", "", "base `URL` of a running head server")
	baseBin := fs.String("base-bin", "", "crudbench `binary` of the base build, to start")
	headBin := fs.String("head-bin", "", "crudbench `binary` of the head build, to start")
	arm := fs.String("arm", "pgx", "arm the builds serve (started with it, or named so in the results)")
	ops := fs.String("ops", strings.Join(Ops, ","), "ops to compare, comma-separated: "+strings.Join(Ops, ", "))
	fs.IntVar(&cfg.Rounds, "rounds", 400, "rounds (one request to each side) per block")
	fs.IntVar(&cfg.Blocks, "blocks", 30, "blocks per op: the ratio samples")
	fs.IntVar(&cfg.Warmup, "warmup", 200, "unrecorded rounds per op before the first block")
	fs.IntVar(&cfg.Rows, "rows", serve.DefaultRows, "users seeded in each database")
	out := fs.String("o", "", "write the results to this `file` instead of stdout")
	maxTime := fs.Duration("max-time", 30*time.Minute, "give up after this long")
	n := nFlags(fs)
	if code, ok := cli.Parse(fs, args, stderr, usage); !ok {
		return code
	}
	if n.any() {
		if *baseBin != "" || *headBin != "" || cfg.BaseURL != "" || cfg.HeadURL != "" || fs.NArg() > 0 {
			fmt.Fprintln(stderr, "crudbench compare: -arms, -target and -bin do not mix with -base, -head, -base-bin, -head-bin or arguments")
			return cli.ExitUsage
		}
		return n.main(args, *arm, *ops, cfg.Rows, *out, *maxTime, stderr, stdout)
	}
	started := *baseBin != "" || *headBin != ""
	urls := cfg.BaseURL != "" || cfg.HeadURL != ""
	if fs.NArg() > 0 || started == urls || (started && (*baseBin == "" || *headBin == "")) {
		fmt.Fprintln(stderr, "crudbench compare: want either -base-bin and -head-bin, or -base and -head URLs, and no arguments")
		return cli.ExitUsage
	}
	var err error
	if cfg.Order, err = paired.ConfigFromEnv(); err != nil {
		fmt.Fprintln(stderr, "crudbench compare:", err)
		return cli.ExitUsage
	}
	for _, op := range strings.Split(*ops, ",") {
		if op = strings.TrimSpace(op); op != "" {
			cfg.Ops = append(cfg.Ops, op)
		}
	}
	log := cli.Logger(stderr)
	cfg.Log = log
	if started {
		cfg.BaseURL, cfg.HeadURL = "http://base", "http://head" // checked now, replaced below
	}
	if err := cfg.check(); err != nil {
		fmt.Fprintln(stderr, "crudbench compare:", err)
		return cli.ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *maxTime)
	defer cancel()
	res, err := func() (res []OpResult, err error) {
		if started {
			s, err := StartServers(ctx, *baseBin, *headBin, *arm, cfg.Rows, log, stderr)
			if err != nil {
				return nil, err
			}
			defer func() { err = errors.Join(err, s.Stop()) }()
			cfg.BaseURL, cfg.HeadURL = s.Base.URL, s.Head.URL
		}
		return Measure(ctx, cfg)
	}()
	if err != nil {
		log.Error("compare failed", "err", err)
		return cli.ExitFail
	}
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(stderr, "crudbench compare:", err)
			return cli.ExitFail
		}
		defer f.Close()
		w = f
	}
	if _, err := io.WriteString(w, cfg.Order.ConfigLines()); err != nil {
		fmt.Fprintln(stderr, "crudbench compare:", err)
		return cli.ExitFail
	}
	if err := Write(w, *arm, cfg.Rounds, res); err != nil {
		fmt.Fprintln(stderr, "crudbench compare:", err)
		return cli.ExitFail
	}
	if err := WriteSummary(stderr, *arm, res, 0.05); err != nil {
		fmt.Fprintln(stderr, "crudbench compare:", err)
		return cli.ExitFail
	}
	return cli.ExitOK
}
