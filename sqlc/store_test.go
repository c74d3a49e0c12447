package sqlc_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/bulk"
	"github.com/crudbench/crudbench/internal/storetest"
)

// TestStore runs the contract on the arm.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) crudbench.Store { return newStore(t, nil) })
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
	out := storetest.CreateLarge(t, s, 65535/3+1)

	// Every user gets a new email (in reverse input order, to check the
	// answer's order) and half of them a new age.
	ups := make([]crudbench.UserUpdate, len(out))
	for i := range ups {
		u := out[len(out)-1-i]
		ups[i] = crudbench.UserUpdate{ID: u.ID, UserPatch: crudbench.UserPatch{Email: storetest.Ptr("w" + u.Email)}}
		if i%2 == 0 {
			ups[i].Age = storetest.Ptr(7)
		}
	}
	got, err := s.UpdateUsers(ctx, ups)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(ups) {
		t.Fatalf("UpdateUsers returned %d users, want %d", len(got), len(ups))
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
	var rec storetest.Recorder
	s := newStore(t, &rec)
	// sent runs op and checks the names of the statements it sent, which
	// it returns.
	sent := func(name string, want []string, op func() error) []string {
		t.Helper()
		rec.Take()
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		stmts, _ := rec.Take()
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
		_, err := s.UpdateUser(ctx, u.ID, crudbench.UserPatch{Age: storetest.Ptr(2)})
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
	sent("UsersByID(3)", []string{"UsersByID"}, func() error { _, err := s.UsersByID(ctx, storetest.IDs(us)); return err })
	update := func(email bool) func() error {
		return func() error {
			in := make([]crudbench.UserUpdate, len(us))
			for i, u := range us {
				in[i] = crudbench.UserUpdate{ID: u.ID, UserPatch: crudbench.UserPatch{Age: storetest.Ptr(i)}}
				if email {
					in[i].Email = storetest.Ptr(fmt.Sprintf("e%d@example.com", i))
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
	sent("UserWithPosts", []string{"UserWithPosts"}, func() error { _, err := s.UserWithPosts(ctx, u.ID); return err })
	sent("DeleteUsers(3)", []string{"DeleteUsers"}, func() error { _, err := s.DeleteUsers(ctx, storetest.IDs(us)); return err })
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
