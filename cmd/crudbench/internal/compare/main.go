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
)

const usage = `Usage:

	crudbench compare -base-bin BIN -head-bin BIN [flags]
	crudbench compare -base URL -head URL [flags]

Compare compares two builds of crudbench request by request ("pair" is
an older name of this command and still works). With -base-bin
and -head-bin it starts one PostgreSQL server (CRUDBENCH_POSTGRES) and
"BIN serve -arm ARM" of each build on it, each with a database of its own,
and stops them all at the end; with -base and -head it uses two servers
already running, seeded with -rows users.

Every round sends the same request to base and to head, in an order that
alternates, and times each. A block is -rounds rounds of one op; its
sample is the head/base ratio of the two sides' total times. The blocks of
the ops take turns. Results go to stdout (or -o) in the Go benchmark
format, one line per block:

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
	arm := fs.String("arm", "pgx", "arm the servers serve (started with it, or named so in the results)")
	ops := fs.String("ops", strings.Join(Ops, ","), "ops to compare, comma-separated")
	fs.IntVar(&cfg.Rounds, "rounds", 400, "rounds (one request to each side) per block")
	fs.IntVar(&cfg.Blocks, "blocks", 30, "blocks per op: the ratio samples")
	fs.IntVar(&cfg.Warmup, "warmup", 200, "unrecorded rounds per op before the first block")
	fs.IntVar(&cfg.Rows, "rows", serve.DefaultRows, "users seeded in each database")
	out := fs.String("o", "", "write the results to this `file` instead of stdout")
	maxTime := fs.Duration("max-time", 30*time.Minute, "give up after this long")
	if code, ok := cli.Parse(fs, args, stderr, usage); !ok {
		return code
	}
	started := *baseBin != "" || *headBin != ""
	urls := cfg.BaseURL != "" || cfg.HeadURL != ""
	if fs.NArg() > 0 || started == urls || (started && (*baseBin == "" || *headBin == "")) {
		fmt.Fprintln(stderr, "crudbench compare: want either -base-bin and -head-bin, or -base and -head URLs, and no arguments")
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
