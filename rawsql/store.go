package rawsql

import (
	"context"
	"database/sql"
	"errors"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/bulk"
	"github.com/crudbench/crudbench/internal/pgerr"
	"github.com/jackc/pgx/v5"
)

// conn is what the store needs of a driver: PGX gives it on a pgx pool
// (pgx.go), SQL on a database/sql pool (stdlib.go). Each method is one
// call of the driver's own API, so both arms send exactly the statements
// below and nothing else.
type conn interface {
	// QueryRow sends a statement that returns at most one row.
	QueryRow(ctx context.Context, sql string, args ...any) scanner
	// Query sends a statement that returns rows; close them with Done.
	Query(ctx context.Context, sql string, args ...any) (rows, error)
	// Done closes rows that Query returned.
	Done(r rows)
	// Exec sends a statement and returns how many rows it affected.
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	// InTx runs fn in a transaction, committed if fn returns nil and rolled
	// back otherwise.
	InTx(ctx context.Context, fn func(tx conn) error) error
}

// store implements crudbench.Store on a conn, once for both arms.
type store struct {
	conn conn
}

// noRows reports whether err says a one-row statement found no row.
func noRows(err error) bool {
	return errors.Is(err, pgx.ErrNoRows) || errors.Is(err, sql.ErrNoRows)
}

// CreateUser implements crudbench.Store.
func (s store) CreateUser(ctx context.Context, in crudbench.UserCreate) (*crudbench.User, error) {
	var u crudbench.User
	if err := scanUser(s.conn.QueryRow(ctx, sqlCreateUser, in.Name, in.Email, int32(in.Age)), &u); err != nil {
		return nil, fail(err, "creating user")
	}
	return &u, nil
}

// User implements crudbench.Store.
func (s store) User(ctx context.Context, id int64) (*crudbench.User, error) {
	var u crudbench.User
	if err := scanUser(s.conn.QueryRow(ctx, sqlUser, id), &u); noRows(err) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "reading user %d", id)
	}
	return &u, nil
}

// UpdateUser implements crudbench.Store.
func (s store) UpdateUser(ctx context.Context, id int64, p crudbench.UserPatch) (*crudbench.User, error) {
	var u crudbench.User
	err := scanUser(s.conn.QueryRow(ctx, sqlUpdateUser, id, p.Name, p.Email, age32(p.Age)), &u)
	if noRows(err) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "updating user %d", id)
	}
	return &u, nil
}

// DeleteUser implements crudbench.Store.
func (s store) DeleteUser(ctx context.Context, id int64) error {
	n, err := s.conn.Exec(ctx, sqlDeleteUser, id)
	if err != nil {
		return fail(err, "deleting user %d", id)
	} else if n == 0 {
		return pgerr.NotFound(id)
	}
	return nil
}

// ListUsers implements crudbench.Store.
func (s store) ListUsers(ctx context.Context, after int64, limit int) ([]crudbench.User, error) {
	users, err := queryUsers(ctx, s.conn, limit, sqlListUsers, after, limit)
	if err != nil {
		return nil, fail(err, "listing users after %d", after)
	}
	return users, nil
}

// CreateUsers implements crudbench.Store.
func (s store) CreateUsers(ctx context.Context, in []crudbench.UserCreate) ([]crudbench.User, error) {
	names, emails, ages := createColumns(in)
	users, err := queryUsers(ctx, s.conn, len(in), sqlCreateUsers, names, emails, ages)
	if err != nil {
		return nil, fail(err, "creating %d users", len(in))
	}
	return users, nil
}

// UsersByID implements crudbench.Store.
func (s store) UsersByID(ctx context.Context, ids []int64) ([]crudbench.User, error) {
	users, err := queryUsers(ctx, s.conn, len(ids), sqlUsersByID, ids)
	if err != nil {
		return nil, fail(err, "reading %d users", len(ids))
	}
	return users, nil
}

// UpdateUsers implements crudbench.Store. The update is one statement; the
// transaction lets it be undone when an id is missing. A batch that changes
// emails first frees them (bulk.FreeEmails), so that uniqueness holds for
// the state the batch leaves, whatever order the plan updates rows in.
func (s store) UpdateUsers(ctx context.Context, in []crudbench.UserUpdate) ([]crudbench.User, error) {
	ids, names, emails, ages := updateColumns(in)
	var out []crudbench.User
	err := s.conn.InTx(ctx, func(tx conn) error {
		if all, changing := bulk.EmailIDs(in); changing != nil {
			found, err := queryIDs(ctx, tx, sqlFreeEmails, all, changing)
			if err != nil {
				return err
			}
			if err := bulk.Found(in, found); err != nil {
				return err
			}
		}
		got, err := queryUsers(ctx, tx, len(in), sqlUpdateUsers, ids, names, emails, ages)
		if err != nil {
			return err
		}
		out, err = bulk.InInputOrder(in, got)
		return err
	})
	if err != nil {
		return nil, fail(bulk.UpdateError(err), "updating %d users", len(in))
	}
	return out, nil
}

// DeleteUsers implements crudbench.Store.
func (s store) DeleteUsers(ctx context.Context, ids []int64) (int, error) {
	n, err := s.conn.Exec(ctx, sqlDeleteUsers, ids)
	if err != nil {
		return 0, fail(err, "deleting %d users", len(ids))
	}
	return int(n), nil
}

// CreatePost implements crudbench.Store.
func (s store) CreatePost(ctx context.Context, userID int64, in crudbench.PostCreate) (*crudbench.Post, error) {
	p := crudbench.Post{UserID: userID, Title: in.Title, Body: in.Body}
	if err := s.conn.QueryRow(ctx, sqlCreatePost, userID, in.Title, in.Body).Scan(&p.ID, &p.CreatedAt); err != nil {
		if pgerr.IsForeignKeyViolation(err) {
			return nil, pgerr.NotFound(userID)
		}
		return nil, fail(err, "creating post of user %d", userID)
	}
	return &p, nil
}

// UserWithPosts implements crudbench.Store.
func (s store) UserWithPosts(ctx context.Context, id int64) (*crudbench.User, error) {
	r, err := s.conn.Query(ctx, sqlUserWithPosts, id)
	if err != nil {
		return nil, fail(err, "reading user %d with posts", id)
	}
	defer s.conn.Done(r)
	u, err := scanUserWithPosts(r, id)
	if err != nil {
		return nil, fail(err, "reading user %d with posts", id)
	}
	return u, nil
}

// queryIDs sends a statement that returns ids.
func queryIDs(ctx context.Context, c conn, sql string, args ...any) ([]int64, error) {
	r, err := c.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer c.Done(r)
	var ids []int64
	for r.Next() {
		var id int64
		if err := r.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, r.Err()
}

// queryUsers sends a statement that returns users; hint is how many there
// are likely to be.
func queryUsers(ctx context.Context, c conn, hint int, sql string, args ...any) ([]crudbench.User, error) {
	r, err := c.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer c.Done(r)
	return scanUsers(r, hint)
}
