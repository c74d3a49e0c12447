// Package arms opens each data-access arm on a database, with the shared
// connection settings of dbconf, so that tests, benchmarks and the serve
// command build them the same way. An arm is added here and in
// suite.Arms; nothing else needs to know it.
package arms

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/suite"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Arm is an open arm: its store, a view of its pool and how to close it.
type Arm struct {
	Name  string
	Store crudbench.Store
	Close func()
	// Stats reports the arm's connection pool right now.
	Stats func() PoolStats
}

// PoolStats is the state of an arm's connection pool.
type PoolStats struct {
	Open  int // connections open (idle, in use or being opened)
	InUse int // connections checked out by callers
	// Wait is the total time callers have waited for a connection since
	// the pool opened.
	Wait time.Duration
}

// onPool builds a store on a pgx pool; closing the arm closes the pool.
type onPool func(*pgxpool.Pool) (crudbench.Store, error)

// onDB builds a store on a database/sql pool over pgx's stdlib driver;
// closing the arm closes the pool.
type onDB func(*sql.DB) (crudbench.Store, error)

// stores maps every arm and variant of suite.Arms and suite.Variants that
// this build links to the store it serves. Each library's arms register in
// a file of their own (open_<arm>.go) under a build constraint, so that
// "go build -tags crudbench_onearm,crudbench_<arm>" links that library
// alone: a server's memory and binary size are then its library's own.
// Without crudbench_onearm every arm is linked.
var stores = map[string]any{}

// register adds arms' stores; the open_<arm>.go files call it from init.
func register(m map[string]any) {
	for name, open := range m {
		stores[name] = open
	}
}

// OnDB returns how the named arm or variant builds its store on a
// database/sql pool, and false when it is not built on one (the pgx-pool
// arms) or is unknown. Tools that drive an arm's store through
// database/sql directly, such as BenchmarkBreakdown's stub driver, pick
// their arms with it, so a new database/sql arm joins them from the table
// alone.
func OnDB(name string) (func(*sql.DB) (crudbench.Store, error), bool) {
	open, ok := stores[name].(onDB)
	return open, ok
}

// options are the connection settings an arm's library documents for
// itself, over the shared ones of dbconf.
var options = map[string][]dbconf.Option{
	// bun writes values into the SQL text; its documentation sets pgx to
	// the simple protocol (see package bun).
	"bun": {dbconf.SimpleProtocol},
}

// Options returns the connection settings the named arm adds to dbconf's.
func Options(name string) []dbconf.Option { return options[name] }

// Names returns the names Open accepts: the arms, then their variants,
// of those this build links (all of them, unless built with
// crudbench_onearm).
func Names() []string {
	all := append(slices.Clone(suite.Arms), suite.VariantNames()...)
	return slices.DeleteFunc(all, func(n string) bool { _, ok := stores[n]; return !ok })
}

// BuildTags returns the build tags of a binary that links only the named
// arm's library (a variant links its arm's): crudbench_onearm and
// crudbench_<arm>.
func BuildTags(name string) string {
	arm, _, _ := strings.Cut(name, "-")
	return "crudbench_onearm,crudbench_" + arm
}

// Open opens the named arm or variant on dsn; tracer, if not nil, sees
// every statement it sends.
func Open(ctx context.Context, name, dsn string, tracer pgx.QueryTracer) (*Arm, error) {
	switch open := stores[name].(type) {
	case onPool:
		pool, err := dbconf.NewPool(ctx, dsn, tracer)
		if err != nil {
			return nil, err
		}
		store, err := open(pool)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("arms: opening %s: %w", name, err)
		}
		stats := func() PoolStats {
			s := pool.Stat()
			return PoolStats{Open: int(s.TotalConns()), InUse: int(s.AcquiredConns()), Wait: s.AcquireDuration()}
		}
		return &Arm{Name: name, Store: store, Close: pool.Close, Stats: stats}, nil
	case onDB:
		db, err := dbconf.OpenDB(dsn, tracer, options[name]...)
		if err != nil {
			return nil, err
		}
		store, err := open(db)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("arms: opening %s: %w", name, err)
		}
		stats := func() PoolStats {
			s := db.Stats()
			return PoolStats{Open: s.OpenConnections, InUse: s.InUse, Wait: s.WaitDuration}
		}
		return &Arm{Name: name, Store: store, Close: func() { db.Close() }, Stats: stats}, nil
	}
	return nil, fmt.Errorf("arms: unknown arm %q (want one of %v)", name, Names())
}
