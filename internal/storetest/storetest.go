// Package storetest is the one test suite of the crudbench.Store contract:
// Run checks an arm's answers (rows, order, error codes and messages,
// rollbacks) operation by operation, and the helpers here are the ones
// the arms' own tests share.
package storetest

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/bulk"
	"github.com/jackc/pgx/v5"
)

// missing is an id no test database holds.
const missing = int64(1 << 40)

// notFound is the message of ENOTFOUND for the user id.
func notFound(id int64) string { return fmt.Sprintf("User %d not found.", id) }

// Run runs the contract of crudbench.Store as subtests, each on the store
// that open returns for it: a store on a fresh database holding
// schema.sql, closed when its t ends.
func Run(t *testing.T, open func(t *testing.T) crudbench.Store) {
	for _, c := range []struct {
		name string
		test func(t *testing.T, s crudbench.Store)
	}{
		{"CreateUser/returns_the_row_User_reads", testCreateUser},
		{"CreateUser/taken_email_is_a_conflict", testCreateUserConflict},
		{"User/missing_is_not_found", testUserMissing},
		{"UpdateUser/sets_only_the_patch", testUpdateUser},
		{"UpdateUser/missing_is_not_found", testUpdateUserMissing},
		{"CreateUsers/input_order", testCreateUsers},
		{"CreateUsers/conflict_writes_nothing", testCreateUsersConflict},
		{"ListUsers/id_order_and_pages", testListUsers},
		{"UsersByID/id_order_without_missing", testUsersByID},
		{"UpdateUsers/each_patch_in_input_order", testUpdateUsers},
		{"UpdateUsers/swapping_emails", testUpdateUsersSwap},
		{"UpdateUsers/missing_fails_the_batch", testUpdateUsersMissing},
		{"UpdateUsers/missing_before_conflict", testUpdateUsersMissingFirst},
		{"UpdateUsers/email_on_two_users_is_a_conflict", testUpdateUsersConflict},
		{"Posts/created_and_read_in_id_order", testPosts},
		{"Posts/user_without_posts_or_missing", testNoPosts},
		{"DeleteUser/cascades_then_not_found", testDeleteUser},
		{"DeleteUsers/counts_what_existed", testDeleteUsers},
		{"Deadline/passed_is_a_timeout", testDeadline},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, open(t)) })
	}
}

// Ptr returns a pointer to v, for the fields of a patch.
func Ptr[T any](v T) *T { return &v }

// WantError fails t unless err is exactly a *crudbench.Error (not
// wrapped) with the code and message.
func WantError(t testing.TB, err error, code, msg string) {
	t.Helper()
	e, ok := err.(*crudbench.Error)
	if !ok {
		t.Fatalf("error = %v (%T), want *crudbench.Error{%s, %q}", err, err, code, msg)
	}
	if e.Code != code || e.Message != msg {
		t.Fatalf("error = {%s, %q}, want {%s, %q}", e.Code, e.Message, code, msg)
	}
}

// SameUser reports whether a and b are the same row, posts aside. Times
// are compared exactly: a new row's times are truncated to PostgreSQL's
// precision before they are sent, or read back with RETURNING, so what a
// write returns is what later reads return.
func SameUser(a, b crudbench.User) bool {
	return a.ID == b.ID && a.Name == b.Name && a.Email == b.Email && a.Age == b.Age &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

// IDs returns the ids of us, in order.
func IDs(us []crudbench.User) []int64 {
	out := make([]int64, len(us))
	for i, u := range us {
		out[i] = u.ID
	}
	return out
}

// CreateLarge checks CreateUsers on a batch of n users (each with its own
// email u<i>@example.com), larger than one statement could bind as one
// parameter per value: every user comes back, in input order. Then it
// checks that n more whose last email is taken write nothing, and returns
// what the first batch returned.
func CreateLarge(t *testing.T, s crudbench.Store, n int) []crudbench.User {
	t.Helper()
	ctx := context.Background()
	in := make([]crudbench.UserCreate, n)
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

	for i := range in {
		in[i].Email = fmt.Sprintf("v%d@example.com", i)
	}
	in[len(in)-1].Email = "u0@example.com"
	_, err = s.CreateUsers(ctx, in)
	WantError(t, err, crudbench.ECONFLICT, `Email "u0@example.com" is already taken.`)
	after := out[len(out)-1].ID
	if rest, err := s.ListUsers(ctx, after, 10); err != nil || len(rest) != 0 {
		t.Fatalf("after a failed CreateUsers: %d users past id %d, %v; want none", len(rest), after, err)
	}
	return out
}

// Recorder is a pgx tracer that records what a pool sends: the text of
// each statement, and of each statement the driver asks to prepare
// (already prepared on the connection or not).
type Recorder struct {
	mu       sync.Mutex
	sql      []string
	prepared []string
}

var (
	_ pgx.QueryTracer   = (*Recorder)(nil)
	_ pgx.PrepareTracer = (*Recorder)(nil)
)

// TraceQueryStart implements pgx.QueryTracer.
func (r *Recorder) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sql = append(r.sql, d.SQL)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (r *Recorder) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TracePrepareStart implements pgx.PrepareTracer.
func (r *Recorder) TracePrepareStart(ctx context.Context, _ *pgx.Conn, d pgx.TracePrepareStartData) context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prepared = append(r.prepared, d.SQL)
	return ctx
}

// TracePrepareEnd implements pgx.PrepareTracer.
func (r *Recorder) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

// Take returns what r recorded since the last Take, and forgets it.
func (r *Recorder) Take() (sql, prepared []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sql, prepared = r.sql, r.prepared
	r.sql, r.prepared = nil, nil
	return sql, prepared
}

// mustCreate creates one user or fails t.
func mustCreate(t *testing.T, s crudbench.Store, in crudbench.UserCreate) *crudbench.User {
	t.Helper()
	u, err := s.CreateUser(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateUser(%+v): %v", in, err)
	}
	return u
}

// mustCreateUsers creates the users Bob, Cid and Dee (ages 1, 2, 0) or
// fails t.
func mustCreateUsers(t *testing.T, s crudbench.Store) []crudbench.User {
	t.Helper()
	us, err := s.CreateUsers(context.Background(), threeUsers)
	if err != nil {
		t.Fatalf("CreateUsers: %v", err)
	}
	return us
}

// mustUser reads the user id or fails t.
func mustUser(t *testing.T, s crudbench.Store, id int64) *crudbench.User {
	t.Helper()
	u, err := s.User(context.Background(), id)
	if err != nil {
		t.Fatalf("User(%d): %v", id, err)
	}
	return u
}

// mustList lists up to 10 users or fails t.
func mustList(t *testing.T, s crudbench.Store) []crudbench.User {
	t.Helper()
	us, err := s.ListUsers(context.Background(), 0, 10)
	if err != nil {
		t.Fatalf("ListUsers(0, 10): %v", err)
	}
	return us
}

var ann = crudbench.UserCreate{Name: "Ann", Email: "ann@example.com", Age: 30}

var threeUsers = []crudbench.UserCreate{
	{Name: "Bob", Email: "bob@example.com", Age: 1},
	{Name: "Cid", Email: "cid@example.com", Age: 2},
	{Name: "Dee", Email: "dee@example.com"},
}

func testCreateUser(t *testing.T, s crudbench.Store) {
	u := mustCreate(t, s, ann)
	if u.ID <= 0 || u.Name != "Ann" || u.Email != "ann@example.com" || u.Age != 30 ||
		u.CreatedAt.IsZero() || !u.UpdatedAt.Equal(u.CreatedAt) || u.Posts != nil {
		t.Fatalf("CreateUser = %+v", u)
	}
	if got := mustUser(t, s, u.ID); !SameUser(*got, *u) {
		t.Fatalf("User = %+v, want %+v", got, u)
	}
}

func testCreateUserConflict(t *testing.T, s crudbench.Store) {
	mustCreate(t, s, ann)
	_, err := s.CreateUser(context.Background(), crudbench.UserCreate{Name: "Ann 2", Email: "ann@example.com"})
	WantError(t, err, crudbench.ECONFLICT, `Email "ann@example.com" is already taken.`)
}

func testUserMissing(t *testing.T, s crudbench.Store) {
	_, err := s.User(context.Background(), missing)
	WantError(t, err, crudbench.ENOTFOUND, notFound(missing))
}

func testUpdateUser(t *testing.T, s crudbench.Store) {
	ctx := context.Background()
	u := mustCreate(t, s, ann)
	upd, err := s.UpdateUser(ctx, u.ID, crudbench.UserPatch{Age: Ptr(31)})
	if err != nil {
		t.Fatal(err)
	}
	if upd.ID != u.ID || upd.Name != "Ann" || upd.Email != u.Email || upd.Age != 31 ||
		!upd.CreatedAt.Equal(u.CreatedAt) || !upd.UpdatedAt.After(u.UpdatedAt) {
		t.Fatalf("UpdateUser = %+v, from %+v", upd, u)
	}
	if got := mustUser(t, s, u.ID); !SameUser(*got, *upd) {
		t.Fatalf("User after update = %+v, want %+v", got, upd)
	}
	// A patch may set a field to its zero value.
	zero, err := s.UpdateUser(ctx, u.ID, crudbench.UserPatch{Age: Ptr(0)})
	if err != nil || zero.Age != 0 || zero.Name != "Ann" || zero.Email != u.Email {
		t.Fatalf("UpdateUser(age 0) = %+v, %v; want age 0, name and email unchanged", zero, err)
	}
}

func testUpdateUserMissing(t *testing.T, s crudbench.Store) {
	_, err := s.UpdateUser(context.Background(), missing, crudbench.UserPatch{Name: Ptr("X")})
	WantError(t, err, crudbench.ENOTFOUND, notFound(missing))
}

func testCreateUsers(t *testing.T, s crudbench.Store) {
	first := mustCreate(t, s, ann)
	us := mustCreateUsers(t, s)
	if len(us) != len(threeUsers) {
		t.Fatalf("CreateUsers returned %d users, want %d", len(us), len(threeUsers))
	}
	for i, u := range us {
		in := threeUsers[i]
		if u.Name != in.Name || u.Email != in.Email || u.Age != in.Age || u.ID <= first.ID ||
			(i > 0 && u.ID <= us[i-1].ID) || u.CreatedAt.IsZero() || !u.UpdatedAt.Equal(u.CreatedAt) {
			t.Fatalf("CreateUsers[%d] = %+v, want %+v in order", i, u, in)
		}
	}
}

func testCreateUsersConflict(t *testing.T, s crudbench.Store) {
	us := mustCreateUsers(t, s)
	_, err := s.CreateUsers(context.Background(), []crudbench.UserCreate{
		{Name: "Eve", Email: "eve@example.com"},
		{Name: "Bob 2", Email: "bob@example.com"},
	})
	WantError(t, err, crudbench.ECONFLICT, `Email "bob@example.com" is already taken.`)
	if all := mustList(t, s); !slices.Equal(IDs(all), IDs(us)) {
		t.Fatalf("ListUsers ids = %v, want %v (no Eve: the failed batch writes nothing)", IDs(all), IDs(us))
	}
}

func testListUsers(t *testing.T, s crudbench.Store) {
	first := mustCreate(t, s, ann)
	us := mustCreateUsers(t, s)
	all := mustList(t, s)
	if want := append([]int64{first.ID}, IDs(us)...); !slices.Equal(IDs(all), want) {
		t.Fatalf("ListUsers(0, 10) ids = %v, want %v", IDs(all), want)
	}
	if !SameUser(all[0], *first) {
		t.Fatalf("ListUsers[0] = %+v, want %+v", all[0], first)
	}
	page, err := s.ListUsers(context.Background(), first.ID, 2)
	if err != nil || !slices.Equal(IDs(page), IDs(us[:2])) {
		t.Fatalf("ListUsers(%d, 2) = %v, %v; want ids %v", first.ID, IDs(page), err, IDs(us[:2]))
	}
}

func testUsersByID(t *testing.T, s crudbench.Store) {
	first := mustCreate(t, s, ann)
	us := mustCreateUsers(t, s)
	byID, err := s.UsersByID(context.Background(), []int64{us[2].ID, missing, first.ID})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{first.ID, us[2].ID}; !slices.Equal(IDs(byID), want) {
		t.Fatalf("UsersByID ids = %v, want %v", IDs(byID), want)
	}
	if !SameUser(byID[1], us[2]) {
		t.Fatalf("UsersByID[1] = %+v, want %+v", byID[1], us[2])
	}
}

func testUpdateUsers(t *testing.T, s crudbench.Store) {
	us := mustCreateUsers(t, s)
	ups, err := s.UpdateUsers(context.Background(), []crudbench.UserUpdate{
		{ID: us[1].ID, UserPatch: crudbench.UserPatch{Name: Ptr("Cid 2")}},
		{ID: us[0].ID, UserPatch: crudbench.UserPatch{Email: Ptr("bob2@example.com"), Age: Ptr(5)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 || ups[0].ID != us[1].ID || ups[0].Name != "Cid 2" || ups[0].Age != 2 ||
		ups[0].Email != "cid@example.com" || ups[1].ID != us[0].ID || ups[1].Email != "bob2@example.com" ||
		ups[1].Age != 5 || ups[1].Name != "Bob" || !ups[1].UpdatedAt.After(us[0].UpdatedAt) ||
		!ups[1].CreatedAt.Equal(us[0].CreatedAt) {
		t.Fatalf("UpdateUsers = %+v", ups)
	}
	if got := mustUser(t, s, us[0].ID); !SameUser(*got, ups[1]) {
		t.Fatalf("User after UpdateUsers = %+v, want %+v", got, ups[1])
	}
}

func testUpdateUsersSwap(t *testing.T, s crudbench.Store) {
	us := mustCreateUsers(t, s)
	got, err := s.UpdateUsers(context.Background(), []crudbench.UserUpdate{
		{ID: us[1].ID, UserPatch: crudbench.UserPatch{Email: Ptr(us[0].Email)}},
		{ID: us[0].ID, UserPatch: crudbench.UserPatch{Email: Ptr(us[1].Email), Age: Ptr(0)}},
	})
	if err != nil {
		t.Fatalf("swapping two emails: %v", err)
	}
	if len(got) != 2 || got[0].ID != us[1].ID || got[0].Email != us[0].Email || got[0].Age != us[1].Age ||
		got[1].ID != us[0].ID || got[1].Email != us[1].Email || got[1].Age != 0 || got[1].Name != us[0].Name {
		t.Fatalf("UpdateUsers (swap) = %+v", got)
	}
}

// testUpdateUsersMissing checks that a missing id fails the batch whether
// it changes emails or not, that the first missing one in input order is
// reported, and that the rows before it are rolled back.
func testUpdateUsersMissing(t *testing.T, s crudbench.Store) {
	us := mustCreateUsers(t, s)
	for _, p := range []crudbench.UserPatch{{Name: Ptr("X")}, {Email: Ptr("x@example.com")}} {
		_, err := s.UpdateUsers(context.Background(), []crudbench.UserUpdate{
			{ID: us[2].ID, UserPatch: crudbench.UserPatch{Name: Ptr("Dee 2")}},
			{ID: missing, UserPatch: p},
			{ID: missing + 1, UserPatch: p},
		})
		WantError(t, err, crudbench.ENOTFOUND, notFound(missing))
		if got := mustUser(t, s, us[2].ID); !SameUser(*got, us[2]) {
			t.Fatalf("after a failed UpdateUsers: User = %+v, want %+v (rolled back)", got, us[2])
		}
	}
}

// testUpdateUsersMissingFirst checks that a missing id is reported before
// an email conflict in the same batch.
func testUpdateUsersMissingFirst(t *testing.T, s crudbench.Store) {
	us := mustCreateUsers(t, s)
	_, err := s.UpdateUsers(context.Background(), []crudbench.UserUpdate{
		{ID: us[2].ID, UserPatch: crudbench.UserPatch{Email: Ptr(us[0].Email)}},
		{ID: missing, UserPatch: crudbench.UserPatch{Name: Ptr("X")}},
	})
	WantError(t, err, crudbench.ENOTFOUND, notFound(missing))
	if got := mustUser(t, s, us[2].ID); got.Email != us[2].Email {
		t.Fatalf("after a failed batch: User = %+v, want email %s (rolled back)", got, us[2].Email)
	}
}

func testUpdateUsersConflict(t *testing.T, s crudbench.Store) {
	us := mustCreateUsers(t, s)
	_, err := s.UpdateUsers(context.Background(), []crudbench.UserUpdate{
		{ID: us[1].ID, UserPatch: crudbench.UserPatch{Name: Ptr("Cid 2")}},
		{ID: us[2].ID, UserPatch: crudbench.UserPatch{Email: Ptr(us[0].Email)}},
	})
	WantError(t, err, crudbench.ECONFLICT, bulk.EmailConflictMessage)
	if got := mustUser(t, s, us[1].ID); got.Name != "Cid" {
		t.Fatalf("after a failed batch: User = %+v, want the name Cid (rolled back)", got)
	}
}

func testPosts(t *testing.T, s crudbench.Store) {
	ctx := context.Background()
	u := mustCreate(t, s, ann)
	p1, err := s.CreatePost(ctx, u.ID, crudbench.PostCreate{Title: "First", Body: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	if p1.ID <= 0 || p1.UserID != u.ID || p1.Title != "First" || p1.Body != "Hello" || p1.CreatedAt.IsZero() {
		t.Fatalf("CreatePost = %+v", p1)
	}
	p2, err := s.CreatePost(ctx, u.ID, crudbench.PostCreate{Title: "Second"})
	if err != nil {
		t.Fatal(err)
	}
	if p2.ID <= p1.ID || p2.Body != "" {
		t.Fatalf("second CreatePost = %+v, after %+v", p2, p1)
	}
	_, err = s.CreatePost(ctx, missing, crudbench.PostCreate{Title: "Orphan"})
	WantError(t, err, crudbench.ENOTFOUND, notFound(missing))

	uwp, err := s.UserWithPosts(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !SameUser(*uwp, *u) || len(uwp.Posts) != 2 || !uwp.Posts[0].CreatedAt.Equal(p1.CreatedAt) ||
		!uwp.Posts[1].CreatedAt.Equal(p2.CreatedAt) {
		t.Fatalf("UserWithPosts = %+v, want %+v with posts %+v, %+v", uwp, u, p1, p2)
	}
	// Times are compared above with Equal; the rest field by field.
	uwp.Posts[0].CreatedAt, uwp.Posts[1].CreatedAt = p1.CreatedAt, p2.CreatedAt
	if uwp.Posts[0] != *p1 || uwp.Posts[1] != *p2 {
		t.Fatalf("UserWithPosts posts = %+v, want %+v, %+v", uwp.Posts, p1, p2)
	}
}

func testNoPosts(t *testing.T, s crudbench.Store) {
	ctx := context.Background()
	u := mustCreate(t, s, ann)
	none, err := s.UserWithPosts(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !SameUser(*none, *u) || none.Posts == nil || len(none.Posts) != 0 {
		t.Fatalf("UserWithPosts of a user without posts = %+v, Posts %#v; want the user and a non-nil empty slice", none, none.Posts)
	}
	_, err = s.UserWithPosts(ctx, missing)
	WantError(t, err, crudbench.ENOTFOUND, notFound(missing))
}

func testDeleteUser(t *testing.T, s crudbench.Store) {
	ctx := context.Background()
	u := mustCreate(t, s, ann)
	if _, err := s.CreatePost(ctx, u.ID, crudbench.PostCreate{Title: "First"}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatalf("DeleteUser of a user with a post: %v", err)
	}
	WantError(t, s.DeleteUser(ctx, u.ID), crudbench.ENOTFOUND, notFound(u.ID))
	_, err := s.UserWithPosts(ctx, u.ID)
	WantError(t, err, crudbench.ENOTFOUND, notFound(u.ID))
}

func testDeleteUsers(t *testing.T, s crudbench.Store) {
	us := mustCreateUsers(t, s)
	n, err := s.DeleteUsers(context.Background(), []int64{us[0].ID, us[1].ID, missing})
	if err != nil || n != 2 {
		t.Fatalf("DeleteUsers = %d, %v; want 2", n, err)
	}
	if left := mustList(t, s); !slices.Equal(IDs(left), []int64{us[2].ID}) {
		t.Fatalf("ListUsers after DeleteUsers = %v; want [%d]", IDs(left), us[2].ID)
	}
}

func testDeadline(t *testing.T, s crudbench.Store) {
	u := mustCreate(t, s, ann)
	dead, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := s.User(dead, u.ID)
	WantError(t, err, crudbench.ETIMEOUT, "The database did not answer in time.")
}
