package gorm_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/storetest"
)

// TestTransactionsDoNotStarvePrepare runs single-row updates and bulk
// updates (transactions) of the same shape at once on a cold store whose
// pool has two connections. With gorm's statement cache shared by both
// (PrepareStmt in gorm.Config), transactions holding every connection can
// wait for a statement that a single-row update is preparing, which waits
// for a connection: all requests stall until their deadline
// (go-gorm/gorm#7465). The store keeps transactions off that cache.
func TestTransactionsDoNotStarvePrepare(t *testing.T) {
	db := openDB(t, nil)
	db.SetMaxOpenConns(2)
	s := newStore(t, db)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	const users = 8
	in := make([]crudbench.UserCreate, users)
	for i := range in {
		in[i] = crudbench.UserCreate{Name: "U", Email: fmt.Sprintf("u%d@example.com", i)}
	}
	us, err := s.CreateUsers(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	name, age := "V", 7
	// Each round uses a patch shape no earlier round used: a cold
	// statement, prepared by whichever request gets to it first.
	shapes := []crudbench.UserPatch{{Name: &name}, {Age: &age}, {Name: &name, Age: &age}}
	for _, p := range shapes {
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for c := range 32 {
			wg.Go(func() {
				u := us[c%users]
				var err error
				if c%2 == 0 {
					_, err = s.UpdateUser(ctx, u.ID, p)
				} else {
					_, err = s.UpdateUsers(ctx, []crudbench.UserUpdate{{ID: u.ID, UserPatch: p}, {ID: us[(c+1)%users].ID, UserPatch: p}})
				}
				if err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("patch %+v: %v", p, err)
		}
	}
}

// TestPrepareStmtSimpleProtocol shows what gorm's statement cache does in
// pgx's simple_protocol mode: its statements are still prepared as named
// statements on the server (the mode is a default for statements sent as
// text; pgx runs a statement prepared by name whatever the mode), while
// the store's transactions, which pgx runs, follow the mode and prepare
// nothing.
func TestPrepareStmtSimpleProtocol(t *testing.T) {
	t.Setenv(dbconf.EnvQueryMode, "simple_protocol")
	ctx := context.Background()
	db := openDB(t, nil)
	db.SetMaxOpenConns(1) // the store's connection is the one looked at
	s := newStore(t, db)
	u, err := s.CreateUser(ctx, crudbench.UserCreate{Name: "A", Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.User(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateUsers(ctx, []crudbench.UserUpdate{{ID: u.ID, UserPatch: crudbench.UserPatch{Email: storetest.Ptr("b@example.com")}}}); err != nil {
		t.Fatal(err)
	}
	rows, err := db.QueryContext(ctx, `SELECT statement FROM pg_prepared_statements ORDER BY statement`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var prepared []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		prepared = append(prepared, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []string{sqlCreate, sqlRead}; !slices.Equal(prepared, want) {
		t.Errorf("prepared on the connection:\n\t%s\nwant gorm's cached statements only:\n\t%s", strings.Join(prepared, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// TestPrepareStmtPool shows what gorm's statement cache does with a pool:
// it caches one *sql.Stmt per statement text, which database/sql prepares
// on each connection the first time the statement runs there. Reads from
// many clients at once prepare the statement at most once per connection,
// however many requests there are.
func TestPrepareStmtPool(t *testing.T) {
	ctx := context.Background()
	var r recorder
	db := openDB(t, &r)
	const conns, clients, reads = 16, 32, 8
	db.SetMaxOpenConns(conns)
	s := newStore(t, db)
	u, err := s.CreateUser(ctx, crudbench.UserCreate{Name: "A", Email: "a@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	r.take()
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for range clients {
		wg.Go(func() {
			for range reads {
				if _, err := s.User(ctx, u.ID); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var ran, prepared int
	for _, l := range r.take() {
		switch l {
		case "Q " + sqlRead:
			ran++
		case "P " + sqlRead:
			prepared++
		default:
			t.Errorf("unexpected %s", l)
		}
	}
	if open := db.Stats().OpenConnections; ran != clients*reads || prepared < 1 || prepared > open || open > conns {
		t.Errorf("%d reads on %d connections prepared the read %d times; want %d reads, and one preparation at most per connection",
			ran, open, prepared, clients*reads)
	}
	t.Logf("%d reads on %d connections prepared the read %d times", ran, db.Stats().OpenConnections, prepared)
}
