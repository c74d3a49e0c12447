package jet_test

import (
	"testing"

	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/jet"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newStore returns a store on a fresh database holding schema.sql, on a
// pool opened through the shared connection settings with tracer (may be
// nil); closed when t ends.
func newStore(t *testing.T, tracer pgx.QueryTracer) *jet.Store {
	t.Helper()
	db, err := dbconf.OpenDB(pgtest.NewDatabase(t), tracer)
	if err != nil {
		t.Fatal(err)
	}
	s := jet.NewStore(db)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return s
}
