package sqlc_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/bulk"
	"github.com/jackc/pgx/v5"
)

func ptr[T any](v T) *T { return &v }

// wantError fails t unless err is exactly a *crudbench.Error (not wrapped)
// with the code and message.
func wantError(t *testing.T, err error, code, msg string) {
	t.Helper()
	e, ok := err.(*crudbench.Error)
	if !ok {
		t.Fatalf("error = %v (%T), want *crudbench.Error{%s, %q}", err, err, code, msg)
	}
	if e.Code != code || e.Message != msg {
		t.Fatalf("error = {%s, %q}, want {%s, %q}", e.Code, e.Message, code, msg)
	}
}

// sameUser reports whether a and b are the same row. Times are compared
// exactly: every row the store returns is the row PostgreSQL stored.
func sameUser(a, b crudbench.User) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Email == b.Email && a.Age == b.Age &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func ids(us []crudbench.User) []int64 {
	out := make([]int64, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

func TestStore(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, nil)
	const missing = int64(1 << 40)
	notFound := fmt.Sprintf("User %d not found.", missing)

	// One user: create, get, update, conflict, not found.
	ann, err := s.CreateUser(ctx, crudbench.UserCreate{Name: "Ann", Email: "ann@example.com", Age: 30})
	if err != nil {
		t.Fatal(err)
	}
	if ann.ID <= 0 || ann.Name != "Ann" || ann.Email != "ann@example.com" || ann.Age != 30 ||
		ann.CreatedAt.IsZero() || !ann.UpdatedAt.Equal(ann.CreatedAt) || ann.Posts != nil {
		t.Fatalf("CreateUser = %+v", ann)
	}
	got, err := s.User(ctx, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !sameUser(*got, *ann) {
		t.Fatalf("User = %+v, want %+v", got, ann)
	}
	_, err = s.User(ctx, missing)
	wantError(t, err, crudbench.ENOTFOUND, notFound)
	_, err = s.CreateUser(ctx, crudbench.UserCreate{Name: "Ann 2", Email: "ann@example.com"})
	wantError(t, err, crudbench.ECONFLICT, `Email "ann@example.com" is already taken.`)

	upd, err := s.UpdateUser(ctx, ann.ID, crudbench.UserPatch{Age: ptr(31)})
	if err != nil {
		t.Fatal(err)
	}
	if upd.ID != ann.ID || upd.Name != "Ann" || upd.Email != ann.Email || upd.Age != 31 ||
		!upd.CreatedAt.Equal(ann.CreatedAt) || !upd.UpdatedAt.After(ann.UpdatedAt) {
		t.Fatalf("UpdateUser = %+v, from %+v", upd, ann)
	}
	if got, err := s.User(ctx, ann.ID); err != nil || !sameUser(*got, *upd) {
		t.Fatalf("User after update = %+v, %v; want %+v", got, err, upd)
	}
	_, err = s.UpdateUser(ctx, missing, crudbench.UserPatch{Name: ptr("X")})
	wantError(t, err, crudbench.ENOTFOUND, notFound)

	// Bulk: create in input order, all or nothing.
	in := []crudbench.UserCreate{
		{Name: "Bob", Email: "bob@example.com", Age: 1},
		{Name: "Cid", Email: "cid@example.com", Age: 2},
		{Name: "Dee", Email: "dee@example.com"},
	}
	created, err := s.CreateUsers(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range created {
		if u.Name != in[i].Name || u.Email != in[i].Email || u.Age != in[i].Age || u.ID <= ann.ID ||
			(i > 0 && u.ID <= created[i-1].ID) {
			t.Fatalf("CreateUsers[%d] = %+v, want %+v in order", i, u, in[i])
		}
	}
	_, err = s.CreateUsers(ctx, []crudbench.UserCreate{
		{Name: "Eve", Email: "eve@example.com"},
		{Name: "Bob 2", Email: "bob@example.com"},
	})
	wantError(t, err, crudbench.ECONFLICT, `Email "bob@example.com" is already taken.`)

	all, err := s.ListUsers(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]int64{ann.ID}, ids(created)...); !slices.Equal(ids(all), want) {
		t.Fatalf("ListUsers(0, 10) ids = %v, want %v (no Eve: the failed batch wrote nothing)", ids(all), want)
	}
	if page, err := s.ListUsers(ctx, ann.ID, 2); err != nil || !slices.Equal(ids(page), ids(created[:2])) {
		t.Fatalf("ListUsers(%d, 2) = %v, %v; want ids %v", ann.ID, ids(page), err, ids(created[:2]))
	}

	byID, err := s.UsersByID(ctx, []int64{created[2].ID, missing, ann.ID})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{ann.ID, created[2].ID}; !slices.Equal(ids(byID), want) {
		t.Fatalf("UsersByID ids = %v, want %v", ids(byID), want)
	}
	if !sameUser(byID[1], created[2]) {
		t.Fatalf("UsersByID[1] = %+v, want %+v", byID[1], created[2])
	}

	// Bulk update: each patch sets only its own fields; input order.
	ups, err := s.UpdateUsers(ctx, []crudbench.UserUpdate{
		{ID: created[1].ID, UserPatch: crudbench.UserPatch{Name: ptr("Cid 2")}},
		{ID: created[0].ID, UserPatch: crudbench.UserPatch{Email: ptr("bob2@example.com"), Age: ptr(5)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 || ups[0].ID != created[1].ID || ups[0].Name != "Cid 2" || ups[0].Age != 2 ||
		ups[0].Email != "cid@example.com" || ups[1].ID != created[0].ID || ups[1].Email != "bob2@example.com" ||
		ups[1].Age != 5 || ups[1].Name != "Bob" || !ups[1].UpdatedAt.After(created[0].UpdatedAt) {
		t.Fatalf("UpdateUsers = %+v", ups)
	}
	if got, err := s.User(ctx, created[0].ID); err != nil || !sameUser(*got, ups[1]) {
		t.Fatalf("User after UpdateUsers = %+v, %v; want %+v", got, err, ups[1])
	}
	// A swap of two users' emails in one batch leaves each email once.
	swapped, err := s.UpdateUsers(ctx, []crudbench.UserUpdate{
		{ID: created[0].ID, UserPatch: crudbench.UserPatch{Email: ptr("cid@example.com")}},
		{ID: created[1].ID, UserPatch: crudbench.UserPatch{Email: ptr("bob2@example.com")}},
	})
	if err != nil {
		t.Fatalf("swapping emails: %v", err)
	}
	if swapped[0].Email != "cid@example.com" || swapped[1].Email != "bob2@example.com" {
		t.Fatalf("UpdateUsers (swap) = %+v", swapped)
	}
	// A missing id fails the batch, whether it changes emails or not, and
	// the first missing one in input order is reported.
	for _, p := range []crudbench.UserPatch{{Name: ptr("X")}, {Email: ptr("x@example.com")}} {
		_, err = s.UpdateUsers(ctx, []crudbench.UserUpdate{
			{ID: created[2].ID, UserPatch: crudbench.UserPatch{Name: ptr("Dee 2")}},
			{ID: missing, UserPatch: p},
			{ID: missing + 1, UserPatch: p},
		})
		wantError(t, err, crudbench.ENOTFOUND, notFound)
		if got, err := s.User(ctx, created[2].ID); err != nil || got.Name != "Dee" {
			t.Fatalf("after a failed UpdateUsers: User = %+v, %v; want the name Dee (rolled back)", got, err)
		}
	}
	_, err = s.UpdateUsers(ctx, []crudbench.UserUpdate{
		{ID: created[2].ID, UserPatch: crudbench.UserPatch{Email: ptr("ann@example.com")}},
	})
	wantError(t, err, crudbench.ECONFLICT, bulk.EmailConflictMessage)

	// Posts.
	p1, err := s.CreatePost(ctx, ann.ID, crudbench.PostCreate{Title: "First", Body: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	if p1.ID <= 0 || p1.UserID != ann.ID || p1.Title != "First" || p1.Body != "Hello" || p1.CreatedAt.IsZero() {
		t.Fatalf("CreatePost = %+v", p1)
	}
	p2, err := s.CreatePost(ctx, ann.ID, crudbench.PostCreate{Title: "Second"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreatePost(ctx, missing, crudbench.PostCreate{Title: "Orphan"})
	wantError(t, err, crudbench.ENOTFOUND, notFound)

	uwp, err := s.UserWithPosts(ctx, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !sameUser(*uwp, *upd) || len(uwp.Posts) != 2 || uwp.Posts[0] != *p1 || uwp.Posts[1] != *p2 {
		t.Fatalf("UserWithPosts = %+v, want %+v with posts %+v, %+v", uwp, upd, p1, p2)
	}
	none, err := s.UserWithPosts(ctx, created[2].ID)
	if err != nil {
		t.Fatal(err)
	}
	if none.Posts == nil || len(none.Posts) != 0 {
		t.Fatalf("UserWithPosts of a user without posts: Posts = %#v, want a non-nil empty slice", none.Posts)
	}
	_, err = s.UserWithPosts(ctx, missing)
	wantError(t, err, crudbench.ENOTFOUND, notFound)

	// Deletes: one (cascading to its posts), then many.
	if err := s.DeleteUser(ctx, ann.ID); err != nil {
		t.Fatal(err)
	}
	wantError(t, s.DeleteUser(ctx, ann.ID), crudbench.ENOTFOUND, fmt.Sprintf("User %d not found.", ann.ID))
	n, err := s.DeleteUsers(ctx, []int64{created[0].ID, created[1].ID, missing})
	if err != nil || n != 2 {
		t.Fatalf("DeleteUsers = %d, %v; want 2", n, err)
	}
	if left, err := s.ListUsers(ctx, 0, 10); err != nil || !slices.Equal(ids(left), []int64{created[2].ID}) {
		t.Fatalf("ListUsers after deletes = %v, %v; want [%d]", ids(left), err, created[2].ID)
	}

	// A passed deadline is a timeout.
	dead, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	_, err = s.User(dead, created[2].ID)
	wantError(t, err, crudbench.ETIMEOUT, "The database did not answer in time.")
}

// TestLargeBatches covers batches beyond what one statement could bind as
// one parameter per value (65,535): the arrays make each one statement, in
// input order, all or nothing.
func TestLargeBatches(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 3 x 21,846 users")
	}
	ctx := context.Background()
	s := newStore(t, nil)
	in := make([]crudbench.UserCreate, 65535/3+1)
	for i := range in {
		in[i] = crudbench.UserCreate{Name: "U", Email: fmt.Sprintf("u%d@example.com", i), Age: i % 100}
	}
	out, err := s.CreateUsers(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != len(in) {
		t.Fatalf("CreateUsers returned %d users, want %d", len(out), len(in))
	}
	for i := range out {
		if out[i].Email != in[i].Email || out[i].Age != in[i].Age || (i > 0 && out[i].ID <= out[i-1].ID) {
			t.Fatalf("CreateUsers[%d] = %+v, want %+v in order", i, out[i], in[i])
		}
	}

	// A conflict in the last row writes none of the others.
	for i := range in {
		in[i].Email = fmt.Sprintf("v%d@example.com", i)
	}
	in[len(in)-1].Email = "u0@example.com"
	_, err = s.CreateUsers(ctx, in)
	wantError(t, err, crudbench.ECONFLICT, `Email "u0@example.com" is already taken.`)
	after := out[len(out)-1].ID
	if rest, err := s.ListUsers(ctx, after, 10); err != nil || len(rest) != 0 {
		t.Fatalf("after a failed CreateUsers: %d users past id %d, %v; want none", len(rest), after, err)
	}

	// Every user gets a new email (in reverse input order, to check the
	// answer's order) and half of them a new age.
	ups := make([]crudbench.UserUpdate, len(out))
	for i := range ups {
		u := out[len(out)-1-i]
		ups[i] = crudbench.UserUpdate{ID: u.ID, UserPatch: crudbench.UserPatch{Email: ptr("w" + u.Email)}}
		if i%2 == 0 {
			ups[i].Age = ptr(7)
		}
	}
	got, err := s.UpdateUsers(ctx, ups)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		u := out[len(out)-1-i]
		wantAge := u.Age
		if i%2 == 0 {
			wantAge = 7
		}
		if got[i].ID != u.ID || got[i].Email != "w"+u.Email || got[i].Age != wantAge || got[i].Name != u.Name {
			t.Fatalf("UpdateUsers[%d] = %+v, want user %d with email w%s and age %d", i, got[i], u.ID, u.Email, wantAge)
		}
	}
}

// recorder is a pgx tracer that keeps the text of every statement sent.
type recorder struct {
	mu  sync.Mutex
	sql []string
}

func (r *recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sql = append(r.sql, d.SQL)
	return ctx
}

func (r *recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// take returns the statements recorded since the last take.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sql
	r.sql = nil
	return out
}

// stmtName names a statement: the query name sqlc puts on its first line
// ("-- name: GetUser :one"), else the statement itself (begin, commit).
func stmtName(sql string) string {
	if rest, ok := strings.CutPrefix(sql, "-- name: "); ok {
		name, _, _ := strings.Cut(rest, " ")
		return name
	}
	return sql
}

// TestStatements pins the statements each operation sends, by name and in
// order, so that a change in what the store or sqlc sends shows here; and
// that FreeEmails says what bulk.FreeEmails says.
func TestStatements(t *testing.T) {
	ctx := context.Background()
	var rec recorder
	s := newStore(t, &rec)
	// sent runs op and checks the names of the statements it sent, which
	// it returns.
	sent := func(name string, want []string, op func() error) []string {
		t.Helper()
		rec.take()
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		stmts := rec.take()
		var got []string
		for _, sql := range stmts {
			got = append(got, stmtName(sql))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s sent %q, want %q", name, got, want)
		}
		return stmts
	}
	var u *crudbench.User
	sent("CreateUser", []string{"CreateUser"}, func() (err error) {
		u, err = s.CreateUser(ctx, crudbench.UserCreate{Name: "A", Email: "a@example.com"})
		return err
	})
	sent("User", []string{"GetUser"}, func() error { _, err := s.User(ctx, u.ID); return err })
	sent("UpdateUser", []string{"UpdateUser"}, func() error {
		_, err := s.UpdateUser(ctx, u.ID, crudbench.UserPatch{Age: ptr(2)})
		return err
	})
	sent("ListUsers", []string{"ListUsers"}, func() error { _, err := s.ListUsers(ctx, 0, 10); return err })
	var us []crudbench.User
	sent("CreateUsers(3)", []string{"CreateUsers"}, func() (err error) {
		us, err = s.CreateUsers(ctx, []crudbench.UserCreate{
			{Name: "B", Email: "b@example.com"}, {Name: "C", Email: "c@example.com"}, {Name: "D", Email: "d@example.com"},
		})
		return err
	})
	sent("UsersByID(3)", []string{"UsersByID"}, func() error { _, err := s.UsersByID(ctx, ids(us)); return err })
	update := func(email bool) func() error {
		return func() error {
			in := make([]crudbench.UserUpdate, len(us))
			for i, u := range us {
				in[i] = crudbench.UserUpdate{ID: u.ID, UserPatch: crudbench.UserPatch{Age: ptr(i)}}
				if email {
					in[i].Email = ptr(fmt.Sprintf("e%d@example.com", i))
				}
			}
			_, err := s.UpdateUsers(ctx, in)
			return err
		}
	}
	sent("UpdateUsers(3)", []string{"begin", "UpdateUsers", "commit"}, update(false))
	stmts := sent("UpdateUsers(3) with emails", []string{"begin", "FreeEmails", "UpdateUsers", "commit"}, update(true))
	sent("CreatePost", []string{"CreatePost"}, func() error {
		_, err := s.CreatePost(ctx, u.ID, crudbench.PostCreate{Title: "T"})
		return err
	})
	sent("UserWithPosts", []string{"GetUser", "PostsOfUser"}, func() error { _, err := s.UserWithPosts(ctx, u.ID); return err })
	sent("DeleteUsers(3)", []string{"DeleteUsers"}, func() error { _, err := s.DeleteUsers(ctx, ids(us)); return err })
	sent("DeleteUser", []string{"DeleteUser"}, func() error { return s.DeleteUser(ctx, u.ID) })

	// FreeEmails with its named parameters (changing is $1, ids $2, each
	// cast for sqlc to type it) put back as bulk.FreeEmails has them.
	for _, sql := range stmts {
		if stmtName(sql) != "FreeEmails" {
			continue
		}
		_, body, _ := strings.Cut(sql, "\n")
		body = strings.NewReplacer("$1::bigint[]", "$2", "$2::bigint[]", "$1").Replace(strings.TrimSpace(body))
		if body != bulk.FreeEmails {
			t.Errorf("FreeEmails sends\n%s\nwhich is not bulk.FreeEmails\n%s", body, bulk.FreeEmails)
		}
	}
}
