package rawsql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// SQL is the sql arm: crudbench.Store on database/sql over pgx's stdlib
// driver, sending the same statements as PGX.
type SQL struct {
	db *sql.DB
}

var _ crudbench.Store = (*SQL)(nil)

// NewSQL returns a store on db, which must use pgx's stdlib driver (it
// binds Go slices to PostgreSQL arrays).
func NewSQL(db *sql.DB) *SQL { return &SQL{db: db} }

// CreateUser implements crudbench.Store.
func (s *SQL) CreateUser(ctx context.Context, in crudbench.UserCreate) (*crudbench.User, error) {
	var u crudbench.User
	if err := scanUser(s.db.QueryRowContext(ctx, sqlCreateUser, in.Name, in.Email, int32(in.Age)), &u); err != nil {
		return nil, fail(err, "creating user")
	}
	return &u, nil
}

// User implements crudbench.Store.
func (s *SQL) User(ctx context.Context, id int64) (*crudbench.User, error) {
	var u crudbench.User
	if err := scanUser(s.db.QueryRowContext(ctx, sqlUser, id), &u); errors.Is(err, sql.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "reading user %d", id)
	}
	return &u, nil
}

// UpdateUser implements crudbench.Store.
func (s *SQL) UpdateUser(ctx context.Context, id int64, p crudbench.UserPatch) (*crudbench.User, error) {
	var u crudbench.User
	err := scanUser(s.db.QueryRowContext(ctx, sqlUpdateUser, id, p.Name, p.Email, age32(p.Age)), &u)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "updating user %d", id)
	}
	return &u, nil
}

// DeleteUser implements crudbench.Store.
func (s *SQL) DeleteUser(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, sqlDeleteUser, id)
	if err != nil {
		return fail(err, "deleting user %d", id)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fail(err, "deleting user %d", id)
	} else if n == 0 {
		return pgerr.NotFound(id)
	}
	return nil
}

// ListUsers implements crudbench.Store.
func (s *SQL) ListUsers(ctx context.Context, after int64, limit int) ([]crudbench.User, error) {
	users, err := sqlQueryUsers(ctx, s.db, limit, sqlListUsers, after, limit)
	if err != nil {
		return nil, fail(err, "listing users after %d", after)
	}
	return users, nil
}

// CreateUsers implements crudbench.Store.
func (s *SQL) CreateUsers(ctx context.Context, in []crudbench.UserCreate) ([]crudbench.User, error) {
	names, emails, ages := createColumns(in)
	users, err := sqlQueryUsers(ctx, s.db, len(in), sqlCreateUsers, names, emails, ages)
	if err != nil {
		return nil, fail(err, "creating %d users", len(in))
	}
	return users, nil
}

// UsersByID implements crudbench.Store.
func (s *SQL) UsersByID(ctx context.Context, ids []int64) ([]crudbench.User, error) {
	users, err := sqlQueryUsers(ctx, s.db, len(ids), sqlUsersByID, ids)
	if err != nil {
		return nil, fail(err, "reading %d users", len(ids))
	}
	return users, nil
}

// UpdateUsers implements crudbench.Store, in a transaction like PGX.
func (s *SQL) UpdateUsers(ctx context.Context, in []crudbench.UserUpdate) ([]crudbench.User, error) {
	ids, names, emails, ages := updateColumns(in)
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fail(err, "updating %d users", len(in))
	}
	defer tx.Rollback()
	got, err := sqlQueryUsers(ctx, tx, len(in), sqlUpdateUsers, ids, names, emails, ages)
	if err != nil {
		return nil, fail(err, "updating %d users", len(in))
	}
	out, err := inInputOrder(in, got)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, fail(err, "updating %d users", len(in))
	}
	return out, nil
}

// DeleteUsers implements crudbench.Store.
func (s *SQL) DeleteUsers(ctx context.Context, ids []int64) (int, error) {
	res, err := s.db.ExecContext(ctx, sqlDeleteUsers, ids)
	if err != nil {
		return 0, fail(err, "deleting %d users", len(ids))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fail(err, "deleting %d users", len(ids))
	}
	return int(n), nil
}

// CreatePost implements crudbench.Store.
func (s *SQL) CreatePost(ctx context.Context, userID int64, in crudbench.PostCreate) (*crudbench.Post, error) {
	p := crudbench.Post{UserID: userID, Title: in.Title, Body: in.Body}
	if err := s.db.QueryRowContext(ctx, sqlCreatePost, userID, in.Title, in.Body).Scan(&p.ID, &p.CreatedAt); err != nil {
		if pgerr.IsForeignKeyViolation(err) {
			return nil, pgerr.NotFound(userID)
		}
		return nil, fail(err, "creating post of user %d", userID)
	}
	return &p, nil
}

// UserWithPosts implements crudbench.Store.
func (s *SQL) UserWithPosts(ctx context.Context, id int64) (*crudbench.User, error) {
	rows, err := s.db.QueryContext(ctx, sqlUserWithPosts, id)
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

// sqlQuerier is what *sql.DB and *sql.Tx have in common.
type sqlQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func sqlQueryUsers(ctx context.Context, q sqlQuerier, hint int, query string, args ...any) ([]crudbench.User, error) {
	rows, err := q.QueryContext(ctx, query, args...)
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
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("reading rows: %w", err)
	}
	return users, nil
}
