package bob

import (
	"context"
	"database/sql"
	"time"

	"github.com/stephenafamo/bob"
	"github.com/stephenafamo/bob/dialect/psql"
	"github.com/stephenafamo/bob/dialect/psql/dialect"
	"github.com/stephenafamo/bob/dialect/psql/sm"
	"github.com/stephenafamo/bob/dialect/psql/um"
	"github.com/stephenafamo/scan"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/bob/bobgen"
	"github.com/crudbench/crudbench/internal/bulk"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// BuilderStore is the bob-builder variant: Store, except for the two
// operations where the models cost more statements than bob's query
// builder, written with the builder (psql.Select, psql.Update and their
// mods) and scanned with bob's scan mappers: a user with posts is one
// SELECT … LEFT JOIN, a bulk update one UPDATE … FROM unnest(…). Every
// other operation sends what the models send, so it is Store's.
type BuilderStore struct {
	*Store
}

// NewBuilderStore returns a BuilderStore on db, as NewStore does.
func NewBuilderStore(db *sql.DB) *BuilderStore {
	return &BuilderStore{Store: NewStore(db)}
}

// userPostRow is one row of the builder's user-with-posts join: the user's
// columns, then the post's, NULL for a user without posts.
type userPostRow struct {
	ID            int64
	Name          string
	Email         string
	Age           int32
	CreatedAt     time.Time
	UpdatedAt     time.Time
	PostID        *int64
	PostTitle     *string
	PostBody      *string
	PostCreatedAt *time.Time
}

// UserWithPosts returns the user with all its posts in id order with one
// statement, users LEFT JOIN posts ordered by the post's id, folded here:
// the user's columns repeat on each row, and a user without posts gives
// one row with NULL post columns. ENOTFOUND when there is no row.
func (s *BuilderStore) UserWithPosts(ctx context.Context, id int64) (*crudbench.User, error) {
	q := psql.Select(
		sm.Columns(
			"u.id", "u.name", "u.email", "u.age", "u.created_at", "u.updated_at",
			psql.Quote("p", "id").As("post_id"), psql.Quote("p", "title").As("post_title"),
			psql.Quote("p", "body").As("post_body"), psql.Quote("p", "created_at").As("post_created_at"),
		),
		sm.From(bobgen.Users.Name()).As("u"),
		sm.LeftJoin(bobgen.Posts.Name()).As("p").On(psql.Quote("p", "user_id").EQ(psql.Quote("u", "id"))),
		sm.Where(psql.Quote("u", "id").EQ(psql.Arg(id))),
		sm.OrderBy(psql.Quote("p", "id")),
	)
	rows, err := bob.All(ctx, s.db, q, scan.StructMapper[userPostRow]())
	if err != nil {
		return nil, fail(err, "reading user %d with posts", id)
	}
	if len(rows) == 0 {
		return nil, pgerr.NotFound(id)
	}
	r := rows[0]
	out := &crudbench.User{ID: r.ID, Name: r.Name, Email: r.Email, Age: int(r.Age), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	out.Posts = make([]crudbench.Post, 0, len(rows))
	for _, r := range rows {
		if r.PostID == nil {
			break // the one row of a user without posts
		}
		out.Posts = append(out.Posts, crudbench.Post{
			ID: *r.PostID, UserID: r.ID, Title: *r.PostTitle, Body: *r.PostBody, CreatedAt: *r.PostCreatedAt,
		})
	}
	return out, nil
}

// UpdateUsers applies each patch to its own row in one transaction and
// returns the updated users in input order, with one UPDATE users … FROM
// unnest of four array parameters (ids, names, emails, ages; NULL where a
// patch leaves a field alone), each column COALESCE(v.col, users.col),
// RETURNING the rows: BEGIN, [free emails,] UPDATE, COMMIT, whatever the
// batch's size, as in the sql arm. The first id in input order that does
// not exist fails the batch with ENOTFOUND and rolls it back.
func (s *BuilderStore) UpdateUsers(ctx context.Context, in []crudbench.UserUpdate) ([]crudbench.User, error) {
	ids, names, emails, ages := make([]int64, len(in)), make([]*string, len(in)), make([]*string, len(in)), make([]*int32, len(in))
	for i := range in {
		ids[i], names[i], emails[i] = in[i].ID, in[i].Name, in[i].Email
		if in[i].Age != nil {
			a := int32(*in[i].Age)
			ages[i] = &a
		}
	}
	coalesce := func(col string) bob.Mod[*dialect.UpdateQuery] {
		return um.SetCol(col).To(psql.F("COALESCE", psql.Quote("v", col), psql.Quote("users", col)))
	}
	q := bobgen.Users.Update(
		coalesce("name"), coalesce("email"), coalesce("age"),
		um.SetCol("updated_at").To(psql.Raw("now()")),
		um.From(psql.F("unnest",
			psql.Raw("?::bigint[]", ids), psql.Raw("?::text[]", names),
			psql.Raw("?::text[]", emails), psql.Raw("?::int[]", ages),
		)).As("v", "id", "name", "email", "age"),
		um.Where(psql.Quote("users", "id").EQ(psql.Quote("v", "id"))),
	)
	var out []crudbench.User
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bob.Executor) error {
		if all, changing := bulk.EmailIDs(in); changing != nil {
			if err := freeEmails(ctx, tx, in, all, changing); err != nil {
				return err
			}
		}
		us, err := q.All(ctx, tx)
		if err != nil {
			return err
		}
		out, err = bulk.InInputOrder(in, toUsers(us))
		return err
	})
	if err != nil {
		return nil, fail(bulk.UpdateError(err), "updating %d users", len(in))
	}
	return out, nil
}
