package bun_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/storetest"
	"github.com/crudbench/crudbench/rawsql"
)

const userCols = `"u"."id", "u"."name", "u"."email", "u"."age", "u"."created_at", "u"."updated_at"`

// TestStatements pins the statements each operation sends, text and all:
// bun writes every value into the text and binds no parameter, so the ids
// and strings below are literals in what PostgreSQL receives.
func TestStatements(t *testing.T) {
	ctx := context.Background()
	var r storetest.Recorder
	s := openStore(t, pgtest.NewDatabase(t), &r)
	check := func(name string, want ...string) {
		t.Helper()
		got, _ := r.Take()
		if !slices.Equal(got, want) {
			t.Errorf("%s sent:\n%q\nwant:\n%q", name, got, want)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	u, err := s.CreateUser(ctx, crudbench.UserCreate{Name: "O'Neil ?", Email: "a@example.com"})
	must(err)
	check("CreateUser", `INSERT INTO "users" ("id", "name", "email", "age", "created_at", "updated_at") `+
		`VALUES (DEFAULT, 'O''Neil ?', 'a@example.com', DEFAULT, DEFAULT, DEFAULT) RETURNING *`)

	_, err = s.User(ctx, u.ID)
	must(err)
	check("User", fmt.Sprintf(`SELECT %s FROM "users" AS "u" WHERE (id = %d)`, userCols, u.ID))

	_, err = s.UpdateUser(ctx, u.ID, crudbench.UserPatch{Name: storetest.Ptr("N"), Age: storetest.Ptr(0)})
	must(err)
	check("UpdateUser", fmt.Sprintf(`UPDATE "users" AS "u" SET "name" = 'N', "age" = 0, updated_at = now() `+
		`WHERE ("u"."id" = %d) RETURNING *`, u.ID))

	_, err = s.ListUsers(ctx, 0, 10)
	must(err)
	check("ListUsers", fmt.Sprintf(`SELECT %s FROM "users" AS "u" WHERE (id > 0) ORDER BY "id" LIMIT 10`, userCols))

	us, err := s.CreateUsers(ctx, []crudbench.UserCreate{{Name: "B", Email: "b@example.com", Age: 2}, {Name: "C", Email: "c@example.com"}})
	must(err)
	check("CreateUsers(2)", `INSERT INTO "users" ("id", "name", "email", "age", "created_at", "updated_at") `+
		`VALUES (DEFAULT, 'B', 'b@example.com', 2, DEFAULT, DEFAULT), (DEFAULT, 'C', 'c@example.com', DEFAULT, DEFAULT, DEFAULT) RETURNING *`)
	b, c := us[0].ID, us[1].ID

	_, err = s.UsersByID(ctx, []int64{c, b})
	must(err)
	check("UsersByID(2)", fmt.Sprintf(`SELECT %s FROM "users" AS "u" WHERE (id IN (%d, %d)) ORDER BY "id"`, userCols, c, b))

	update := func(values string) string {
		return `WITH "_data" ("id", "name", "email", "age") AS (VALUES ` + values + `) ` +
			`UPDATE "users" AS "u" SET name = COALESCE(_data.name, u.name), email = COALESCE(_data.email, u.email), ` +
			`age = COALESCE(_data.age, u.age), updated_at = now() FROM _data WHERE (u.id = _data.id) RETURNING u.*`
	}
	_, err = s.UpdateUsers(ctx, []crudbench.UserUpdate{
		{ID: c, UserPatch: crudbench.UserPatch{Age: storetest.Ptr(3)}},
		{ID: b, UserPatch: crudbench.UserPatch{Name: storetest.Ptr("B2")}},
	})
	must(err)
	check("UpdateUsers(2) without emails", "begin",
		update(fmt.Sprintf(`(%d::bigint, NULL::text, NULL::text, 3::integer), (%d::bigint, 'B2'::text, NULL::text, NULL::integer)`, c, b)),
		"commit")

	_, err = s.UpdateUsers(ctx, []crudbench.UserUpdate{
		{ID: c, UserPatch: crudbench.UserPatch{Email: storetest.Ptr("b@example.com")}},
		{ID: b, UserPatch: crudbench.UserPatch{Email: storetest.Ptr("c@example.com")}},
	})
	must(err)
	check("UpdateUsers(2) swapping emails", "begin",
		fmt.Sprintf(`UPDATE "users" AS "u" SET email = CASE WHEN id IN (%d, %d) THEN '#' || id ELSE email END `+
			`WHERE (id IN (%d, %d)) RETURNING id`, c, b, c, b),
		update(fmt.Sprintf(`(%d::bigint, NULL::text, 'b@example.com'::text, NULL::integer), (%d::bigint, NULL::text, 'c@example.com'::text, NULL::integer)`, c, b)),
		"commit")

	_, err = s.CreatePost(ctx, u.ID, crudbench.PostCreate{Title: "T"})
	must(err)
	check("CreatePost", fmt.Sprintf(`INSERT INTO "posts" ("id", "title", "body", "created_at", "user_id") `+
		`VALUES (DEFAULT, 'T', DEFAULT, DEFAULT, %d) RETURNING *`, u.ID))

	_, err = s.UserWithPosts(ctx, u.ID)
	must(err)
	check("UserWithPosts",
		fmt.Sprintf(`SELECT %s FROM "users" AS "u" WHERE (u.id = %d)`, userCols, u.ID),
		fmt.Sprintf(`SELECT "p"."id", "p"."title", "p"."body", "p"."created_at", "p"."user_id" FROM "posts" AS "p" `+
			`WHERE ("p"."user_id" IN (%d)) ORDER BY "p"."id"`, u.ID))

	_, err = s.DeleteUsers(ctx, []int64{b, c})
	must(err)
	check("DeleteUsers(2)", fmt.Sprintf(`DELETE FROM "users" AS "u" WHERE (id IN (%d, %d))`, b, c))

	must(s.DeleteUser(ctx, u.ID))
	check("DeleteUser", fmt.Sprintf(`DELETE FROM "users" AS "u" WHERE (id = %d)`, u.ID))
}

// TestStatementCache pins why the arm runs on the simple protocol: under
// the other arms' default query execution mode, cache_statement, pgx prepares (one more
// round trip, and a plan kept on the connection) every text it has not
// cached on that connection, and with the values in the text nearly every
// request's text is new. The sql arm sends the same read with $1 and
// prepares it once. Statements that return no rows (DELETE) go through
// database/sql's Exec with no arguments, for which pgx uses the simple
// protocol: nothing prepared.
func TestStatementCache(t *testing.T) {
	t.Setenv(dbconf.EnvQueryMode, "cache_statement")
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	var r storetest.Recorder
	s := openStoreWith(t, dsn, &r) // the shared settings, without the simple protocol
	s.DB().SetMaxOpenConns(1)      // one connection, one statement cache

	us, err := s.CreateUsers(ctx, []crudbench.UserCreate{
		{Name: "A", Email: "a@example.com"}, {Name: "B", Email: "b@example.com"}, {Name: "C", Email: "c@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.Take()
	prepares := func(name string, want int, op func() error) {
		t.Helper()
		if err := op(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, prepared := r.Take(); len(prepared) != want {
			t.Errorf("%s prepared %d statements, want %d: %q", name, len(prepared), want, prepared)
		}
	}
	read := func(id int64) func() error {
		return func() error { _, err := s.User(ctx, id); return err }
	}
	prepares("bun: first read of user 1", 1, read(us[0].ID))
	prepares("bun: second read of user 1", 0, read(us[0].ID))
	prepares("bun: first read of user 2", 1, read(us[1].ID))
	prepares("bun: first read of user 3", 1, read(us[2].ID))
	prepares("bun: delete of user 3", 0, func() error { return s.DeleteUser(ctx, us[2].ID) })

	// The arm as served: the simple protocol prepares nothing.
	var ar storetest.Recorder
	as := openStore(t, dsn, &ar)
	for _, u := range us[:2] {
		if _, err := as.User(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, prepared := ar.Take(); len(prepared) != 0 {
			t.Errorf("bun arm with the simple protocol: a read prepared %q, want nothing", prepared)
		}
	}

	var sr storetest.Recorder
	db, err := dbconf.OpenDB(dsn, &sr)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	sq := rawsql.NewSQL(db)
	for i, u := range us[:2] {
		if _, err := sq.User(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
		if _, prepared := sr.Take(); len(prepared) != 1-i {
			t.Errorf("sql arm: read %d prepared %d statements, want %d", i+1, len(prepared), 1-i)
		}
	}
}
