// Package pgtest gives tests and benchmarks a real PostgreSQL: one server
// per test binary (see pgserver for how it is chosen) and a fresh database
// with the crudbench schema per test.
package pgtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/pgserver"
	"github.com/jackc/pgx/v5"
)

// EnvKeep, set to 1, leaves the server (cluster or container) running after
// the run, and Main prints how to reach and remove it.
const EnvKeep = "CRUDBENCH_KEEP"

// keep reports whether EnvKeep asks to keep the server.
func keep() bool {
	v, _ := strconv.ParseBool(os.Getenv(EnvKeep))
	return v
}

var (
	server   *pgserver.Server
	template string // database holding the schema, cloned by NewDatabase
	tmplOnce sync.Once
	tmplErr  error
	seq      atomic.Int64
)

// Main starts the server, calls each of before with it, runs the tests and
// stops the server, also when the run is interrupted by SIGINT or SIGTERM;
// with EnvKeep=1 it leaves the server running instead and says how to reach
// and remove it. Call it from TestMain.
func Main(m *testing.M, before ...func(*pgserver.Server) error) {
	os.Exit(run(m, before))
}

func run(m *testing.M, before []func(*pgserver.Server) error) int {
	if !flag.Parsed() {
		flag.Parse() // so that before can read the test flags
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	s, err := pgserver.Start(ctx, pgserver.OptionsFromEnv())
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: starting PostgreSQL:", err)
		return 1
	}
	server = s
	stop := func() {
		if keep() {
			detach(s)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			slog.Error("stopping PostgreSQL", "err", err)
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sig; ok {
			stop()
			os.Exit(130)
		}
	}()
	defer func() {
		signal.Stop(sig)
		close(sig)
		runAtExit()
		stop()
	}()
	for _, f := range before {
		if err := f(s); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			return 1
		}
	}
	return m.Run()
}

// detach leaves s running and prints how to reach and remove it.
func detach(s *pgserver.Server) {
	remove, err := s.Detach()
	if err != nil {
		slog.Error("keeping PostgreSQL", "err", err)
		return
	}
	if remove == "" {
		return // a server given by DSN: neither started nor removed here
	}
	fmt.Fprintf(os.Stderr, "pgtest: %s=1: PostgreSQL (%s) keeps running.\n  reach it:  psql %s\n  remove it: %s\n",
		EnvKeep, s.Provider(), shellQuote(s.DSN("postgres")), remove)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Server returns the server started by Main; it fails tb when Main was not
// used.
func Server(tb testing.TB) *pgserver.Server {
	tb.Helper()
	if server == nil {
		tb.Fatal("pgtest: no server: call pgtest.Main from TestMain")
	}
	return server
}

// Exec runs one statement on the database at dsn.
func Exec(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return fmt.Errorf("connecting: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("running %.40q: %w", sql, err)
	}
	return nil
}

// NewDatabase creates a database holding the crudbench schema and no rows,
// returns its DSN, and drops it when tb ends, unless tb failed: then it
// keeps it, for a look at what the test left, and logs its DSN.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	Server(tb)
	name, err := createDatabase("")
	if err != nil {
		tb.Fatal(err)
	}
	dsn := server.DSN(name)
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("pgtest: test failed, database kept: %s%s", dsn, keptHint())
			return
		}
		if err := dropDatabase(name); err != nil {
			tb.Error(err)
		}
	})
	return dsn
}

// keptHint says, for a kept database, whether it outlives the run.
func keptHint() string {
	if server.Provider() == pgserver.ProviderDSN || keep() {
		return ""
	}
	return fmt.Sprintf(" (removed with the %s server at the end of the run; %s=1 keeps the server)", server.Provider(), EnvKeep)
}

// SharedDatabase creates a database that lives until Main returns: a copy
// of the database at from, which must have no open connections, or, when
// from is empty, one holding the schema and no rows.
func SharedDatabase(from string) (string, error) {
	if server == nil {
		return "", errors.New("pgtest: no server: call pgtest.Main from TestMain")
	}
	tmpl := ""
	if from != "" {
		u, err := url.Parse(from)
		if err != nil {
			return "", fmt.Errorf("pgtest: parsing DSN: %w", err)
		}
		tmpl = strings.TrimPrefix(u.Path, "/")
	}
	name, err := createDatabase(tmpl)
	if err != nil {
		return "", err
	}
	AtExit(func() {
		if err := dropDatabase(name); err != nil {
			slog.Error("dropping shared database", "err", err)
		}
	})
	return server.DSN(name), nil
}

// DropDatabase drops the database at dsn now, closing any connections it
// still has: for a SharedDatabase no longer needed before the end.
func DropDatabase(dsn string) error {
	u, err := url.Parse(dsn)
	if err != nil {
		return fmt.Errorf("pgtest: parsing DSN: %w", err)
	}
	return dropDatabase(strings.TrimPrefix(u.Path, "/"))
}

// AtExit registers f to run after the tests, before the server stops; the
// last registered runs first.
func AtExit(f func()) {
	exitMu.Lock()
	defer exitMu.Unlock()
	atExit = append(atExit, f)
}

var (
	exitMu sync.Mutex
	atExit []func()
)

func runAtExit() {
	exitMu.Lock()
	fs := atExit
	atExit = nil
	exitMu.Unlock()
	for i := len(fs) - 1; i >= 0; i-- {
		fs[i]()
	}
}

// createDatabase creates a database from tmpl, or from the schema template
// when tmpl is empty, and returns its name.
func createDatabase(tmpl string) (string, error) {
	ctx := context.Background()
	if tmpl == "" {
		tmplOnce.Do(func() {
			template = fmt.Sprintf("crudbench_tmpl_%d", os.Getpid())
			if tmplErr = Exec(ctx, server.DSN("postgres"), "CREATE DATABASE "+template); tmplErr != nil {
				return
			}
			AtExit(func() { dropDatabase(template) })
			tmplErr = Exec(ctx, server.DSN(template), crudbench.Schema)
		})
		if tmplErr != nil {
			return "", fmt.Errorf("pgtest: creating template database: %w", tmplErr)
		}
		tmpl = template
	}
	name := fmt.Sprintf("crudbench_%d_%d", os.Getpid(), seq.Add(1))
	if err := Exec(ctx, server.DSN("postgres"), fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, tmpl)); err != nil {
		return "", fmt.Errorf("pgtest: creating database: %w", err)
	}
	return name, nil
}

func dropDatabase(name string) error {
	if err := Exec(context.Background(), server.DSN("postgres"), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("pgtest: dropping database %s: %w", name, err)
	}
	return nil
}

// Reset empties the tables of the database at dsn and restarts their ids.
func Reset(ctx context.Context, dsn string) error {
	return Exec(ctx, dsn, ResetSQL)
}

// ResetSQL is the statement Reset runs, for a test that runs it on a
// connection of its own.
const ResetSQL = "TRUNCATE users, posts RESTART IDENTITY CASCADE"
