package gorm_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
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

// sameTime reports whether a and b are the same instant. Exact: a new row's
// times are truncated to PostgreSQL's precision before they are sent, so
// what CreateUser returns is what later reads return.
func sameTime(a, b time.Time) bool {
	return a.Equal(b)
}

func sameUser(a, b crudbench.User) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Email == b.Email && a.Age == b.Age &&
		sameTime(a.CreatedAt, b.CreatedAt) && sameTime(a.UpdatedAt, b.UpdatedAt)
}

func ids(us []crudbench.User) []int64 {
	out := make([]int64, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

// TestStore runs the whole contract on the arm and on each variant: all
// three must give the same answers to sequential requests.
func TestStore(t *testing.T) {
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) { testStore(t, f.open(t, openDB(t, nil))) })
	}
}

func testStore(t *testing.T, s crudbench.Store) {
	ctx := context.Background()
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
		!sameTime(upd.CreatedAt, ann.CreatedAt) || !upd.UpdatedAt.After(ann.UpdatedAt) {
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
	bulk, err := s.CreateUsers(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, u := range bulk {
		if u.Name != in[i].Name || u.Email != in[i].Email || u.Age != in[i].Age || u.ID <= ann.ID ||
			(i > 0 && u.ID <= bulk[i-1].ID) {
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
	if want := append([]int64{ann.ID}, ids(bulk)...); !slices.Equal(ids(all), want) {
		t.Fatalf("ListUsers(0, 10) ids = %v, want %v (no Eve: the failed batch is rolled back)", ids(all), want)
	}
	if page, err := s.ListUsers(ctx, ann.ID, 2); err != nil || !slices.Equal(ids(page), ids(bulk[:2])) {
		t.Fatalf("ListUsers(%d, 2) = %v, %v; want ids %v", ann.ID, ids(page), err, ids(bulk[:2]))
	}

	byID, err := s.UsersByID(ctx, []int64{bulk[2].ID, missing, ann.ID})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{ann.ID, bulk[2].ID}; !slices.Equal(ids(byID), want) {
		t.Fatalf("UsersByID ids = %v, want %v", ids(byID), want)
	}
	if !sameUser(byID[1], bulk[2]) {
		t.Fatalf("UsersByID[1] = %+v, want %+v", byID[1], bulk[2])
	}

	// Bulk update: input order; a missing id rolls back the whole batch.
	ups, err := s.UpdateUsers(ctx, []crudbench.UserUpdate{
		{ID: bulk[1].ID, UserPatch: crudbench.UserPatch{Name: ptr("Cid 2")}},
		{ID: bulk[0].ID, UserPatch: crudbench.UserPatch{Email: ptr("bob2@example.com"), Age: ptr(5)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 || ups[0].ID != bulk[1].ID || ups[0].Name != "Cid 2" || ups[0].Age != 2 ||
		ups[1].ID != bulk[0].ID || ups[1].Email != "bob2@example.com" || ups[1].Age != 5 || ups[1].Name != "Bob" {
		t.Fatalf("UpdateUsers = %+v", ups)
	}
	_, err = s.UpdateUsers(ctx, []crudbench.UserUpdate{
		{ID: bulk[2].ID, UserPatch: crudbench.UserPatch{Name: ptr("Dee 2")}},
		{ID: missing, UserPatch: crudbench.UserPatch{Name: ptr("X")}},
		{ID: missing + 1, UserPatch: crudbench.UserPatch{Name: ptr("Y")}},
	})
	wantError(t, err, crudbench.ENOTFOUND, notFound)
	if got, err := s.User(ctx, bulk[2].ID); err != nil || got.Name != "Dee" {
		t.Fatalf("after a failed UpdateUsers: User = %+v, %v; want the name Dee (rolled back)", got, err)
	}
	_, err = s.UpdateUsers(ctx, []crudbench.UserUpdate{
		{ID: bulk[2].ID, UserPatch: crudbench.UserPatch{Email: ptr("ann@example.com")}},
	})
	wantError(t, err, crudbench.ECONFLICT, "The batch would leave an email on two users; nothing was changed.")

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
	if !sameUser(*uwp, *upd) || len(uwp.Posts) != 2 || uwp.Posts[0].ID != p1.ID || uwp.Posts[1].ID != p2.ID ||
		uwp.Posts[0].Title != "First" || uwp.Posts[0].Body != "Hello" || uwp.Posts[1].Body != "" ||
		uwp.Posts[0].UserID != ann.ID || !sameTime(uwp.Posts[0].CreatedAt, p1.CreatedAt) {
		t.Fatalf("UserWithPosts = %+v", uwp)
	}
	none, err := s.UserWithPosts(ctx, bulk[2].ID)
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
	n, err := s.DeleteUsers(ctx, []int64{bulk[0].ID, bulk[1].ID, missing})
	if err != nil || n != 2 {
		t.Fatalf("DeleteUsers = %d, %v; want 2", n, err)
	}
	if left, err := s.ListUsers(ctx, 0, 10); err != nil || !slices.Equal(ids(left), []int64{bulk[2].ID}) {
		t.Fatalf("ListUsers after deletes = %v, %v; want [%d]", ids(left), err, bulk[2].ID)
	}

	// A passed deadline is a timeout.
	dead, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
	defer cancel()
	_, err = s.User(dead, bulk[2].ID)
	wantError(t, err, crudbench.ETIMEOUT, "The database did not answer in time.")
}

// TestCreateUsersChunks covers batches beyond one statement's 65,535 bind
// parameters: they are split, in one transaction, in input order.
func TestCreateUsersChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 2 x 13,108 users")
	}
	ctx := context.Background()
	s := newStore(t, openDB(t, nil))
	in := make([]crudbench.UserCreate, 65535/5+1)
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
		if out[i].Email != in[i].Email || (i > 0 && out[i].ID <= out[i-1].ID) {
			t.Fatalf("CreateUsers[%d] = %+v, want %+v in order", i, out[i], in[i])
		}
	}

	// A conflict in the last chunk rolls back the first one too.
	for i := range in {
		in[i].Email = fmt.Sprintf("v%d@example.com", i)
	}
	in[len(in)-1].Email = "u0@example.com"
	_, err = s.CreateUsers(ctx, in)
	wantError(t, err, crudbench.ECONFLICT, `Email "u0@example.com" is already taken.`)
	after := out[len(out)-1].ID
	if rest, err := s.ListUsers(ctx, after, 10); err != nil || len(rest) != 0 {
		t.Fatalf("after a failed chunked CreateUsers: %d users past id %d, %v; want none", len(rest), after, err)
	}
}
