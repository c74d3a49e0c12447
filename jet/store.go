package jet

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/go-jet/jet/v2/postgres"
	"github.com/go-jet/jet/v2/qrm"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/bulk"
	"github.com/crudbench/crudbench/internal/pgerr"
	"github.com/crudbench/crudbench/jet/jetgen/model"
	"github.com/crudbench/crudbench/jet/jetgen/table"
)

// users and posts are the generated tables.
var (
	users = table.Users
	posts = table.Posts
)

// Store is crudbench.Store on jet's PostgreSQL builder over a database/sql
// pool.
type Store struct {
	db *sql.DB
}

var _ crudbench.Store = (*Store)(nil)

// NewStore returns a Store that runs jet's statements on db, a PostgreSQL
// pool opened with pgx's database/sql driver (dbconf.OpenDB). Closing the
// store closes db.
func NewStore(db *sql.DB) *Store {
	return &Store{db: db}
}

// Close closes the store's pool.
func (s *Store) Close() error {
	return s.db.Close()
}

// CreateUser inserts one user and returns it as stored, with RETURNING:
// PostgreSQL's defaults give the id and timestamps.
func (s *Store) CreateUser(ctx context.Context, in crudbench.UserCreate) (*crudbench.User, error) {
	stmt := users.INSERT(users.Name, users.Email, users.Age).
		VALUES(in.Name, in.Email, int32(in.Age)).
		RETURNING(users.AllColumns)
	var u model.Users
	if err := stmt.QueryContext(ctx, s.db, &u); err != nil {
		return nil, fail(err, "creating user")
	}
	return toUser(&u), nil
}

// User returns the user with the id, or ENOTFOUND.
func (s *Store) User(ctx context.Context, id int64) (*crudbench.User, error) {
	stmt := postgres.SELECT(users.AllColumns).
		FROM(users).
		WHERE(users.ID.EQ(postgres.Int64(id)))
	var u model.Users
	err := stmt.QueryContext(ctx, s.db, &u)
	if errors.Is(err, qrm.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "reading user %d", id)
	}
	return toUser(&u), nil
}

// UpdateUser applies the patch with one UPDATE of the patched columns and
// updated_at = now(), RETURNING the row; ENOTFOUND when no row has the id.
func (s *Store) UpdateUser(ctx context.Context, id int64, p crudbench.UserPatch) (*crudbench.User, error) {
	set := make([]any, 0, 3)
	if p.Name != nil {
		set = append(set, users.Name.SET(postgres.String(*p.Name)))
	}
	if p.Email != nil {
		set = append(set, users.Email.SET(postgres.String(*p.Email)))
	}
	if p.Age != nil {
		set = append(set, users.Age.SET(postgres.Int32(int32(*p.Age))))
	}
	stmt := users.UPDATE().
		SET(users.UpdatedAt.SET(postgres.NOW()), set...).
		WHERE(users.ID.EQ(postgres.Int64(id))).
		RETURNING(users.AllColumns)
	var u model.Users
	err := stmt.QueryContext(ctx, s.db, &u)
	if errors.Is(err, qrm.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "updating user %d", id)
	}
	return toUser(&u), nil
}

// DeleteUser deletes the user and, by the foreign key's cascade, its
// posts; or returns ENOTFOUND.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	res, err := users.DELETE().WHERE(users.ID.EQ(postgres.Int64(id))).ExecContext(ctx, s.db)
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
	stmt := postgres.SELECT(users.AllColumns).
		FROM(users).
		WHERE(users.ID.GT(postgres.Int64(after))).
		ORDER_BY(users.ID).
		LIMIT(int64(limit))
	us := make([]model.Users, 0, limit)
	if err := stmt.QueryContext(ctx, s.db, &us); err != nil {
		return nil, fail(err, "listing users after %d", after)
	}
	return toUsers(us), nil
}

// CreateUsers inserts all users with one multi-row INSERT … RETURNING and
// returns them in input order (the order of the VALUES rows, in which
// PostgreSQL draws the ids and returns the rows). Each value is a bind
// parameter, so a batch of more than 21,845 users (three parameters each)
// is split into several INSERTs in one transaction, all or nothing.
func (s *Store) CreateUsers(ctx context.Context, in []crudbench.UserCreate) ([]crudbench.User, error) {
	if len(in) == 0 {
		return []crudbench.User{}, nil // VALUES needs a row
	}
	const chunk = bulk.MaxParams / 3
	if len(in) <= chunk {
		us, err := createUsers(ctx, s.db, in)
		if err != nil {
			return nil, fail(err, "creating %d users", len(in))
		}
		return us, nil
	}
	var out []crudbench.User
	err := s.inTx(ctx, func(tx *sql.Tx) (err error) {
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
func createUsers(ctx context.Context, db qrm.Queryable, in []crudbench.UserCreate) ([]crudbench.User, error) {
	stmt := users.INSERT(users.Name, users.Email, users.Age)
	for i := range in {
		stmt = stmt.VALUES(in[i].Name, in[i].Email, int32(in[i].Age))
	}
	us := make([]model.Users, 0, len(in))
	if err := stmt.RETURNING(users.AllColumns).QueryContext(ctx, db, &us); err != nil {
		return nil, err
	}
	if len(us) != len(in) {
		return nil, fmt.Errorf("INSERT returned %d rows for %d users", len(us), len(in))
	}
	return toUsers(us), nil
}

// UsersByID returns the users that exist among ids, in id order.
func (s *Store) UsersByID(ctx context.Context, ids []int64) ([]crudbench.User, error) {
	stmt := postgres.SELECT(users.AllColumns).
		FROM(users).
		WHERE(users.ID.IN(int64s(ids)...)).
		ORDER_BY(users.ID)
	us := make([]model.Users, 0, len(ids))
	if err := stmt.QueryContext(ctx, s.db, &us); err != nil {
		return nil, fail(err, "reading %d users", len(ids))
	}
	return toUsers(us), nil
}

// patchRows is the VALUES table a bulk update joins to users: one row of
// id, name, email and age per patch, NULL (typed, so the table's column
// types are known) where a patch leaves a field alone.
func patchRows(in []crudbench.UserUpdate) []postgres.RowExpression {
	rows := make([]postgres.RowExpression, len(in))
	for i := range in {
		name, email, age := postgres.Expression(postgres.CAST(postgres.NULL).AS_TEXT()),
			postgres.Expression(postgres.CAST(postgres.NULL).AS_TEXT()),
			postgres.Expression(postgres.CAST(postgres.NULL).AS_INTEGER())
		if p := in[i].Name; p != nil {
			name = postgres.String(*p)
		}
		if p := in[i].Email; p != nil {
			email = postgres.String(*p)
		}
		if p := in[i].Age; p != nil {
			age = postgres.Int32(int32(*p))
		}
		rows[i] = postgres.WRAP(postgres.Int64(in[i].ID), name, email, age)
	}
	return rows
}

// UpdateUsers applies each patch to its own row in one transaction and
// returns the updated users in input order: one UPDATE users … FROM a
// VALUES table of the patches, each column COALESCE(v.col, users.col) so
// that a row keeps what its patch leaves alone, RETURNING the rows. A
// batch that changes emails first frees them (bulk.FreeEmails' statement,
// said in jet), which also finds missing ids before any email can
// conflict: BEGIN, [free emails,] UPDATE, COMMIT. The first id in input
// order that does not exist fails the batch with ENOTFOUND and rolls it
// back.
func (s *Store) UpdateUsers(ctx context.Context, in []crudbench.UserUpdate) ([]crudbench.User, error) {
	if len(in) == 0 {
		return []crudbench.User{}, nil // VALUES needs a row
	}
	var (
		v      = postgres.VALUES(patchRows(in)...)
		vID    = postgres.IntegerColumn("id")
		vName  = postgres.StringColumn("name")
		vEmail = postgres.StringColumn("email")
		vAge   = postgres.IntegerColumn("age")
		data   = v.AS("v", vID, vName, vEmail, vAge)
	)
	vID, vName, vEmail, vAge = vID.From(data), vName.From(data), vEmail.From(data), vAge.From(data)
	stmt := users.UPDATE().
		SET(
			users.Name.SET(postgres.StringExp(postgres.COALESCE(vName, users.Name))),
			users.Email.SET(postgres.StringExp(postgres.COALESCE(vEmail, users.Email))),
			users.Age.SET(postgres.IntExp(postgres.COALESCE(vAge, users.Age))),
			users.UpdatedAt.SET(postgres.NOW()),
		).
		FROM(data).
		WHERE(users.ID.EQ(vID)).
		RETURNING(users.AllColumns)

	var out []crudbench.User
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if all, changing := bulk.EmailIDs(in); changing != nil {
			if err := freeEmails(ctx, tx, in, all, changing); err != nil {
				return err
			}
		}
		us := make([]model.Users, 0, len(in))
		if err := stmt.QueryContext(ctx, tx, &us); err != nil {
			return err
		}
		var err error
		out, err = bulk.InInputOrder(in, toUsers(us))
		return err
	})
	if err != nil {
		return nil, fail(bulk.UpdateError(err), "updating %d users", len(in))
	}
	return out, nil
}

// freeEmails runs the statement of bulk.FreeEmails in tx, built with jet:
// IN lists of the ids instead of array parameters. It reports the first
// missing id of in.
func freeEmails(ctx context.Context, tx *sql.Tx, in []crudbench.UserUpdate, all, changing []int64) error {
	stmt := users.UPDATE().
		SET(users.Email.SET(postgres.StringExp(
			postgres.CASE().
				WHEN(users.ID.IN(int64s(changing)...)).THEN(postgres.String("#").CONCAT(users.ID)).
				ELSE(users.Email),
		))).
		WHERE(users.ID.IN(int64s(all)...)).
		RETURNING(users.ID)
	var found []struct {
		ID int64 `alias:"users.id"`
	}
	if err := stmt.QueryContext(ctx, tx, &found); err != nil {
		return fmt.Errorf("freeing emails: %w", err)
	}
	ids := make([]int64, len(found))
	for i := range found {
		ids[i] = found[i].ID
	}
	return bulk.Found(in, ids)
}

// DeleteUsers deletes the users that exist among ids and returns how many.
func (s *Store) DeleteUsers(ctx context.Context, ids []int64) (int, error) {
	res, err := users.DELETE().WHERE(users.ID.IN(int64s(ids)...)).ExecContext(ctx, s.db)
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
	stmt := posts.INSERT(posts.UserID, posts.Title, posts.Body).
		VALUES(userID, in.Title, in.Body).
		RETURNING(posts.AllColumns)
	var p model.Posts
	if err := stmt.QueryContext(ctx, s.db, &p); err != nil {
		if pgerr.IsForeignKeyViolation(err) {
			return nil, pgerr.NotFound(userID)
		}
		return nil, fail(err, "creating post of user %d", userID)
	}
	out := toPost(&p)
	return &out, nil
}

// UserWithPosts returns the user with all its posts in id order: one
// SELECT of users LEFT JOIN posts, which jet's qrm folds into the user and
// its slice of posts (rows grouped by the primary keys the generated
// models mark).
func (s *Store) UserWithPosts(ctx context.Context, id int64) (*crudbench.User, error) {
	stmt := postgres.SELECT(users.AllColumns, posts.AllColumns).
		FROM(users.LEFT_JOIN(posts, posts.UserID.EQ(users.ID))).
		WHERE(users.ID.EQ(postgres.Int64(id))).
		ORDER_BY(posts.ID)
	var dest struct {
		model.Users
		Posts []model.Posts
	}
	err := stmt.QueryContext(ctx, s.db, &dest)
	if errors.Is(err, qrm.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "reading user %d with posts", id)
	}
	out := toUser(&dest.Users)
	out.Posts = make([]crudbench.Post, len(dest.Posts))
	for i := range dest.Posts {
		out.Posts[i] = toPost(&dest.Posts[i])
	}
	return out, nil
}

// inTx runs f in a transaction, committed when f returns nil.
func (s *Store) inTx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		return errors.Join(err, ignoreDone(tx.Rollback()))
	}
	return tx.Commit()
}

// ignoreDone drops sql.ErrTxDone: a rollback after the context ended the
// transaction has nothing left to undo.
func ignoreDone(err error) error {
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// int64s returns ids as jet expressions, for an IN list.
func int64s(ids []int64) []postgres.Expression {
	out := make([]postgres.Expression, len(ids))
	for i, id := range ids {
		out[i] = postgres.Int64(id)
	}
	return out
}

// fail is pgerr.Wrap for this package: what the store reports for err,
// met while doing what format and args describe.
func fail(err error, format string, args ...any) error {
	return pgerr.Wrap(err, "jet: "+format, args...)
}
