package gorm

import (
	"context"
	"database/sql"
	"errors"

	"gorm.io/gorm"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// SaveStore is Store with gorm's read-modify-write single-row update:
// First(&u, id), set the patched fields, Save(&u). That is two statements
// (SELECT, then an UPDATE of every column) where Store sends one, and they
// are not atomic: Save writes back every column as First read it, so a
// concurrent change to a field the patch does not touch is overwritten
// (a lost update), and when the row is deleted between the two, Save finds
// no row to update and inserts it again (its upsert fallback). It exists
// to measure that trade; the gorm arm keeps the contract with Store.
type SaveStore struct {
	*Store
}

var _ crudbench.Store = SaveStore{}

// NewSaveStore returns a SaveStore on db, configured like NewStore.
func NewSaveStore(db *sql.DB) (SaveStore, error) {
	s, err := NewStore(db)
	if err != nil {
		return SaveStore{}, err
	}
	return SaveStore{s}, nil
}

// UpdateUser reads the user with First, applies the patch to it and writes
// it back with Save; ENOTFOUND when First finds no row.
func (s SaveStore) UpdateUser(ctx context.Context, id int64, p crudbench.UserPatch) (*crudbench.User, error) {
	db := s.db.WithContext(ctx)
	var u User
	if err := db.First(&u, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, pgerr.NotFound(id)
		}
		return nil, fail(err, "reading user %d to update it", id)
	}
	if p.Name != nil {
		u.Name = *p.Name
	}
	if p.Email != nil {
		u.Email = *p.Email
	}
	if p.Age != nil {
		u.Age = int32(*p.Age)
	}
	if err := db.Save(&u).Error; err != nil {
		return nil, fail(err, "saving user %d", id)
	}
	out := u.domain()
	return &out, nil
}
