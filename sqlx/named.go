package sqlx

import (
	"context"
	"database/sql"
	"errors"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/pgerr"
	"github.com/jmoiron/sqlx"
)

// The single-row writes with sqlx's named parameters (:name), bound from
// the fields of the domain types: sqlx's default mapper matches a field
// by its lower-cased name (UserCreate.Email is :email).
const (
	namedCreateUser = `INSERT INTO users (name, email, age) VALUES (:name, :email, :age) RETURNING *`
	namedUpdateUser = `UPDATE users SET name = COALESCE(:name, name), email = COALESCE(:email, email),
	age = COALESCE(:age, age), updated_at = now() WHERE id = :id RETURNING *`
	namedDeleteUser = `DELETE FROM users WHERE id = :id`
)

// NamedStore is the sqlx-named variant: Store with its single-row writes
// (CreateUser, UpdateUser, DeleteUser) sent through NamedQueryContext and
// NamedExecContext. The statements PostgreSQL sees are the same; the
// difference is on the client (see the package documentation).
type NamedStore struct {
	Store
}

var _ crudbench.Store = (*NamedStore)(nil)

// NewNamedStore returns a NamedStore on db, as NewStore.
func NewNamedStore(db *sql.DB) *NamedStore {
	return &NamedStore{Store: *NewStore(db)}
}

// CreateUser implements crudbench.Store, binding in by field name.
func (s *NamedStore) CreateUser(ctx context.Context, in crudbench.UserCreate) (*crudbench.User, error) {
	u, err := namedOne(ctx, s.db, namedCreateUser, in)
	if err != nil {
		return nil, fail(err, "creating user")
	}
	return u, nil
}

// UpdateUser implements crudbench.Store, binding the id and the patch by
// field name; a field the patch leaves alone is a nil pointer, NULL.
func (s *NamedStore) UpdateUser(ctx context.Context, id int64, p crudbench.UserPatch) (*crudbench.User, error) {
	arg := struct {
		ID int64
		crudbench.UserPatch
	}{id, p}
	u, err := namedOne(ctx, s.db, namedUpdateUser, arg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "updating user %d", id)
	}
	return u, nil
}

// DeleteUser implements crudbench.Store, binding the id by name.
func (s *NamedStore) DeleteUser(ctx context.Context, id int64) error {
	res, err := s.db.NamedExecContext(ctx, namedDeleteUser, map[string]any{"id": id})
	return deleted(res, err, id)
}

// namedOne sends a named statement that returns at most one user row and
// scans it (sqlx has no named Get): sql.ErrNoRows when there is none.
func namedOne(ctx context.Context, db *sqlx.DB, query string, arg any) (*crudbench.User, error) {
	rows, err := db.NamedQueryContext(ctx, query, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, sql.ErrNoRows
	}
	var u user
	if err := rows.StructScan(&u); err != nil {
		return nil, err
	}
	out := u.domain()
	return &out, rows.Close()
}
