package rawsql

import (
	"context"
	"errors"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/pgerr"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PGX is the pgx arm: crudbench.Store on a native pgx pool.
type PGX struct {
	pool *pgxpool.Pool
}

var _ crudbench.Store = (*PGX)(nil)

// NewPGX returns a store on pool.
func NewPGX(pool *pgxpool.Pool) *PGX { return &PGX{pool: pool} }

// CreateUser implements crudbench.Store.
func (s *PGX) CreateUser(ctx context.Context, in crudbench.UserCreate) (*crudbench.User, error) {
	var u crudbench.User
	if err := scanUser(s.pool.QueryRow(ctx, sqlCreateUser, in.Name, in.Email, int32(in.Age)), &u); err != nil {
		return nil, fail(err, "creating user")
	}
	return &u, nil
}

// User implements crudbench.Store.
func (s *PGX) User(ctx context.Context, id int64) (*crudbench.User, error) {
	var u crudbench.User
	if err := scanUser(s.pool.QueryRow(ctx, sqlUser, id), &u); errors.Is(err, pgx.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "reading user %d", id)
	}
	return &u, nil
}

// UpdateUser implements crudbench.Store.
func (s *PGX) UpdateUser(ctx context.Context, id int64, p crudbench.UserPatch) (*crudbench.User, error) {
	var u crudbench.User
	err := scanUser(s.pool.QueryRow(ctx, sqlUpdateUser, id, p.Name, p.Email, age32(p.Age)), &u)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "updating user %d", id)
	}
	return &u, nil
}

// DeleteUser implements crudbench.Store.
func (s *PGX) DeleteUser(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, sqlDeleteUser, id)
	if err != nil {
		return fail(err, "deleting user %d", id)
	} else if tag.RowsAffected() == 0 {
		return pgerr.NotFound(id)
	}
	return nil
}

// ListUsers implements crudbench.Store.
func (s *PGX) ListUsers(ctx context.Context, after int64, limit int) ([]crudbench.User, error) {
	users, err := s.queryUsers(ctx, limit, sqlListUsers, after, limit)
	if err != nil {
		return nil, fail(err, "listing users after %d", after)
	}
	return users, nil
}

// CreateUsers implements crudbench.Store.
func (s *PGX) CreateUsers(ctx context.Context, in []crudbench.UserCreate) ([]crudbench.User, error) {
	names, emails, ages := createColumns(in)
	users, err := s.queryUsers(ctx, len(in), sqlCreateUsers, names, emails, ages)
	if err != nil {
		return nil, fail(err, "creating %d users", len(in))
	}
	return users, nil
}

// UsersByID implements crudbench.Store.
func (s *PGX) UsersByID(ctx context.Context, ids []int64) ([]crudbench.User, error) {
	users, err := s.queryUsers(ctx, len(ids), sqlUsersByID, ids)
	if err != nil {
		return nil, fail(err, "reading %d users", len(ids))
	}
	return users, nil
}

// UpdateUsers implements crudbench.Store. The update is one statement; the
// transaction lets it be undone when an id is missing.
func (s *PGX) UpdateUsers(ctx context.Context, in []crudbench.UserUpdate) ([]crudbench.User, error) {
	ids, names, emails, ages := updateColumns(in)
	var out []crudbench.User
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		got, err := queryUsers(ctx, tx, len(in), sqlUpdateUsers, ids, names, emails, ages)
		if err != nil {
			return err
		}
		out, err = inInputOrder(in, got)
		return err
	})
	if err != nil {
		return nil, fail(err, "updating %d users", len(in))
	}
	return out, nil
}

// DeleteUsers implements crudbench.Store.
func (s *PGX) DeleteUsers(ctx context.Context, ids []int64) (int, error) {
	tag, err := s.pool.Exec(ctx, sqlDeleteUsers, ids)
	if err != nil {
		return 0, fail(err, "deleting %d users", len(ids))
	}
	return int(tag.RowsAffected()), nil
}

// CreatePost implements crudbench.Store.
func (s *PGX) CreatePost(ctx context.Context, userID int64, in crudbench.PostCreate) (*crudbench.Post, error) {
	p := crudbench.Post{UserID: userID, Title: in.Title, Body: in.Body}
	if err := s.pool.QueryRow(ctx, sqlCreatePost, userID, in.Title, in.Body).Scan(&p.ID, &p.CreatedAt); err != nil {
		if pgerr.IsForeignKeyViolation(err) {
			return nil, pgerr.NotFound(userID)
		}
		return nil, fail(err, "creating post of user %d", userID)
	}
	return &p, nil
}

// UserWithPosts implements crudbench.Store.
func (s *PGX) UserWithPosts(ctx context.Context, id int64) (*crudbench.User, error) {
	rows, err := s.pool.Query(ctx, sqlUserWithPosts, id)
	if err != nil {
		return nil, fail(err, "reading user %d with posts", id)
	}
	defer rows.Close()
	var (
		u     crudbench.User
		p     postRow
		found bool
	)
	u.Posts = []crudbench.Post{}
	for rows.Next() {
		if err := scanUserPost(rows, &u, &p); err != nil {
			return nil, fail(err, "reading user %d with posts", id)
		}
		found = true
		appendPost(&u, &p)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(err, "reading user %d with posts", id)
	} else if !found {
		return nil, pgerr.NotFound(id)
	}
	return &u, nil
}

func (s *PGX) queryUsers(ctx context.Context, hint int, sql string, args ...any) ([]crudbench.User, error) {
	return queryUsers(ctx, s.pool, hint, sql, args...)
}

// pgxQuerier is what a pool and a transaction have in common.
type pgxQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

func queryUsers(ctx context.Context, q pgxQuerier, hint int, sql string, args ...any) ([]crudbench.User, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	users := make([]crudbench.User, 0, hint)
	for rows.Next() {
		users = append(users, crudbench.User{})
		if err := scanUser(rows, &users[len(users)-1]); err != nil {
			return nil, err
		}
	}
	return users, rows.Err()
}
