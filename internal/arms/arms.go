// Package arms is the one table of data-access arms and variants
// (table.go: names, libraries, the ops where a variant differs, what each
// gives up) and opens each on a database with the shared connection
// settings of dbconf, so that tests, benchmarks, the commands and the
// report agree on them. table.go imports no library: each arm's opener is
// in its own open_<arm>.go, which registers it under a build constraint:
// "go build -tags crudbench_onearm,crudbench_<arm>" links that arm's
// library alone (Linked, BuildTags), so that a server's memory and binary
// size are its library's own; without crudbench_onearm every arm is linked. Adding an arm is one entry in table and one
// open_<arm>.go file; the suite, the commands' usage texts and the report
// derive from the table.
package arms

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/dbconf"
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

// stores maps every arm and variant to the opener its open_<arm>.go
// registered; options to the connection settings it adds.
var (
	stores  = map[string]any{}
	options = map[string][]dbconf.Option{}
)

// register records the opener of an arm or variant of the table, and
// the connection settings its library documents for itself, over the
// shared ones of dbconf. open is an onPool or an onDB.
func register(name string, open any, opts ...dbconf.Option) {
	if _, dup := stores[name]; dup {
		panic("arms: " + name + " registered twice")
	}
	stores[name] = open
	if len(opts) > 0 {
		options[name] = opts
	}
}

// Linked returns the names of Names whose library this build links: all
// of them, unless it was built with crudbench_onearm.
func Linked() []string {
	return slices.DeleteFunc(Names(), func(n string) bool { _, ok := stores[n]; return !ok })
}

// BuildTags returns the build tags of a binary that links only the named
// arm's library (a variant links its arm's): crudbench_onearm and
// crudbench_<arm>.
func BuildTags(name string) string {
	arm := name
	if e, ok := Lookup(name); ok && e.IsVariant() {
		arm = e.Arm
	}
	return "crudbench_onearm,crudbench_" + arm
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

// Options returns the connection settings the named arm adds to dbconf's.
func Options(name string) []dbconf.Option { return options[name] }

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
	if slices.Contains(Names(), name) {
		return nil, fmt.Errorf("arms: %s is not linked into this binary, built for %v (go build -tags %s)", name, Linked(), BuildTags(name))
	}
	return nil, fmt.Errorf("arms: unknown arm %q (want one of %v)", name, Names())
}
