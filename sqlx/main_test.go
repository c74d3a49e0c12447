package sqlx_test

import (
	"database/sql"
	"testing"

	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openDB returns a database/sql pool on a fresh database holding
// schema.sql, opened through the shared connection settings with tracer
// (may be nil); the pool is closed when t ends.
func openDB(t *testing.T, tracer pgx.QueryTracer) *sql.DB {
	t.Helper()
	db, err := dbconf.OpenDB(pgtest.NewDatabase(t), tracer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("closing db: %v", err)
		}
	})
	return db
}
