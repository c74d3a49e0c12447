package bun_test

import (
	"testing"

	"github.com/crudbench/crudbench/bun"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newStore returns a store on a fresh database holding schema.sql, opened
// through the shared connection settings; closed when t ends.
func newStore(t *testing.T) *bun.Store {
	t.Helper()
	return openStore(t, pgtest.NewDatabase(t), nil)
}

// openStore returns a store on the database at dsn whose pool has tracer;
// closed when t ends.
func openStore(t *testing.T, dsn string, tracer pgx.QueryTracer) *bun.Store {
	t.Helper()
	return openStoreWith(t, dsn, tracer, dbconf.SimpleProtocol)
}

// openStoreWith is openStore with the connection options opts instead of
// the arm's own (the simple protocol).
func openStoreWith(t *testing.T, dsn string, tracer pgx.QueryTracer, opts ...dbconf.Option) *bun.Store {
	t.Helper()
	db, err := dbconf.OpenDB(dsn, tracer, opts...)
	if err != nil {
		t.Fatal(err)
	}
	s := bun.NewStore(db)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return s
}
