package gorm_test

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

// The statements the arm sends, as its tracer sees them.
const (
	sqlCreate     = `INSERT INTO "users" ("name","email","age","created_at","updated_at") VALUES ($1,$2,$3,$4,$5) RETURNING "id"`
	sqlRead       = `SELECT * FROM "users" WHERE "users"."id" = $1 ORDER BY "users"."id" LIMIT $2`
	sqlUpdateAge  = `UPDATE "users" SET "age"=$1,"updated_at"=$2 WHERE "id" = $3 RETURNING *`
	sqlUpdateMail = `UPDATE "users" SET "email"=$1,"updated_at"=$2 WHERE "id" = $3 RETURNING *`
	sqlDelete     = `DELETE FROM "users" WHERE "users"."id" = $1`
	sqlList       = `SELECT * FROM "users" WHERE id > $1 ORDER BY id LIMIT $2`
	sqlCreate3    = `INSERT INTO "users" ("name","email","age","created_at","updated_at") VALUES ($1,$2,$3,$4,$5),($6,$7,$8,$9,$10),($11,$12,$13,$14,$15) RETURNING "id"`
	sqlRead3      = `SELECT * FROM "users" WHERE "users"."id" IN ($1,$2,$3) ORDER BY id`
	sqlDelete3    = `DELETE FROM "users" WHERE "users"."id" IN ($1,$2,$3)`
	sqlCreatePost = `INSERT INTO "posts" ("title","body","created_at","user_id") VALUES ($1,$2,$3,$4) RETURNING "id"`
	sqlPosts      = `SELECT * FROM "posts" WHERE "posts"."user_id" = $1 ORDER BY id`
	sqlSave       = `UPDATE "users" SET "name"=$1,"email"=$2,"age"=$3,"created_at"=$4,"updated_at"=$5 WHERE "id" = $6`
)

// statementOp is one operation of TestStatements: setup runs untraced
// before each run, so that every run has rows of its own to work on.
type statementOp struct {
	name  string
	setup func(i int) error
	run   func(i int) error
	// want is what the arm sends on a second run, its statements warm.
	want []string
	// write marks the writes gorm-tx wraps in its default transaction.
	write bool
}

// TestStatements pins what each operation sends on the arm and on each
// variant: every statement run ("Q") and every statement prepared on the
// connection ("P", one more round trip, which dbconf.QueryCounter does
// not count). Each operation runs twice and the second run is compared,
// when the first has prepared what it needs. The arm then prepares
// nothing; gorm-tx prepares its write again on every run, because gorm's
// statement cache keeps a statement first prepared in a transaction as
// that transaction's, and database/sql closes (deallocates) it at COMMIT.
// The statements are the same in every query mode: gorm's cache prepares
// its statements even under simple_protocol.
func TestStatements(t *testing.T) {
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			ctx := context.Background()
			var r recorder
			s := f.open(t, openDB(t, &r))
			u, err := s.CreateUser(ctx, crudbench.UserCreate{Name: "A", Email: "a@example.com"})
			if err != nil {
				t.Fatal(err)
			}
			var three []int64 // users of the bulk operations
			fresh := func(prefix string, i int) []crudbench.UserCreate {
				return []crudbench.UserCreate{
					{Name: "B", Email: fmt.Sprintf("%s%d-1@example.com", prefix, i)},
					{Name: "C", Email: fmt.Sprintf("%s%d-2@example.com", prefix, i)},
					{Name: "D", Email: fmt.Sprintf("%s%d-3@example.com", prefix, i)},
				}
			}
			createThree := func(prefix string, i int) error {
				us, err := s.CreateUsers(ctx, fresh(prefix, i))
				three = storetest.IDs(us)
				return err
			}
			updates := func(i int, email bool) []crudbench.UserUpdate {
				in := make([]crudbench.UserUpdate, len(three))
				for j, id := range three {
					in[j].ID = id
					if email {
						in[j].Email = storetest.Ptr(fmt.Sprintf("e%d-%d@example.com", i, j))
					} else {
						in[j].Age = storetest.Ptr(i)
					}
				}
				return in
			}
			var victim int64
			ops := []statementOp{
				{name: "create", write: true, want: []string{"Q " + sqlCreate}, run: func(i int) error {
					_, err := s.CreateUser(ctx, crudbench.UserCreate{Name: "N", Email: fmt.Sprintf("n%d@example.com", i)})
					return err
				}},
				{name: "read", want: []string{"Q " + sqlRead}, run: func(int) error {
					_, err := s.User(ctx, u.ID)
					return err
				}},
				{name: "update", write: true, want: []string{"Q " + sqlUpdateAge}, run: func(i int) error {
					_, err := s.UpdateUser(ctx, u.ID, crudbench.UserPatch{Age: storetest.Ptr(i)})
					return err
				}},
				{name: "list", want: []string{"Q " + sqlList}, run: func(int) error {
					_, err := s.ListUsers(ctx, 0, 10)
					return err
				}},
				{name: "bulk-create", write: true, want: []string{"Q " + sqlCreate3}, run: func(i int) error {
					return createThree("b", i)
				}},
				{name: "bulk-read", want: []string{"Q " + sqlRead3}, run: func(int) error {
					_, err := s.UsersByID(ctx, three)
					return err
				}},
				// Bulk updates run in the store's own transaction, the
				// same on every form, with pgx's statement cache.
				{name: "bulk-update", want: []string{"Q begin", "Q " + sqlUpdateAge, "Q " + sqlUpdateAge, "Q " + sqlUpdateAge, "Q commit"}, run: func(i int) error {
					_, err := s.UpdateUsers(ctx, updates(i, false))
					return err
				}},
				{name: "bulk-update-emails", want: []string{"Q begin", "Q " + oneLine(bulk.FreeEmails), "Q " + sqlUpdateMail, "Q " + sqlUpdateMail, "Q " + sqlUpdateMail, "Q commit"}, run: func(i int) error {
					_, err := s.UpdateUsers(ctx, updates(i, true))
					return err
				}},
				{name: "create-post", write: true, want: []string{"Q " + sqlCreatePost}, run: func(i int) error {
					_, err := s.CreatePost(ctx, u.ID, crudbench.PostCreate{Title: "T"})
					return err
				}},
				{name: "relation", want: []string{"Q " + sqlRead, "Q " + sqlPosts}, run: func(int) error {
					_, err := s.UserWithPosts(ctx, u.ID)
					return err
				}},
				{name: "bulk-delete", write: true, want: []string{"Q " + sqlDelete3}, setup: func(i int) error {
					return createThree("d", i)
				}, run: func(int) error {
					n, err := s.DeleteUsers(ctx, three)
					if err == nil && n != len(three) {
						err = fmt.Errorf("deleted %d users, want %d", n, len(three))
					}
					return err
				}},
				{name: "delete", write: true, want: []string{"Q " + sqlDelete}, setup: func(i int) error {
					v, err := s.CreateUser(ctx, crudbench.UserCreate{Name: "V", Email: fmt.Sprintf("v%d@example.com", i)})
					if err == nil {
						victim = v.ID
					}
					return err
				}, run: func(int) error { return s.DeleteUser(ctx, victim) }},
			}
			for _, op := range ops {
				want := op.want
				switch {
				case f.name == "gorm-tx" && op.write:
					want = append(append([]string{"Q begin", "P" + want[0][1:]}, want...), "Q commit")
				case f.name == "gorm-save" && op.name == "update":
					want = []string{"Q " + sqlRead, "Q " + sqlSave}
				}
				var got []string
				for i := range 2 {
					if op.setup != nil {
						if err := op.setup(i); err != nil {
							t.Fatalf("%s: setup: %v", op.name, err)
						}
					}
					r.take()
					if err := op.run(i); err != nil {
						t.Fatalf("%s: %v", op.name, err)
					}
					got = r.take()
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s sent, warm:\n\t%s\nwant:\n\t%s", op.name, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
				}
			}
		})
	}
}

func oneLine(sql string) string { return strings.Join(strings.Fields(sql), " ") }
