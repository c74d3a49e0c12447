package bob

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/aarondl/opt/omit"
	"github.com/stephenafamo/bob"
	"github.com/stephenafamo/bob/dialect/psql"
	"github.com/stephenafamo/bob/dialect/psql/sm"
	"github.com/stephenafamo/bob/dialect/psql/um"
	"github.com/stephenafamo/scan"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/bob/bobgen"
	"github.com/crudbench/crudbench/internal/bulk"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// Store is crudbench.Store on bob's generated models (bob/bobgen) over a
// database/sql pool.
type Store struct {
	db bob.DB
}

var _ crudbench.Store = (*Store)(nil)

// NewStore returns a Store whose bob.DB runs on db, a PostgreSQL pool
// opened with pgx's database/sql driver (dbconf.OpenDB). Closing the store
// closes db.
func NewStore(db *sql.DB) *Store {
	return &Store{db: bob.NewDB(db)}
}

// Close closes the store's pool.
func (s *Store) Close() error {
	return s.db.Close()
}

// CreateUser inserts one user and returns it as stored: the setter leaves
// the id and timestamps to PostgreSQL's defaults and bob reads the row
// back with RETURNING.
func (s *Store) CreateUser(ctx context.Context, in crudbench.UserCreate) (*crudbench.User, error) {
	u, err := bobgen.Users.Insert(newUser(in)).One(ctx, s.db)
	if err != nil {
		return nil, fail(err, "creating user")
	}
	return toUser(u), nil
}

// User returns the user with the id, or ENOTFOUND.
func (s *Store) User(ctx context.Context, id int64) (*crudbench.User, error) {
	u, err := bobgen.FindUser(ctx, s.db, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "reading user %d", id)
	}
	return toUser(u), nil
}

// UpdateUser applies the patch with one UPDATE of the patched columns and
// updated_at = now(), RETURNING the row: the table's Update with the
// setter's UpdateMod, atomic. (The model's own Update method needs the
// model loaded first: a SELECT before it, and a window between the two.)
// ENOTFOUND when no row has the id.
func (s *Store) UpdateUser(ctx context.Context, id int64, p crudbench.UserPatch) (*crudbench.User, error) {
	u, err := updateUser(ctx, s.db, id, p.Name, p.Email, p.Age)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "updating user %d", id)
	}
	return toUser(u), nil
}

// updateUser is the UPDATE of UpdateUser, on exec.
func updateUser(ctx context.Context, exec bob.Executor, id int64, name, email *string, age *int) (*bobgen.User, error) {
	set := bobgen.UserSetter{Name: omit.FromPtr(name), Email: omit.FromPtr(email)}
	if age != nil {
		set.Age = omit.From(int32(*age))
	}
	return bobgen.Users.Update(
		set.UpdateMod(),
		um.SetCol("updated_at").To(psql.Raw("now()")),
		bobgen.UpdateWhere.Users.ID.EQ(id),
	).One(ctx, exec)
}

// DeleteUser deletes the user and, by the foreign key's cascade, its
// posts; or returns ENOTFOUND.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	n, err := bobgen.Users.Delete(bobgen.DeleteWhere.Users.ID.EQ(id)).Exec(ctx, s.db)
	if err != nil {
		return fail(err, "deleting user %d", id)
	} else if n == 0 {
		return pgerr.NotFound(id)
	}
	return nil
}

// ListUsers returns up to limit users with id > after, in id order.
func (s *Store) ListUsers(ctx context.Context, after int64, limit int) ([]crudbench.User, error) {
	us, err := bobgen.Users.Query(
		bobgen.SelectWhere.Users.ID.GT(after),
		sm.OrderBy(bobgen.Users.Columns.ID),
		sm.Limit(limit),
	).All(ctx, s.db)
	if err != nil {
		return nil, fail(err, "listing users after %d", after)
	}
	return toUsers(us), nil
}

// CreateUsers inserts all users with one multi-row INSERT of the setters,
// RETURNING the rows in the order of the VALUES rows, that is input order.
// Each value is a bind parameter, so a batch of more than 21,845 users
// (three parameters each) is split into several INSERTs in one
// transaction, all or nothing.
func (s *Store) CreateUsers(ctx context.Context, in []crudbench.UserCreate) ([]crudbench.User, error) {
	if len(in) == 0 {
		return []crudbench.User{}, nil // VALUES needs a row
	}
	const chunk = bulk.MaxParams / 3
	if len(in) <= chunk {
		out, err := createUsers(ctx, s.db, in)
		if err != nil {
			return nil, fail(err, "creating %d users", len(in))
		}
		return out, nil
	}
	var out []crudbench.User
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bob.Executor) (err error) {
		out, err = bulk.Chunked(in, chunk, func(in []crudbench.UserCreate) ([]crudbench.User, error) {
			return createUsers(ctx, tx, in)
		})
		return err
	})
	if err != nil {
		return nil, fail(err, "creating %d users", len(in))
	}
	return out, nil
}

// createUsers is one INSERT of all of in.
func createUsers(ctx context.Context, exec bob.Executor, in []crudbench.UserCreate) ([]crudbench.User, error) {
	setters := make([]*bobgen.UserSetter, len(in))
	for i := range in {
		setters[i] = newUser(in[i])
	}
	us, err := bobgen.Users.Insert(bob.ToMods(setters...)).All(ctx, exec)
	if err != nil {
		return nil, err
	}
	if len(us) != len(in) {
		return nil, fmt.Errorf("INSERT returned %d rows for %d users", len(us), len(in))
	}
	return toUsers(us), nil
}

// UsersByID returns the users that exist among ids, in id order.
func (s *Store) UsersByID(ctx context.Context, ids []int64) ([]crudbench.User, error) {
	us, err := bobgen.Users.Query(
		bobgen.SelectWhere.Users.ID.In(ids...),
		sm.OrderBy(bobgen.Users.Columns.ID),
	).All(ctx, s.db)
	if err != nil {
		return nil, fail(err, "reading %d users", len(ids))
	}
	return toUsers(us), nil
}

// UpdateUsers applies each patch to its own row in one transaction and
// returns the updated users in input order. The models have no per-row
// bulk update (UserSlice.UpdateAll sets the same values on every row), so
// each item is the UPDATE … RETURNING of UpdateUser: n+2 statements with
// BEGIN and COMMIT. A batch that changes emails first frees them
// (freeEmails), one more statement, which also finds missing ids before
// any email can conflict. The first id in input order that does not exist
// fails the batch with ENOTFOUND and rolls it back.
func (s *Store) UpdateUsers(ctx context.Context, in []crudbench.UserUpdate) ([]crudbench.User, error) {
	out := make([]crudbench.User, len(in))
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bob.Executor) error {
		if all, changing := bulk.EmailIDs(in); changing != nil {
			if err := freeEmails(ctx, tx, in, all, changing); err != nil {
				return err
			}
		}
		for i := range in {
			u, err := updateUser(ctx, tx, in[i].ID, in[i].Name, in[i].Email, in[i].Age)
			if errors.Is(err, sql.ErrNoRows) {
				return pgerr.NotFound(in[i].ID)
			} else if err != nil {
				return err
			}
			out[i] = *toUser(u)
		}
		return nil
	})
	if err != nil {
		return nil, fail(bulk.UpdateError(err), "updating %d users", len(in))
	}
	return out, nil
}

// freeEmails runs the statement of bulk.FreeEmails in exec, built with
// bob's UPDATE builder (the arrays bound as parameters, as there), and
// reports the first missing id of in.
func freeEmails(ctx context.Context, exec bob.Executor, in []crudbench.UserUpdate, all, changing []int64) error {
	q := psql.Update(
		um.Table(bobgen.Users.Name()),
		um.SetCol("email").To(psql.Raw("CASE WHEN id = ANY(?) THEN '#' || id ELSE email END", changing)),
		um.Where(psql.Quote("id").EQ(psql.Raw("ANY(?)", all))),
		um.Returning("id"),
	)
	found, err := bob.All(ctx, exec, q, scan.SingleColumnMapper[int64])
	if err != nil {
		return fmt.Errorf("freeing emails: %w", err)
	}
	return bulk.Found(in, found)
}

// DeleteUsers deletes the users that exist among ids and returns how many.
func (s *Store) DeleteUsers(ctx context.Context, ids []int64) (int, error) {
	n, err := bobgen.Users.Delete(bobgen.DeleteWhere.Users.ID.In(ids...)).Exec(ctx, s.db)
	if err != nil {
		return 0, fail(err, "deleting %d users", len(ids))
	}
	return int(n), nil
}

// CreatePost adds a post to a user, or returns ENOTFOUND for a missing user
// (the foreign key's violation).
func (s *Store) CreatePost(ctx context.Context, userID int64, in crudbench.PostCreate) (*crudbench.Post, error) {
	p, err := bobgen.Posts.Insert(&bobgen.PostSetter{
		UserID: omit.From(userID),
		Title:  omit.From(in.Title),
		Body:   omit.From(in.Body),
	}).One(ctx, s.db)
	if err != nil {
		if pgerr.IsForeignKeyViolation(err) {
			return nil, pgerr.NotFound(userID)
		}
		return nil, fail(err, "creating post of user %d", userID)
	}
	out := toPost(p)
	return &out, nil
}

// UserWithPosts returns the user with all its posts in id order, loaded the
// way the models load a to-many relation: the user's query with
// SelectThenLoad.User.Posts, which runs a second SELECT of the posts by
// user_id once the user is read (no transaction spans the two).
func (s *Store) UserWithPosts(ctx context.Context, id int64) (*crudbench.User, error) {
	u, err := bobgen.Users.Query(
		bobgen.SelectWhere.Users.ID.EQ(id),
		bobgen.SelectThenLoad.User.Posts(sm.OrderBy(bobgen.Posts.Columns.ID)),
	).One(ctx, s.db)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "reading user %d with posts", id)
	}
	out := toUser(u)
	out.Posts = make([]crudbench.Post, len(u.R.Posts))
	for i, p := range u.R.Posts {
		out.Posts[i] = toPost(p)
	}
	return out, nil
}

// newUser is the setter that inserts in.
func newUser(in crudbench.UserCreate) *bobgen.UserSetter {
	return &bobgen.UserSetter{
		Name:  omit.From(in.Name),
		Email: omit.From(in.Email),
		Age:   omit.From(int32(in.Age)),
	}
}

func toUser(u *bobgen.User) *crudbench.User {
	return &crudbench.User{
		ID:        u.ID,
		Name:      u.Name,
		Email:     u.Email,
		Age:       int(u.Age),
		CreatedAt: u.CreatedAt,
		UpdatedAt: u.UpdatedAt,
	}
}

func toUsers(us bobgen.UserSlice) []crudbench.User {
	out := make([]crudbench.User, len(us))
	for i, u := range us {
		out[i] = *toUser(u)
	}
	return out
}

func toPost(p *bobgen.Post) crudbench.Post {
	return crudbench.Post{
		ID:        p.ID,
		UserID:    p.UserID,
		Title:     p.Title,
		Body:      p.Body,
		CreatedAt: p.CreatedAt,
	}
}

// fail is pgerr.Wrap for this package: what the store reports for err,
// met while doing what format and args describe.
func fail(err error, format string, args ...any) error {
	return pgerr.Wrap(err, "bob: "+format, args...)
}
