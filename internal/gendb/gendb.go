// Package gendb gives the code generators that read a live database (jet's
// and bob's) one holding schema.sql: it starts PostgreSQL the way the tests
// do (pgserver, honoring CRUDBENCH_POSTGRES), creates a database of its
// own, applies crudbench.Schema, hands its DSN to the generator, then drops
// the database and stops the server. A `go generate` run needs no database
// set up by hand, and the generated code depends on schema.sql alone.
package gendb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/pgserver"
	"github.com/crudbench/crudbench/internal/pgtest"
)

// Run calls generate with the DSN of a fresh database holding schema.sql,
// on a server that lives only for the call.
func Run(ctx context.Context, generate func(dsn string) error) (err error) {
	startCtx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	s, err := pgserver.Start(startCtx, pgserver.OptionsFromEnv())
	cancel()
	if err != nil {
		return fmt.Errorf("gendb: starting PostgreSQL: %w", err)
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if serr := s.Stop(stopCtx); serr != nil {
			err = errors.Join(err, fmt.Errorf("gendb: stopping PostgreSQL: %w", serr))
		}
	}()

	name := fmt.Sprintf("crudbench_gen_%d", os.Getpid())
	if err := pgtest.Exec(ctx, s.DSN("postgres"), "CREATE DATABASE "+name); err != nil {
		return fmt.Errorf("gendb: creating database: %w", err)
	}
	defer func() {
		if derr := pgtest.Exec(context.Background(), s.DSN("postgres"), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); derr != nil {
			err = errors.Join(err, fmt.Errorf("gendb: dropping database %s: %w", name, derr))
		}
	}()
	dsn := s.DSN(name)
	if err := pgtest.Exec(ctx, dsn, crudbench.Schema); err != nil {
		return fmt.Errorf("gendb: applying schema.sql: %w", err)
	}
	return generate(dsn)
}
