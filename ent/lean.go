package ent

import (
	"context"
	"database/sql"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/ent/entgen/user"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// LeanStore is Store with ent's other idiomatic single-row update:
// Update().Where(user.ID(id)).Save, then Get. That is two statements
// where UpdateOneID sends four (BEGIN, UPDATE, SELECT, COMMIT), but they
// are not atomic: another writer can change or delete the row between
// them, so the answer may not be what this request wrote. It exists to
// measure that trade; the ent arm keeps the contract with Store.
type LeanStore struct {
	*Store
}

var _ crudbench.Store = LeanStore{}

// NewLeanStore returns a LeanStore that runs its queries on db (see
// NewClient).
func NewLeanStore(db *sql.DB) LeanStore {
	return LeanStore{NewStore(db)}
}

// UpdateUser applies the patch with one UPDATE, reads the row back with
// one SELECT, and returns it; ENOTFOUND when the UPDATE matched no row.
func (s LeanStore) UpdateUser(ctx context.Context, id int64, p crudbench.UserPatch) (*crudbench.User, error) {
	u := s.client.User.Update().Where(user.ID(id)).SetNillableName(p.Name).SetNillableEmail(p.Email)
	if p.Age != nil {
		u.SetAge(int32(*p.Age))
	}
	n, err := u.Save(ctx)
	if err != nil {
		return nil, fail(err, "updating user %d", id)
	} else if n == 0 {
		return nil, pgerr.NotFound(id)
	}
	return s.User(ctx, id)
}
