// Package serve runs one arm of crudbench as a standalone HTTP server on a
// PostgreSQL provisioned the way the tests provision it, for load and
// memory measurements from outside the process.
package serve

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/cli"
	"github.com/crudbench/crudbench/httpapi"
	"github.com/crudbench/crudbench/internal/arms"
	"github.com/crudbench/crudbench/internal/pgserver"
	"github.com/crudbench/crudbench/internal/seed"
	"github.com/jackc/pgx/v5"
)

// ReadyPrefix starts the line written to Config.Stdout once the server
// accepts requests; the base URL follows it.
const ReadyPrefix = "listening on "

// DefaultRows is the number of users seeded unless Config.Rows says
// otherwise, the same as the benchmarks' default.
const DefaultRows = 10000

// ShutdownTimeout bounds how long draining may take. The read, write and
// idle timeouts are httpapi.NewServer's, derived from the request deadline.
const ShutdownTimeout = 15 * time.Second

// Config is what Run serves.
type Config struct {
	Arm    string // an arm or variant of package arms
	Addr   string // host:port to listen on; port 0 picks a free one
	Public bool   // allow a non-loopback Addr
	Rows   int    // users to seed; at least MinRows
	// DSNOut, if set, names a file that receives the database's DSN once
	// it is seeded.
	DSNOut string
	// Template, if set, names a database on the same server, already
	// seeded with Rows users, that the served database is cloned from
	// (CREATE DATABASE … TEMPLATE) instead of being seeded anew.
	Template string
	Stdout   io.Writer    // receives the ready line; nil discards it
	Logger   *slog.Logger // nil means slog.Default()
}

// MinRows is the fewest users Run seeds: the relation users must exist.
const MinRows = 2 * seed.RelationUsers

// Main parses the serve command's flags and serves until SIGINT or SIGTERM.
// It returns the process exit code: 0 after a clean shutdown, 1 on a
// failure, 3 (cli.ExitUsage) on a usage error.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("crudbench serve", flag.ContinueOnError)
	var cfg Config
	fs.StringVar(&cfg.Arm, "arm", "", "arm to serve: "+arms.Usage(arms.Names()))
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on; port 0 picks a free port")
	fs.BoolVar(&cfg.Public, "public", false, "allow listening on a non-loopback address")
	fs.IntVar(&cfg.Rows, "rows", DefaultRows, "users to seed")
	fs.StringVar(&cfg.DSNOut, "dsn-out", "", "write the database DSN to this file once seeded")
	fs.StringVar(&cfg.Template, "template", "", "clone the database from this seeded `database` on the same server instead of seeding it")
	if code, ok := cli.Parse(fs, args, stderr, `Usage: crudbench serve -arm `+arms.Usage(arms.Names())+` [flags]

Starts PostgreSQL as the tests do (CRUDBENCH_POSTGRES), applies the schema,
seeds the users and serves the HTTP API on one arm, plus GET /healthz,
GET /debug/runtime, POST /debug/runtime/reset-peak and POST /debug/runtime/gc.
Prints "listening on URL" on stdout when ready; SIGINT or SIGTERM drains and
removes what it started.

Flags:
`); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "crudbench serve: unexpected arguments %q\n", fs.Args())
		return cli.ExitUsage
	}
	cfg.Stdout = stdout
	cfg.Logger = cli.Logger(stderr)
	if err := cfg.check(); err != nil {
		fmt.Fprintln(stderr, "crudbench serve:", err)
		return cli.ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, cfg); err != nil {
		cfg.Logger.Error("serve failed", "err", err)
		return 1
	}
	return 0
}

func (c *Config) check() error {
	if !slices.Contains(arms.Names(), c.Arm) {
		return fmt.Errorf("-arm %q: want one of %v", c.Arm, arms.Names())
	}
	if c.Rows < MinRows {
		return fmt.Errorf("-rows %d: want at least %d (the relation users)", c.Rows, MinRows)
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("-addr %q: %w", c.Addr, err)
	}
	if !c.Public && !isLoopback(host) {
		return fmt.Errorf("-addr %q is not a loopback address: add -public to listen on it", c.Addr)
	}
	return nil
}

// isLoopback reports whether host names only loopback addresses; an empty
// host (all interfaces) does not.
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Run provisions PostgreSQL, seeds it, and serves cfg.Arm until ctx ends;
// then it drains the server and removes the database and the server it
// started. It returns nil after a clean shutdown.
func Run(ctx context.Context, cfg Config) (err error) {
	if err := cfg.check(); err != nil {
		return err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()
	if !isLoopback(ln.Addr().(*net.TCPAddr).IP.String()) {
		log.Warn("listening on a non-loopback address: the API has no authentication", "addr", ln.Addr().String())
	}

	opts := pgserver.OptionsFromEnv()
	opts.Logger = log
	srv, err := pgserver.Start(ctx, opts)
	if err != nil {
		return fmt.Errorf("starting PostgreSQL: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if serr := srv.Stop(sctx); serr != nil {
			err = errors.Join(err, fmt.Errorf("stopping PostgreSQL: %w", serr))
		}
	}()

	dsn, drop, err := CreateDatabase(ctx, srv, fmt.Sprintf("crudbench_serve_%d", os.Getpid()), cfg.Rows, cfg.Template)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, drop()) }()
	if cfg.DSNOut != "" {
		if err := os.WriteFile(cfg.DSNOut, []byte(dsn+"\n"), 0o600); err != nil {
			return fmt.Errorf("writing -dsn-out: %w", err)
		}
	}

	arm, err := arms.Open(ctx, cfg.Arm, dsn, nil)
	if err != nil {
		return fmt.Errorf("opening arm %s: %w", cfg.Arm, err)
	}
	defer arm.Close()

	mux := http.NewServeMux()
	mux.Handle("/", httpapi.NewHandler(arm.Store, httpapi.Options{Logger: log}))
	mux.Handle("GET /healthz", healthHandler(dsn))
	registerRuntime(mux)
	hs := httpapi.NewServer(mux, 0)
	hs.ErrorLog = slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()

	url := "http://" + ln.Addr().String()
	log.Info("serving", "url", url, "arm", cfg.Arm, "rows", cfg.Rows, "provider", srv.Provider())
	fmt.Fprintln(cfg.Stdout, ReadyPrefix+url)

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests", "timeout", ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		return fmt.Errorf("draining the HTTP server: %w", err)
	}
	log.Info("drained; removing the database and the server")
	return nil
}

// CreateDatabase creates database name on srv, applies the schema and
// seeds rows users, or clones template if it is set. drop removes it
// again.
func CreateDatabase(ctx context.Context, srv *pgserver.Server, name string, rows int, template string) (dsn string, drop func() error, err error) {
	admin := srv.DSN("postgres")
	create := "CREATE DATABASE " + name
	if template != "" {
		create += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if err := execSQL(ctx, admin, create); err != nil {
		return "", nil, fmt.Errorf("creating database: %w", err)
	}
	drop = func() error {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := execSQL(dctx, admin, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("dropping database %s: %w", name, err)
		}
		return nil
	}
	dsn = srv.DSN(name)
	if template != "" {
		return dsn, drop, nil
	}
	stmts := append([]string{crudbench.Schema}, seed.Large(rows)...)
	if err := execSQL(ctx, dsn, stmts...); err != nil {
		return "", nil, errors.Join(fmt.Errorf("applying schema and seeding %d users: %w", rows, err), drop())
	}
	return dsn, drop, nil
}

// execSQL runs statements, one at a time, on one connection to dsn.
func execSQL(ctx context.Context, dsn string, stmts ...string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("running %.40q: %w", s, err)
		}
	}
	return nil
}
