package bun_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/crudbench/crudbench/bun"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
)

// TestModelsMatchSchema checks that the models' bun tags describe
// schema.sql: the tables bun's CreateTableQuery makes from User and Post,
// in a database of their own, have the same columns (order, type,
// nullability, default, identity) and the same unique indexes as those of
// schema.sql. Plain indexes and foreign keys are not compared: bun's tags
// do not declare them, and the arm never creates tables.
func TestModelsMatchSchema(t *testing.T) {
	ctx := context.Background()
	want := describe(t, pgtest.NewDatabase(t))

	dsn := pgtest.NewDatabase(t)
	s := openStore(t, dsn, nil)
	if _, err := s.DB().ExecContext(ctx, "DROP TABLE posts, users"); err != nil {
		t.Fatal(err)
	}
	for _, model := range []any{(*bun.User)(nil), (*bun.Post)(nil)} {
		if _, err := s.DB().NewCreateTable().Model(model).Exec(ctx); err != nil {
			t.Fatalf("creating the table of %T: %v", model, err)
		}
	}
	if got := describe(t, dsn); got != want {
		t.Errorf("bun's tables differ from schema.sql's:\n--- bun\n%s--- schema.sql\n%s", got, want)
	}
}

// describe lists the columns and unique indexes of the public schema's
// tables at dsn, one a line.
func describe(t *testing.T, dsn string) string {
	t.Helper()
	db, err := dbconf.OpenDB(dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	lines(t, db, &b, `SELECT table_name, ordinal_position, column_name, data_type, is_nullable,
	coalesce(column_default, ''), is_identity, coalesce(identity_generation, '')
FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`)
	lines(t, db, &b, `SELECT indexname, indexdef FROM pg_indexes
WHERE schemaname = 'public' AND indexdef LIKE 'CREATE UNIQUE INDEX %' ORDER BY indexname`)
	return b.String()
}

// lines writes each row of query to b, its columns separated by spaces.
func lines(t *testing.T, db *sql.DB, b *strings.Builder, query string) {
	t.Helper()
	rows, err := db.QueryContext(context.Background(), query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	vals := make([]any, len(cols))
	for i := range vals {
		vals[i] = new(string)
	}
	for rows.Next() {
		if err := rows.Scan(vals...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(' ')
			}
			fmt.Fprint(b, *v.(*string))
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
