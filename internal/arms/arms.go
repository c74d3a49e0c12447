// Package arms opens each data-access arm on a database, with the shared
// connection settings of dbconf, so that tests and benchmarks build them the
// same way.
package arms

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/ent"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/rawsql"
	"github.com/jackc/pgx/v5"
)

// Names lists the arms in report order: raw pgx, database/sql, ent.
var Names = []string{"pgx", "sql", "ent"}

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

func sqlStats(db *sql.DB) func() PoolStats {
	return func() PoolStats {
		s := db.Stats()
		return PoolStats{Open: s.OpenConnections, InUse: s.InUse, Wait: s.WaitDuration}
	}
}

// Open opens the named arm on dsn; tracer, if not nil, sees every statement
// the arm sends.
func Open(ctx context.Context, name, dsn string, tracer pgx.QueryTracer) (*Arm, error) {
	switch name {
	case "pgx":
		pool, err := dbconf.NewPool(ctx, dsn, tracer)
		if err != nil {
			return nil, err
		}
		stats := func() PoolStats {
			s := pool.Stat()
			return PoolStats{Open: int(s.TotalConns()), InUse: int(s.AcquiredConns()), Wait: s.AcquireDuration()}
		}
		return &Arm{Name: name, Store: rawsql.NewPGX(pool), Close: pool.Close, Stats: stats}, nil
	case "sql":
		db, err := dbconf.OpenDB(dsn, tracer)
		if err != nil {
			return nil, err
		}
		return &Arm{Name: name, Store: rawsql.NewSQL(db), Close: func() { db.Close() }, Stats: sqlStats(db)}, nil
	case "ent":
		db, err := dbconf.OpenDB(dsn, tracer)
		if err != nil {
			return nil, err
		}
		store := ent.NewStore(db)
		return &Arm{Name: name, Store: store, Close: func() { store.Close() }, Stats: sqlStats(db)}, nil
	}
	return nil, fmt.Errorf("arms: unknown arm %q (want one of %v)", name, Names)
}
