package sqlx_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/storetest"
	"github.com/crudbench/crudbench/sqlx"
)

// TestStore runs the contract on the arm and on its named variant.
func TestStore(t *testing.T) {
	t.Run("positional", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) crudbench.Store { return sqlx.NewStore(openDB(t, nil)) })
	})
	t.Run("named", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T) crudbench.Store { return sqlx.NewNamedStore(openDB(t, nil)) })
	})
}

// TestStatements pins what each operation sends, by the statement's first
// words, for the arm and its variant: one statement per operation but the
// bulk update's transaction, and the same statements from both forms.
func TestStatements(t *testing.T) {
	for _, named := range []bool{false, true} {
		ctx := context.Background()
		var rec storetest.Recorder
		var s crudbench.Store = sqlx.NewStore(openDB(t, &rec))
		if named {
			s = sqlx.NewNamedStore(openDB(t, &rec))
		}
		sent := func(name string, want []string, op func() error) {
			t.Helper()
			rec.Take()
			if err := op(); err != nil {
				t.Fatalf("named=%v %s: %v", named, name, err)
			}
			stmts, _ := rec.Take()
			var got []string
			for _, sql := range stmts {
				f := strings.Fields(sql)
				got = append(got, strings.ToLower(strings.Join(f[:min(2, len(f))], " ")))
			}
			if !slices.Equal(got, want) {
				t.Errorf("named=%v %s sent %q, want %q", named, name, got, want)
			}
		}
		var u *crudbench.User
		sent("CreateUser", []string{"insert into"}, func() (err error) {
			u, err = s.CreateUser(ctx, crudbench.UserCreate{Name: "A", Email: "a@example.com"})
			return err
		})
		sent("User", []string{"select *"}, func() error { _, err := s.User(ctx, u.ID); return err })
		sent("UpdateUser", []string{"update users"}, func() error {
			_, err := s.UpdateUser(ctx, u.ID, crudbench.UserPatch{Age: storetest.Ptr(0)})
			return err
		})
		sent("ListUsers", []string{"select *"}, func() error { _, err := s.ListUsers(ctx, 0, 10); return err })
		var us []crudbench.User
		sent("CreateUsers(3)", []string{"with ins"}, func() (err error) {
			us, err = s.CreateUsers(ctx, []crudbench.UserCreate{
				{Name: "B", Email: "b@example.com"}, {Name: "C", Email: "c@example.com"}, {Name: "D", Email: "d@example.com"},
			})
			return err
		})
		sent("UsersByID(3)", []string{"select *"}, func() error { _, err := s.UsersByID(ctx, storetest.IDs(us)); return err })
		sent("UpdateUsers(3) with emails", []string{"begin", "update users", "update users", "commit"}, func() error {
			_, err := s.UpdateUsers(ctx, []crudbench.UserUpdate{
				{ID: us[0].ID, UserPatch: crudbench.UserPatch{Email: storetest.Ptr(us[1].Email)}},
				{ID: us[1].ID, UserPatch: crudbench.UserPatch{Email: storetest.Ptr(us[0].Email)}},
			})
			return err
		})
		sent("CreatePost", []string{"insert into"}, func() error {
			_, err := s.CreatePost(ctx, u.ID, crudbench.PostCreate{Title: "T"})
			return err
		})
		sent("UserWithPosts", []string{"select u.*,"}, func() error { _, err := s.UserWithPosts(ctx, u.ID); return err })
		sent("DeleteUsers(3)", []string{"delete from"}, func() error { _, err := s.DeleteUsers(ctx, storetest.IDs(us)); return err })
		sent("DeleteUser", []string{"delete from"}, func() error { return s.DeleteUser(ctx, u.ID) })
	}
}
