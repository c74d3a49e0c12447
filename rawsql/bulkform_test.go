package rawsql

import (
	"context"
	"fmt"
	"testing"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// copyCreate is the alternative to sqlCreateUsers that this file measures:
// COPY the rows in, then read them back for their ids and timestamps, in
// one transaction. COPY cannot return rows, hence the second statement.
func copyCreate(ctx context.Context, pool *pgxpool.Pool, in []crudbench.UserCreate) ([]crudbench.User, error) {
	var out []crudbench.User
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		emails := make([]string, len(in))
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"users"}, []string{"name", "email", "age"},
			pgx.CopyFromSlice(len(in), func(i int) ([]any, error) {
				emails[i] = in[i].Email
				return []any{in[i].Name, in[i].Email, int32(in[i].Age)}, nil
			}))
		if err != nil {
			return err
		}
		out, err = queryUsers(ctx, pgxConn{q: tx}, len(in), `SELECT `+userCols+` FROM users WHERE email = ANY($1) ORDER BY id`, emails)
		return err
	})
	return out, err
}

// BenchmarkBulkCreateForm compares the two ways to insert n users and get
// them back: INSERT … SELECT FROM unnest(…) RETURNING (one statement, the
// form PGX uses) against COPY then SELECT in a transaction.
func BenchmarkBulkCreateForm(b *testing.B) {
	ctx := context.Background()
	pool, err := dbconf.NewPool(ctx, pgtest.NewDatabase(b), nil)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	s := NewPGX(pool)
	forms := []struct {
		name   string
		create func([]crudbench.UserCreate) ([]crudbench.User, error)
	}{
		{"unnest", func(in []crudbench.UserCreate) ([]crudbench.User, error) { return s.CreateUsers(ctx, in) }},
		{"copy", func(in []crudbench.UserCreate) ([]crudbench.User, error) { return copyCreate(ctx, pool, in) }},
	}
	seq := 0
	for _, n := range []int{10, 100, 1000} {
		for _, f := range forms {
			b.Run(fmt.Sprintf("form=%s/n=%d", f.name, n), func(b *testing.B) {
				batches := make([][]crudbench.UserCreate, b.N)
				for i := range batches {
					batches[i] = make([]crudbench.UserCreate, n)
					for j := range batches[i] {
						seq++
						batches[i][j] = crudbench.UserCreate{Name: "u", Email: fmt.Sprintf("u%d@example.com", seq), Age: j % 100}
					}
				}
				b.ResetTimer()
				for i := range b.N {
					got, err := f.create(batches[i])
					if err != nil {
						b.Fatal(err)
					}
					if len(got) != n || got[n-1].Email != batches[i][n-1].Email {
						b.Fatalf("form %s returned %d users, want %d in input order", f.name, len(got), n)
					}
				}
				b.StopTimer()
				if err := pgtest.Reset(ctx, pool.Config().ConnString()); err != nil {
					b.Fatal(err)
				}
			})
		}
	}
}
