// Package pgtest gives tests and benchmarks a real PostgreSQL: one server
// per test binary (see pgserver for how it is chosen) and a fresh database
// with the crudbench schema per test.
package pgtest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/pgserver"
	"github.com/jackc/pgx/v5"
)

var (
	server   *pgserver.Server
	template string // database holding the schema, cloned by NewDatabase
	tmplOnce sync.Once
	tmplErr  error
	seq      atomic.Int64
)

// Main starts the server, runs the tests and stops the server, also when the
// run is interrupted by SIGINT or SIGTERM. Call it from TestMain.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	s, err := pgserver.Start(ctx, pgserver.OptionsFromEnv())
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "pgtest: starting PostgreSQL:", err)
		return 1
	}
	server = s
	stop := func() {
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
		stop()
	}()
	return m.Run()
}

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
// returns its DSN, and drops it when tb ends.
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	s := Server(tb)
	ctx := context.Background()
	tmplOnce.Do(func() {
		template = fmt.Sprintf("crudbench_tmpl_%d", os.Getpid())
		if tmplErr = Exec(ctx, s.DSN("postgres"), "CREATE DATABASE "+template); tmplErr != nil {
			return
		}
		tmplErr = Exec(ctx, s.DSN(template), crudbench.Schema)
	})
	if tmplErr != nil {
		tb.Fatalf("pgtest: creating template database: %v", tmplErr)
	}
	name := fmt.Sprintf("crudbench_%d_%d", os.Getpid(), seq.Add(1))
	if err := Exec(ctx, s.DSN("postgres"), fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", name, template)); err != nil {
		tb.Fatalf("pgtest: creating database: %v", err)
	}
	tb.Cleanup(func() {
		if err := Exec(ctx, s.DSN("postgres"), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: dropping database %s: %v", name, err)
		}
	})
	return s.DSN(name)
}

// Reset empties the tables of the database at dsn and restarts their ids.
func Reset(ctx context.Context, dsn string) error {
	return Exec(ctx, dsn, "TRUNCATE users, posts RESTART IDENTITY CASCADE")
}
