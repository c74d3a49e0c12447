package jet_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/storetest"
)

// TestStore runs the contract on the arm.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) crudbench.Store { return newStore(t, nil) })
}

// TestCreateUsersChunks covers batches beyond one statement's 65,535 bind
// parameters: they are split, in one transaction, in input order, and a
// conflict in the last chunk rolls back the first one too.
func TestCreateUsersChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 2 x 21,846 users")
	}
	storetest.CreateLarge(t, newStore(t, nil), 65535/3+1)
}

// TestStatements pins the statements each operation sends, by their
// first line, in order: what jet costs per request. Every value is a bind
// parameter; a user with posts is one SELECT … LEFT JOIN.
func TestStatements(t *testing.T) {
	ctx := context.Background()
	var rec storetest.Recorder
	s := newStore(t, &rec)
	sent := func(name string, want []string, op func() error) {
		t.Helper()
		rec.Take()
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		stmts, _ := rec.Take()
		var got []string
		for _, sql := range stmts {
			first, _, _ := strings.Cut(strings.TrimSpace(sql), "\n")
			got = append(got, first)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s sent %q, want %q", name, got, want)
		}
	}
	const (
		insertUsers = "INSERT INTO public.users (name, email, age)"
		selectUsers = `SELECT users.id AS "users.id",`
		updateUsers = "UPDATE public.users"
	)
	var u *crudbench.User
	sent("CreateUser", []string{insertUsers}, func() (err error) {
		u, err = s.CreateUser(ctx, crudbench.UserCreate{Name: "A", Email: "a@example.com"})
		return err
	})
	sent("User", []string{selectUsers}, func() error { _, err := s.User(ctx, u.ID); return err })
	sent("UpdateUser", []string{updateUsers}, func() error {
		_, err := s.UpdateUser(ctx, u.ID, crudbench.UserPatch{Age: storetest.Ptr(0)})
		return err
	})
	sent("ListUsers", []string{selectUsers}, func() error { _, err := s.ListUsers(ctx, 0, 10); return err })
	var us []crudbench.User
	sent("CreateUsers(3)", []string{insertUsers}, func() (err error) {
		us, err = s.CreateUsers(ctx, []crudbench.UserCreate{
			{Name: "B", Email: "b@example.com"}, {Name: "C", Email: "c@example.com"}, {Name: "D", Email: "d@example.com"},
		})
		return err
	})
	sent("UsersByID(3)", []string{selectUsers}, func() error { _, err := s.UsersByID(ctx, storetest.IDs(us)); return err })
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
	sent("UpdateUsers(3)", []string{"begin", updateUsers, "commit"}, update(false))
	sent("UpdateUsers(3) with emails", []string{"begin", updateUsers, updateUsers, "commit"}, update(true))
	sent("CreatePost", []string{"INSERT INTO public.posts (user_id, title, body)"}, func() error {
		_, err := s.CreatePost(ctx, u.ID, crudbench.PostCreate{Title: "T"})
		return err
	})
	sent("UserWithPosts", []string{selectUsers}, func() error { _, err := s.UserWithPosts(ctx, u.ID); return err })
	sent("DeleteUsers(3)", []string{"DELETE FROM public.users"}, func() error { _, err := s.DeleteUsers(ctx, storetest.IDs(us)); return err })
	sent("DeleteUser", []string{"DELETE FROM public.users"}, func() error { return s.DeleteUser(ctx, u.ID) })
}
