package ent_test

import (
	"context"
	"testing"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/ent"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/storetest"
)

// TestStore runs the contract on the arm.
func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) crudbench.Store { return newStore(t) })
}

// TestCreateUsersChunks covers batches beyond one statement's 65,535 bind
// parameters: they are split, in one transaction, in input order, and a
// conflict in the last chunk rolls back the first one too.
func TestCreateUsersChunks(t *testing.T) {
	if testing.Short() {
		t.Skip("inserts 2 x 13,108 users")
	}
	storetest.CreateLarge(t, newStore(t), 65535/5+1)
}

// TestStatements pins how many statements each operation sends: what ent
// costs per request (UpdateOneID, for one, runs BEGIN, UPDATE, SELECT,
// COMMIT), and that no operation sends more than that.
func TestStatements(t *testing.T) {
	ctx := context.Background()
	var qc dbconf.QueryCounter
	db, err := dbconf.OpenDB(pgtest.NewDatabase(t), &qc)
	if err != nil {
		t.Fatal(err)
	}
	s := ent.NewStore(db)
	defer s.Close()
	count := func(name string, want int64, op func() error) {
		t.Helper()
		before := qc.Count()
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := qc.Count() - before; got != want {
			t.Errorf("%s sent %d statements, want %d", name, got, want)
		}
	}
	var u *crudbench.User
	count("CreateUser", 1, func() (err error) {
		u, err = s.CreateUser(ctx, crudbench.UserCreate{Name: "A", Email: "a@example.com"})
		return err
	})
	count("User", 1, func() error { _, err := s.User(ctx, u.ID); return err })
	count("UpdateUser", 4, func() error {
		_, err := s.UpdateUser(ctx, u.ID, crudbench.UserPatch{Age: storetest.Ptr(2)})
		return err
	})
	count("ListUsers", 1, func() error { _, err := s.ListUsers(ctx, 0, 10); return err })
	var us []crudbench.User
	count("CreateUsers(3)", 1, func() (err error) {
		us, err = s.CreateUsers(ctx, []crudbench.UserCreate{
			{Name: "B", Email: "b@example.com"}, {Name: "C", Email: "c@example.com"}, {Name: "D", Email: "d@example.com"},
		})
		return err
	})
	count("UsersByID(3)", 1, func() error { _, err := s.UsersByID(ctx, storetest.IDs(us)); return err })
	count("UpdateUsers(3)", 3+3, func() error {
		in := make([]crudbench.UserUpdate, len(us))
		for i, u := range us {
			in[i] = crudbench.UserUpdate{ID: u.ID, UserPatch: crudbench.UserPatch{Age: storetest.Ptr(i)}}
		}
		_, err := s.UpdateUsers(ctx, in)
		return err
	})
	count("CreatePost", 1, func() error {
		_, err := s.CreatePost(ctx, u.ID, crudbench.PostCreate{Title: "T"})
		return err
	})
	count("UserWithPosts", 2, func() error { _, err := s.UserWithPosts(ctx, u.ID); return err })
	count("DeleteUsers(3)", 1, func() error { _, err := s.DeleteUsers(ctx, storetest.IDs(us)); return err })
	count("DeleteUser", 1, func() error { return s.DeleteUser(ctx, u.ID) })
}
