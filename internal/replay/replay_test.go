package replay_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/arms"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/replay"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// openStore opens the named database/sql arm on db.
func openStore(t *testing.T, arm string, db *sql.DB) crudbench.Store {
	t.Helper()
	open, ok := arms.OnDB(arm)
	if !ok {
		t.Fatalf("arm %s is not built on database/sql", arm)
	}
	s, err := open(db)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// recorder opens the named arm on a fresh database through a Recorder.
func recorder(t *testing.T, arm string) (*replay.Recorder, crudbench.Store) {
	t.Helper()
	c, err := dbconf.Connector(pgtest.NewDatabase(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := replay.NewRecorder(c)
	db, err := dbconf.OpenConnector(rec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return rec, openStore(t, arm, db)
}

// player opens the named arm on a Player.
func player(t *testing.T, arm string) (*replay.Player, *sql.DB, crudbench.Store) {
	t.Helper()
	p := replay.NewPlayer()
	db, err := dbconf.OpenConnector(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return p, db, openStore(t, arm, db)
}

func ptr[T any](v T) *T { return &v }

// call is one call of a store whose answer can be compared.
type call struct {
	name  string
	stmts int // statements the ent arm sends
	do    func(ctx context.Context, s crudbench.Store) (any, error)
}

var calls = []call{
	{"create", 1, func(ctx context.Context, s crudbench.Store) (any, error) {
		return s.CreateUser(ctx, crudbench.UserCreate{Name: "b", Email: "b@example.com", Age: 3})
	}},
	{"read", 1, func(ctx context.Context, s crudbench.Store) (any, error) { return s.User(ctx, 1) }},
	{"update", 4, func(ctx context.Context, s crudbench.Store) (any, error) {
		return s.UpdateUser(ctx, 1, crudbench.UserPatch{Name: ptr("c"), Age: ptr(4)})
	}},
	{"post", 1, func(ctx context.Context, s crudbench.Store) (any, error) {
		return s.CreatePost(ctx, 1, crudbench.PostCreate{Title: "t", Body: "x"})
	}},
	{"relation", 2, func(ctx context.Context, s crudbench.Store) (any, error) { return s.UserWithPosts(ctx, 1) }},
	{"bulk-update", 5, func(ctx context.Context, s crudbench.Store) (any, error) {
		return s.UpdateUsers(ctx, []crudbench.UserUpdate{{ID: 1, UserPatch: crudbench.UserPatch{Age: ptr(5)}}, {ID: 2, UserPatch: crudbench.UserPatch{Name: ptr("d")}}})
	}},
	{"missing", 1, func(ctx context.Context, s crudbench.Store) (any, error) { return s.User(ctx, 99) }},
}

// TestRecordAndPlay records calls of each database/sql arm against a real
// database and plays them back: every answer, errors included, must be
// the recorded one, and the raw replay of each script must run.
func TestRecordAndPlay(t *testing.T) {
	ctx := t.Context()
	for _, arm := range []string{"sql", "ent"} {
		t.Run(arm, func(t *testing.T) {
			rec, live := recorder(t, arm)
			if _, err := live.CreateUsers(ctx, []crudbench.UserCreate{{Name: "a", Email: "a@example.com", Age: 1}, {Name: "z", Email: "z@example.com", Age: 2}}); err != nil {
				t.Fatal(err)
			}
			p, db, played := player(t, arm)
			for _, c := range calls {
				rec.Start()
				want, wantErr := c.do(ctx, live)
				script := rec.Stop()
				if arm == "ent" && script.Statements() != c.stmts {
					t.Errorf("%s: recorded %d statements, want %d:\n%s", c.name, script.Statements(), c.stmts, script)
				}
				for range 2 { // a script plays again and again
					p.Start(script, replay.Nanotime())
					got, gotErr := c.do(ctx, played)
					parts, err := p.Stop()
					if err != nil {
						t.Fatalf("%s: playing: %v\nscript:\n%s", c.name, err, script)
					}
					if arm == "ent" && (c.name == "create" || c.name == "post") {
						// ent answers with the timestamps it sent, taken
						// from the clock at each call.
						got, want = untimed(got), untimed(want)
					}
					if !reflect.DeepEqual(got, want) || !sameError(gotErr, wantErr) {
						t.Errorf("%s: played %+v, %v; recorded %+v, %v", c.name, got, gotErr, want, wantErr)
					}
					if parts.Total() <= 0 || parts.Driver <= 0 {
						t.Errorf("%s: parts %+v: want a positive total and driver time", c.name, parts)
					}
				}
				raw := replay.NewRaw(script)
				p.Start(script, replay.Nanotime())
				err := raw.Run(ctx, db)
				if _, perr := p.Stop(); err != nil || perr != nil {
					t.Errorf("%s: raw replay: %v; player: %v", c.name, err, perr)
				}
			}
		})
	}
}

// untimed returns a copy of a created user or post without its times.
func untimed(v any) any {
	switch x := v.(type) {
	case *crudbench.User:
		u := *x
		u.CreatedAt, u.UpdatedAt = time.Time{}, time.Time{}
		return &u
	case *crudbench.Post:
		p := *x
		p.CreatedAt = time.Time{}
		return &p
	}
	return v
}

func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error()
}

// TestMismatch checks that a statement other than the script's next one
// fails with an error naming both, and that a call which stops short of
// the script is reported by Stop.
func TestMismatch(t *testing.T) {
	ctx := t.Context()
	rec, live := recorder(t, "sql")
	rec.Start()
	if _, err := live.ListUsers(ctx, 0, 10); err != nil {
		t.Fatal(err)
	}
	list := rec.Stop()
	p, _, played := player(t, "sql")

	p.Start(list, replay.Nanotime())
	_, err := played.User(ctx, 1)
	_, stopErr := p.Stop()
	if err == nil || stopErr == nil {
		t.Fatalf("reading a user on a list's script: error %v, Stop %v; want both", err, stopErr)
	}
	for _, want := range []string{"statement 0", "WHERE id = $1", "ORDER BY id LIMIT $2", "differ from byte"} {
		if !strings.Contains(stopErr.Error(), want) {
			t.Errorf("mismatch error %q lacks %q", stopErr, want)
		}
	}

	p.Start(list, replay.Nanotime())
	if _, err := p.Stop(); err == nil || !strings.Contains(err.Error(), "still to come") {
		t.Errorf("a call that sent nothing: Stop error %v, want the statement still to come", err)
	}

	if _, err := played.User(ctx, 1); err == nil || !strings.Contains(err.Error(), "outside a play") {
		t.Errorf("a call outside a play: error %v, want one saying so", err)
	}
}

// TestPartsAddUp plays a transaction with a clock that ticks once per
// reading and checks where each tick lands: every reading between Start
// and Stop counts once, so the parts add up to the whole.
func TestPartsAddUp(t *testing.T) {
	script := &replay.Script{Calls: []replay.Call{
		{Kind: replay.Begin},
		{Kind: replay.Query, SQL: "SELECT 1", Columns: []replay.Column{{Name: "x"}}, Rows: [][]driver.Value{{int64(1)}, {int64(2)}}},
		{Kind: replay.Commit},
	}}
	p, db, _ := player(t, "sql")
	var tick int64
	clock := func() int64 { tick++; return tick }
	p.Start(script, clock)
	start := tick
	if err := replay.NewRaw(script).Run(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	parts, err := p.Stop()
	if err != nil {
		t.Fatal(err)
	}
	// Readings: Start, Begin in/out, Query in/out, rows closed, Commit in/out, Stop.
	want := replay.Parts{Before: 3, Driver: 3, Rows: 1, After: 1}
	if parts != want || parts.Total() != tick-start {
		t.Errorf("parts %+v (total %d), want %+v (total %d)", parts, parts.Total(), want, tick-start)
	}
}

var sink []byte

// TestMallocsCounts checks that the allocation clock counts one
// allocation as one. The clock counts the whole process's allocations, so
// another goroutine (the test binary's own) may add to a reading now and
// then: every reading must see the allocation, and the quietest exactly it.
func TestMallocsCounts(t *testing.T) {
	clock := replay.Mallocs()
	least := int64(-1)
	for range 20 {
		a := clock()
		sink = make([]byte, 64)
		d := clock() - a
		if d < 1 {
			t.Fatalf("one allocation counted as %d", d)
		}
		if least < 0 || d < least {
			least = d
		}
	}
	if least != 1 {
		t.Fatalf("one allocation counted as at least %d in 20 tries", least)
	}
}
