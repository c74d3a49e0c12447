package gorm_test

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"testing"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/gorm"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openDB returns a pool on a fresh database holding schema.sql, opened
// through the shared connection settings with tracer (may be nil).
func openDB(t *testing.T, tracer pgx.QueryTracer) *sql.DB {
	t.Helper()
	db, err := dbconf.OpenDB(pgtest.NewDatabase(t), tracer)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// opened returns s, closed when t ends, or fails t with err.
func opened[S interface{ Close() error }](t *testing.T, s S, err error) S {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return s
}

// newStore returns a Store on db, closed when t ends.
func newStore(t *testing.T, db *sql.DB) *gorm.Store {
	t.Helper()
	s, err := gorm.NewStore(db)
	return opened(t, s, err)
}

// forms are the arm and its variants, each opened on db and closed when t
// ends.
var forms = []struct {
	name string
	open func(t *testing.T, db *sql.DB) crudbench.Store
}{
	{"gorm", func(t *testing.T, db *sql.DB) crudbench.Store { return newStore(t, db) }},
	{"gorm-tx", func(t *testing.T, db *sql.DB) crudbench.Store {
		s, err := gorm.NewTxStore(db)
		return opened(t, s, err)
	}},
	{"gorm-save", func(t *testing.T, db *sql.DB) crudbench.Store {
		s, err := gorm.NewSaveStore(db)
		return opened(t, s, err)
	}},
}

// recorder is a pgx tracer that records what a pool sends: each statement
// run ("Q " and its text, BEGIN and COMMIT included) and each statement
// prepared on a connection ("P " and its text), which pgx traces apart
// from statements run and dbconf.QueryCounter does not count.
type recorder struct {
	mu  sync.Mutex
	log []string
}

func (r *recorder) add(kind, sql string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, kind+" "+strings.Join(strings.Fields(sql), " "))
}

// take returns what was recorded since the last call and forgets it.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.log
	r.log = nil
	return out
}

// TraceQueryStart implements pgx.QueryTracer.
func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.add("Q", d.SQL)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TracePrepareStart implements pgx.PrepareTracer.
func (r *recorder) TracePrepareStart(ctx context.Context, _ *pgx.Conn, d pgx.TracePrepareStartData) context.Context {
	return context.WithValue(ctx, prepareKey{}, d.SQL)
}

// TracePrepareEnd implements pgx.PrepareTracer: only a statement sent to
// PostgreSQL to be prepared is recorded, not one the connection already
// holds.
func (r *recorder) TracePrepareEnd(ctx context.Context, _ *pgx.Conn, d pgx.TracePrepareEndData) {
	if !d.AlreadyPrepared {
		r.add("P", ctx.Value(prepareKey{}).(string))
	}
}

type prepareKey struct{}
