package sqlc_test

import (
	"context"
	"testing"

	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/sqlc"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newStore returns a store on a fresh database holding schema.sql, on a
// pool opened through the shared connection settings with tracer (may be
// nil); the pool is closed when t ends.
func newStore(t *testing.T, tracer pgx.QueryTracer) *sqlc.Store {
	t.Helper()
	pool, err := dbconf.NewPool(context.Background(), pgtest.NewDatabase(t), tracer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return sqlc.NewStore(pool)
}
