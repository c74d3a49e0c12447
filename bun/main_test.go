package bun_test

import (
	"context"
	"sync"
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

// recorder is a pgx tracer that records what the driver sends: the text
// of each statement, and each statement it prepares (the query execution
// mode cache_statement prepares every text it has not yet cached on the
// connection).
type recorder struct {
	mu       sync.Mutex
	sql      []string
	prepared []string
}

// TraceQueryStart implements pgx.QueryTracer.
func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sql = append(r.sql, d.SQL)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TracePrepareStart implements pgx.PrepareTracer.
func (r *recorder) TracePrepareStart(ctx context.Context, _ *pgx.Conn, d pgx.TracePrepareStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prepared = append(r.prepared, d.SQL)
	return ctx
}

// TracePrepareEnd implements pgx.PrepareTracer.
func (r *recorder) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

var (
	_ pgx.QueryTracer   = (*recorder)(nil)
	_ pgx.PrepareTracer = (*recorder)(nil)
)

// take returns what r recorded since the last take, and forgets it.
func (r *recorder) take() (sql, prepared []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sql, prepared = r.sql, r.prepared
	r.sql, r.prepared = nil, nil
	return sql, prepared
}
