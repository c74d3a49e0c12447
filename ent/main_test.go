package ent_test

import (
	"testing"

	"github.com/crudbench/crudbench/ent"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// newClient returns an ent client on a fresh database holding schema.sql,
// opened through the shared connection settings; closed when t ends.
func newClient(t *testing.T) *ent.Client {
	t.Helper()
	return openClient(t, pgtest.NewDatabase(t))
}

// openClient returns an ent client on the database at dsn, closed when t
// ends.
func openClient(t *testing.T, dsn string) *ent.Client {
	t.Helper()
	db, err := dbconf.OpenDB(dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	client := ent.OpenDB(db)
	t.Cleanup(func() {
		if err := client.Close(); err != nil {
			t.Errorf("closing client: %v", err)
		}
	})
	return client
}
