package sqlc

import (
	"context"
	"errors"
	"fmt"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/bulk"
	"github.com/crudbench/crudbench/internal/pgerr"
	"github.com/crudbench/crudbench/sqlc/sqlcgen"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Store is crudbench.Store on the queries sqlc generates from queries.sql.
type Store struct {
	pool *pgxpool.Pool
	q    *sqlcgen.Queries
}

var _ crudbench.Store = (*Store)(nil)

// NewStore returns a Store that runs its queries on pool.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, q: sqlcgen.New(pool)}
}

// CreateUser inserts one user and returns it as stored.
func (s *Store) CreateUser(ctx context.Context, in crudbench.UserCreate) (*crudbench.User, error) {
	u, err := s.q.CreateUser(ctx, sqlcgen.CreateUserParams{Name: in.Name, Email: in.Email, Age: int32(in.Age)})
	if err != nil {
		return nil, fail(err, "creating user")
	}
	out := toUser(u)
	return &out, nil
}

// User returns the user with the id, or ENOTFOUND.
func (s *Store) User(ctx context.Context, id int64) (*crudbench.User, error) {
	u, err := s.q.GetUser(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "reading user %d", id)
	}
	out := toUser(u)
	return &out, nil
}

// UpdateUser applies the patch with one UPDATE … RETURNING and returns the
// updated user, or ENOTFOUND.
func (s *Store) UpdateUser(ctx context.Context, id int64, p crudbench.UserPatch) (*crudbench.User, error) {
	u, err := s.q.UpdateUser(ctx, sqlcgen.UpdateUserParams{ID: id, Name: p.Name, Email: p.Email, Age: age32(p.Age)})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "updating user %d", id)
	}
	out := toUser(u)
	return &out, nil
}

// DeleteUser deletes the user and, by the foreign key's cascade, its posts;
// or returns ENOTFOUND.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	n, err := s.q.DeleteUser(ctx, id)
	if err != nil {
		return fail(err, "deleting user %d", id)
	} else if n == 0 {
		return pgerr.NotFound(id)
	}
	return nil
}

// ListUsers returns up to limit users with id > after, in id order.
func (s *Store) ListUsers(ctx context.Context, after int64, limit int) ([]crudbench.User, error) {
	us, err := s.q.ListUsers(ctx, sqlcgen.ListUsersParams{After: after, Limit: int32(limit)})
	if err != nil {
		return nil, fail(err, "listing users after %d", after)
	}
	return toUsers(us), nil
}

// CreateUsers inserts all users or none with one statement, whatever their
// number (three array parameters), and returns them in input order.
func (s *Store) CreateUsers(ctx context.Context, in []crudbench.UserCreate) ([]crudbench.User, error) {
	arg := sqlcgen.CreateUsersParams{
		Names:  make([]string, len(in)),
		Emails: make([]string, len(in)),
		Ages:   make([]int32, len(in)),
	}
	for i := range in {
		arg.Names[i], arg.Emails[i], arg.Ages[i] = in[i].Name, in[i].Email, int32(in[i].Age)
	}
	rows, err := s.q.CreateUsers(ctx, arg)
	if err != nil {
		return nil, fail(err, "creating %d users", len(in))
	}
	out := make([]crudbench.User, len(rows))
	for i, r := range rows {
		out[i] = toUser(sqlcgen.User(r))
	}
	return out, nil
}

// UsersByID returns the users that exist among ids, in id order.
func (s *Store) UsersByID(ctx context.Context, ids []int64) ([]crudbench.User, error) {
	us, err := s.q.UsersByID(ctx, ids)
	if err != nil {
		return nil, fail(err, "reading %d users", len(ids))
	}
	return toUsers(us), nil
}

// UpdateUsers applies each patch to its own row with one statement, in a
// transaction that lets it be undone when an id is missing, and returns
// the updated users in input order. A batch that changes emails first
// frees them (FreeEmails, bulk.FreeEmails's statement), so that uniqueness
// holds for the state the batch leaves, and learns which ids exist: the
// first missing one in input order is ENOTFOUND before any email can
// conflict.
func (s *Store) UpdateUsers(ctx context.Context, in []crudbench.UserUpdate) ([]crudbench.User, error) {
	var out []crudbench.User
	err := s.inTx(ctx, func(q *sqlcgen.Queries) error {
		if ids, changing := bulk.EmailIDs(in); changing != nil {
			found, err := q.FreeEmails(ctx, sqlcgen.FreeEmailsParams{Changing: changing, Ids: ids})
			if err != nil {
				return fmt.Errorf("freeing emails: %w", err)
			}
			if err := bulk.Found(in, found); err != nil {
				return err
			}
		}
		us, err := q.UpdateUsers(ctx, updateParams(in))
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

// DeleteUsers deletes the users that exist among ids and returns how many.
func (s *Store) DeleteUsers(ctx context.Context, ids []int64) (int, error) {
	n, err := s.q.DeleteUsers(ctx, ids)
	if err != nil {
		return 0, fail(err, "deleting %d users", len(ids))
	}
	return int(n), nil
}

// CreatePost adds a post to a user, or returns ENOTFOUND for a missing user
// (the foreign key's violation).
func (s *Store) CreatePost(ctx context.Context, userID int64, in crudbench.PostCreate) (*crudbench.Post, error) {
	p, err := s.q.CreatePost(ctx, sqlcgen.CreatePostParams{UserID: userID, Title: in.Title, Body: in.Body})
	if err != nil {
		if pgerr.IsForeignKeyViolation(err) {
			return nil, pgerr.NotFound(userID)
		}
		return nil, fail(err, "creating post of user %d", userID)
	}
	out := toPost(p)
	return &out, nil
}

// UserWithPosts returns the user with all its posts in id order, from one
// statement: UserWithPosts, a LEFT JOIN whose post columns sqlc types as
// nullable, read row by row into the user and its posts.
func (s *Store) UserWithPosts(ctx context.Context, id int64) (*crudbench.User, error) {
	rows, err := s.q.UserWithPosts(ctx, id)
	if err != nil {
		return nil, fail(err, "reading user %d with posts", id)
	} else if len(rows) == 0 {
		return nil, pgerr.NotFound(id)
	}
	r := rows[0]
	out := toUser(sqlcgen.User{ID: r.ID, Name: r.Name, Email: r.Email, Age: r.Age, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt})
	out.Posts = make([]crudbench.Post, 0, len(rows))
	for _, r := range rows {
		if r.PostID == nil { // the one row of a user without posts
			continue
		}
		out.Posts = append(out.Posts, crudbench.Post{
			ID: *r.PostID, UserID: r.ID, Title: *r.PostTitle, Body: *r.PostBody, CreatedAt: r.PostCreatedAt.Time,
		})
	}
	return &out, nil
}

// inTx runs fn on queries bound to a transaction of the pool (sqlc's
// WithTx), committed if fn returns nil and rolled back otherwise
// (pgx.BeginFunc, as the pgx arm does).
func (s *Store) inTx(ctx context.Context, fn func(q *sqlcgen.Queries) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error { return fn(s.q.WithTx(tx)) })
}

// updateParams splits a bulk update into the arrays of UpdateUsers: a
// field a patch leaves alone has its flag false and a zero value.
func updateParams(in []crudbench.UserUpdate) sqlcgen.UpdateUsersParams {
	n := len(in)
	arg := sqlcgen.UpdateUsersParams{
		Ids:      make([]int64, n),
		SetName:  make([]bool, n),
		Names:    make([]string, n),
		SetEmail: make([]bool, n),
		Emails:   make([]string, n),
		SetAge:   make([]bool, n),
		Ages:     make([]int32, n),
	}
	for i := range in {
		arg.Ids[i] = in[i].ID
		if p := in[i].Name; p != nil {
			arg.SetName[i], arg.Names[i] = true, *p
		}
		if p := in[i].Email; p != nil {
			arg.SetEmail[i], arg.Emails[i] = true, *p
		}
		if p := in[i].Age; p != nil {
			arg.SetAge[i], arg.Ages[i] = true, int32(*p)
		}
	}
	return arg
}

// age32 converts an optional age to the int4 parameter it binds to.
func age32(p *int) *int32 {
	if p == nil {
		return nil
	}
	a := int32(*p)
	return &a
}

func toUser(u sqlcgen.User) crudbench.User {
	return crudbench.User{
		ID:        u.ID,
		Name:      u.Name,
		Email:     u.Email,
		Age:       int(u.Age),
		CreatedAt: u.CreatedAt,
		UpdatedAt: u.UpdatedAt,
	}
}

func toUsers(us []sqlcgen.User) []crudbench.User {
	out := make([]crudbench.User, len(us))
	for i, u := range us {
		out[i] = toUser(u)
	}
	return out
}

func toPost(p sqlcgen.Post) crudbench.Post {
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
	return pgerr.Wrap(err, "sqlc: "+format, args...)
}
