package bun

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/bulk"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// Store is crudbench.Store on a bun.DB.
type Store struct {
	db *bun.DB
}

var _ crudbench.Store = (*Store)(nil)

// NewStore returns a Store whose bun.DB runs on db, a PostgreSQL pool
// opened with pgx's database/sql driver (dbconf.OpenDB), with bun's
// PostgreSQL dialect. Closing the store closes db.
func NewStore(db *sql.DB) *Store {
	return &Store{db: bun.NewDB(db, pgdialect.New())}
}

// DB returns the store's bun.DB.
func (s *Store) DB() *bun.DB {
	return s.db
}

// Close closes the store's bun.DB and with it db.
func (s *Store) Close() error {
	return s.db.Close()
}

// CreateUser inserts one user and returns it as stored: bun sends DEFAULT
// for the id and timestamps and reads the row back with RETURNING.
func (s *Store) CreateUser(ctx context.Context, in crudbench.UserCreate) (*crudbench.User, error) {
	u := User{Name: in.Name, Email: in.Email, Age: int32(in.Age)}
	if _, err := s.db.NewInsert().Model(&u).Returning("*").Exec(ctx); err != nil {
		return nil, fail(err, "creating user")
	}
	out := u.toUser()
	return &out, nil
}

// User returns the user with the id, or ENOTFOUND.
func (s *Store) User(ctx context.Context, id int64) (*crudbench.User, error) {
	var u User
	err := s.db.NewSelect().Model(&u).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "reading user %d", id)
	}
	out := u.toUser()
	return &out, nil
}

// UpdateUser applies the patch with one UPDATE of the patched columns
// (and updated_at = now()) and returns the row with RETURNING; ENOTFOUND
// when no row has the id.
func (s *Store) UpdateUser(ctx context.Context, id int64, p crudbench.UserPatch) (*crudbench.User, error) {
	u := User{ID: id}
	cols := make([]string, 0, 3)
	if p.Name != nil {
		u.Name = *p.Name
		cols = append(cols, "name")
	}
	if p.Email != nil {
		u.Email = *p.Email
		cols = append(cols, "email")
	}
	if p.Age != nil {
		u.Age = int32(*p.Age)
		cols = append(cols, "age")
	}
	err := s.db.NewUpdate().Model(&u).Column(cols...).Set("updated_at = now()").
		WherePK().Returning("*").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "updating user %d", id)
	}
	out := u.toUser()
	return &out, nil
}

// DeleteUser deletes the user and, by the foreign key's cascade, its posts;
// or returns ENOTFOUND.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	res, err := s.db.NewDelete().Model((*User)(nil)).Where("id = ?", id).Exec(ctx)
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

// ListUsers returns up to limit users with id > after, in id order.
func (s *Store) ListUsers(ctx context.Context, after int64, limit int) ([]crudbench.User, error) {
	us := make([]User, 0, limit)
	err := s.db.NewSelect().Model(&us).Where("id > ?", after).Order("id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fail(err, "listing users after %d", after)
	}
	return toUsers(us), nil
}

// CreateUsers inserts all users with one multi-row INSERT of a slice model
// and returns them in input order: bun scans the RETURNING rows back into
// the slice, row by row. bun writes the values into the statement's text
// and binds no parameters, so PostgreSQL's limit of 65,535 bind
// parameters does not apply and no batch needs splitting; one statement
// is all or nothing without a transaction.
func (s *Store) CreateUsers(ctx context.Context, in []crudbench.UserCreate) ([]crudbench.User, error) {
	if len(in) == 0 {
		return []crudbench.User{}, nil // bun refuses to insert an empty slice
	}
	us := make([]User, len(in))
	for i := range in {
		us[i] = User{Name: in[i].Name, Email: in[i].Email, Age: int32(in[i].Age)}
	}
	if _, err := s.db.NewInsert().Model(&us).Returning("*").Exec(ctx); err != nil {
		return nil, fail(err, "creating %d users", len(in))
	}
	return toUsers(us), nil
}

// UsersByID returns the users that exist among ids, in id order.
func (s *Store) UsersByID(ctx context.Context, ids []int64) ([]crudbench.User, error) {
	us := make([]User, 0, len(ids))
	err := s.db.NewSelect().Model(&us).Where("id IN (?)", bun.List(ids)).Order("id").Scan(ctx)
	if err != nil {
		return nil, fail(err, "reading %d users", len(ids))
	}
	return toUsers(us), nil
}

// UpdateUsers applies each patch to its own row in one transaction and
// returns the updated users in input order. The update is bun's bulk form:
// one UPDATE … FROM a VALUES list bound to the CTE _data (NewValues of a
// slice of userPatch), each column set to COALESCE(_data.col, u.col) so a
// row keeps the fields its patch leaves alone, and RETURNING the rows.
// (UpdateQuery.Bulk builds the same CTE but sets every column from _data,
// which would write NULL over the fields a patch does not set.) A batch
// that changes emails first frees them with bulk.FreeEmails' statement,
// said with bun's UpdateQuery, which also finds missing ids before any
// email can conflict: BEGIN, [free emails,] UPDATE, COMMIT. The first id in
// input order that does not exist fails the batch with ENOTFOUND and rolls
// it back.
func (s *Store) UpdateUsers(ctx context.Context, in []crudbench.UserUpdate) ([]crudbench.User, error) {
	if len(in) == 0 {
		return []crudbench.User{}, nil // VALUES needs a row
	}
	rows := make([]userPatch, len(in))
	for i := range in {
		rows[i] = userPatch{ID: in[i].ID, Name: in[i].Name, Email: in[i].Email}
		if in[i].Age != nil {
			a := int32(*in[i].Age)
			rows[i].Age = &a
		}
	}
	var out []crudbench.User
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if all, changing := bulk.EmailIDs(in); changing != nil {
			if err := freeEmails(ctx, tx, in, all, changing); err != nil {
				return err
			}
		}
		us := make([]User, 0, len(in))
		err := tx.NewUpdate().
			With("_data", tx.NewValues(&rows)).
			Model(&us).
			TableExpr("_data").
			Set("name = COALESCE(_data.name, u.name)").
			Set("email = COALESCE(_data.email, u.email)").
			Set("age = COALESCE(_data.age, u.age)").
			Set("updated_at = now()").
			Where("u.id = _data.id").
			Returning("u.*").
			Scan(ctx)
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

// freeEmails runs the statement of bulk.FreeEmails in tx, built by bun:
// the ids go in as IN lists of literals instead of array parameters. It
// reports the first missing id of in.
func freeEmails(ctx context.Context, tx bun.Tx, in []crudbench.UserUpdate, all, changing []int64) error {
	var found []int64
	err := tx.NewUpdate().
		Model((*User)(nil)).
		Set("email = CASE WHEN id IN (?) THEN '#' || id ELSE email END", bun.List(changing)).
		Where("id IN (?)", bun.List(all)).
		Returning("id").
		Scan(ctx, &found)
	if err != nil {
		return fmt.Errorf("freeing emails: %w", err)
	}
	return bulk.Found(in, found)
}

// DeleteUsers deletes the users that exist among ids and returns how many.
func (s *Store) DeleteUsers(ctx context.Context, ids []int64) (int, error) {
	res, err := s.db.NewDelete().Model((*User)(nil)).Where("id IN (?)", bun.List(ids)).Exec(ctx)
	if err != nil {
		return 0, fail(err, "deleting %d users", len(ids))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fail(err, "deleting %d users", len(ids))
	}
	return int(n), nil
}

// CreatePost adds a post to a user, or returns ENOTFOUND for a missing user
// (the foreign key's violation).
func (s *Store) CreatePost(ctx context.Context, userID int64, in crudbench.PostCreate) (*crudbench.Post, error) {
	p := Post{UserID: userID, Title: in.Title, Body: in.Body}
	if _, err := s.db.NewInsert().Model(&p).Returning("*").Exec(ctx); err != nil {
		if pgerr.IsForeignKeyViolation(err) {
			return nil, pgerr.NotFound(userID)
		}
		return nil, fail(err, "creating post of user %d", userID)
	}
	out := p.toPost()
	return &out, nil
}

// UserWithPosts returns the user with all its posts in id order, loaded by
// bun's Relation: one SELECT of the user, then one of its posts by
// user_id.
func (s *Store) UserWithPosts(ctx context.Context, id int64) (*crudbench.User, error) {
	var u User
	err := s.db.NewSelect().Model(&u).Where("u.id = ?", id).
		Relation("Posts", func(q *bun.SelectQuery) *bun.SelectQuery {
			return q.Order("p.id")
		}).
		Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "reading user %d with posts", id)
	}
	out := u.toUser()
	out.Posts = make([]crudbench.Post, len(u.Posts))
	for i := range u.Posts {
		out.Posts[i] = u.Posts[i].toPost()
	}
	return &out, nil
}

// fail is pgerr.Wrap for this package: what the store reports for err,
// met while doing what format and args describe.
func fail(err error, format string, args ...any) error {
	return pgerr.Wrap(err, "bun: "+format, args...)
}
