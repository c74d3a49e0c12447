package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { Main(m) }

func TestNewDatabaseIsEmptyWithSchema(t *testing.T) {
	ctx := context.Background()
	dsn := NewDatabase(t)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		t.Fatalf("users table missing: %v", err)
	}
	if n != 0 {
		t.Fatalf("new database has %d users, want 0", n)
	}
	if _, err := conn.Exec(ctx, "INSERT INTO users (name, email) VALUES ('a', 'a@x')"); err != nil {
		t.Fatal(err)
	}
	if err := Reset(ctx, dsn); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := conn.QueryRow(ctx, "INSERT INTO users (name, email) VALUES ('a', 'a@x') RETURNING id").Scan(&id); err != nil {
		t.Fatal(err)
	}
	if id != 1 {
		t.Fatalf("after Reset the first id is %d, want 1", id)
	}
}

// TestResetCost logs what a reset costs each way: TRUNCATE … RESTART
// IDENTITY against cloning a fresh database from the template.
func TestResetCost(t *testing.T) {
	ctx := context.Background()
	dsn := NewDatabase(t)
	const n = 10
	start := time.Now()
	for range n {
		if err := Reset(ctx, dsn); err != nil {
			t.Fatal(err)
		}
	}
	truncate := time.Since(start) / n
	start = time.Now()
	for range n {
		NewDatabase(t)
	}
	clone := time.Since(start) / n
	t.Logf("reset by TRUNCATE: %v; fresh database from template: %v", truncate, clone)
}
