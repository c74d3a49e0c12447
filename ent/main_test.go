package ent_test

import (
	"testing"

	"github.com/crudbench/crudbench/ent"
	"github.com/crudbench/crudbench/ent/entgen"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newStore returns a store on a fresh database holding schema.sql, opened
// through the shared connection settings; closed when t ends.
func newStore(t *testing.T) *ent.Store {
	t.Helper()
	db, err := dbconf.OpenDB(pgtest.NewDatabase(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	s := ent.NewStore(db)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("closing store: %v", err)
		}
	})
	return s
}

// openClient returns an ent client on the database at dsn, closed when t
// ends.
func openClient(t *testing.T, dsn string) *entgen.Client {
	t.Helper()
	db, err := dbconf.OpenDB(dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := ent.NewClient(db)
	t.Cleanup(func() {
		if err := client.Close(); err != nil {
			t.Errorf("closing client: %v", err)
		}
	})
	return client
}
