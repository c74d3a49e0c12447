package rawsql_test

import (
	"context"
	"testing"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/storetest"
	"github.com/crudbench/crudbench/rawsql"
)

// TestStore runs the contract on both raw arms, pgx on its pool and sql
// on database/sql, each on a fresh database closed when its test ends.
func TestStore(t *testing.T) {
	t.Run("pgx", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) crudbench.Store {
			pool, err := dbconf.NewPool(context.Background(), pgtest.NewDatabase(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(pool.Close)
			return rawsql.NewPGX(pool)
		})
	})
	t.Run("sql", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) crudbench.Store {
			db, err := dbconf.OpenDB(pgtest.NewDatabase(t), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := db.Close(); err != nil {
					t.Errorf("closing db: %v", err)
				}
			})
			return rawsql.NewSQL(db)
		})
	})
}
