package sqlx

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/bulk"
	"github.com/crudbench/crudbench/internal/pgerr"
	"github.com/jmoiron/sqlx"
)

// The statements, positional ($n) as PostgreSQL takes them. SELECT * and
// RETURNING * are safe with sqlx: it scans by column name into the db tags
// of user and fails on a column the struct does not have.
const (
	sqlCreateUser = `INSERT INTO users (name, email, age) VALUES ($1, $2, $3) RETURNING *`
	sqlUser       = `SELECT * FROM users WHERE id = $1`
	sqlUpdateUser = `UPDATE users SET name = COALESCE($2, name), email = COALESCE($3, email),
	age = COALESCE($4, age), updated_at = now() WHERE id = $1 RETURNING *`
	sqlDeleteUser = `DELETE FROM users WHERE id = $1`
	sqlListUsers  = `SELECT * FROM users WHERE id > $1 ORDER BY id LIMIT $2`

	// One statement for any batch: the arrays are unnested side by side
	// and numbered, rows are inserted in input order (ids are drawn in that
	// order), and the result is read back in id order, which is input order.
	sqlCreateUsers = `WITH ins AS (
	INSERT INTO users (name, email, age)
	SELECT v.name, v.email, v.age FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS v(name, email, age, n)
	ORDER BY v.n
	RETURNING *)
SELECT * FROM ins ORDER BY id`
	sqlUsersByID   = `SELECT * FROM users WHERE id = ANY($1) ORDER BY id`
	sqlUpdateUsers = `UPDATE users AS u SET name = COALESCE(v.name, u.name), email = COALESCE(v.email, u.email),
	age = COALESCE(v.age, u.age), updated_at = now()
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[]) AS v(id, name, email, age)
WHERE u.id = v.id
RETURNING u.*`
	sqlDeleteUsers = `DELETE FROM users WHERE id = ANY($1)`

	sqlCreatePost = `INSERT INTO posts (user_id, title, body) VALUES ($1, $2, $3) RETURNING *`
	// A user without posts gives one row whose post columns are NULL.
	sqlUserWithPosts = `SELECT u.*, p.id AS post_id, p.title AS post_title, p.body AS post_body,
	p.created_at AS post_created_at
FROM users AS u LEFT JOIN posts AS p ON p.user_id = u.id
WHERE u.id = $1 ORDER BY p.id`
)

// user is a row of users as sqlx scans it: by column name, through the db
// tags.
type user struct {
	ID        int64     `db:"id"`
	Name      string    `db:"name"`
	Email     string    `db:"email"`
	Age       int       `db:"age"`
	CreatedAt time.Time `db:"created_at"`
	UpdatedAt time.Time `db:"updated_at"`
}

func (u *user) domain() crudbench.User {
	return crudbench.User{ID: u.ID, Name: u.Name, Email: u.Email, Age: u.Age, CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt}
}

func domainUsers(us []user) []crudbench.User {
	out := make([]crudbench.User, len(us))
	for i := range us {
		out[i] = us[i].domain()
	}
	return out
}

// post is a row of posts.
type post struct {
	ID        int64     `db:"id"`
	UserID    int64     `db:"user_id"`
	Title     string    `db:"title"`
	Body      string    `db:"body"`
	CreatedAt time.Time `db:"created_at"`
}

// userPost is a row of sqlUserWithPosts: the user (embedded, its columns
// unprefixed) and the nullable columns of one post.
type userPost struct {
	user
	PostID        *int64     `db:"post_id"`
	PostTitle     *string    `db:"post_title"`
	PostBody      *string    `db:"post_body"`
	PostCreatedAt *time.Time `db:"post_created_at"`
}

// Store is the sqlx arm: crudbench.Store on a sqlx.DB, positional
// statements scanned into structs with Get and Select.
type Store struct {
	db *sqlx.DB
}

var _ crudbench.Store = (*Store)(nil)

// NewStore returns a Store on db, a database/sql pool over pgx's stdlib
// driver (it binds Go slices to PostgreSQL arrays), as dbconf.OpenDB opens
// it.
func NewStore(db *sql.DB) *Store {
	return &Store{db: sqlx.NewDb(db, "pgx")}
}

// CreateUser implements crudbench.Store.
func (s *Store) CreateUser(ctx context.Context, in crudbench.UserCreate) (*crudbench.User, error) {
	var u user
	if err := s.db.GetContext(ctx, &u, sqlCreateUser, in.Name, in.Email, in.Age); err != nil {
		return nil, fail(err, "creating user")
	}
	out := u.domain()
	return &out, nil
}

// User implements crudbench.Store.
func (s *Store) User(ctx context.Context, id int64) (*crudbench.User, error) {
	var u user
	if err := s.db.GetContext(ctx, &u, sqlUser, id); errors.Is(err, sql.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "reading user %d", id)
	}
	out := u.domain()
	return &out, nil
}

// UpdateUser implements crudbench.Store: one UPDATE … RETURNING, the
// fields the patch leaves alone bound as NULL.
func (s *Store) UpdateUser(ctx context.Context, id int64, p crudbench.UserPatch) (*crudbench.User, error) {
	var u user
	if err := s.db.GetContext(ctx, &u, sqlUpdateUser, id, p.Name, p.Email, p.Age); errors.Is(err, sql.ErrNoRows) {
		return nil, pgerr.NotFound(id)
	} else if err != nil {
		return nil, fail(err, "updating user %d", id)
	}
	out := u.domain()
	return &out, nil
}

// DeleteUser implements crudbench.Store; the posts go by the foreign key's
// cascade.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	res, err := s.db.ExecContext(ctx, sqlDeleteUser, id)
	return deleted(res, err, id)
}

// deleted is what DeleteUser returns for the result of deleting user id.
func deleted(res sql.Result, err error, id int64) error {
	if err != nil {
		return fail(err, "deleting user %d", id)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fail(err, "deleting user %d", id)
	} else if n == 0 {
		return pgerr.NotFound(id)
	}
	return nil
}

// ListUsers implements crudbench.Store.
func (s *Store) ListUsers(ctx context.Context, after int64, limit int) ([]crudbench.User, error) {
	us := make([]user, 0, limit)
	if err := s.db.SelectContext(ctx, &us, sqlListUsers, after, limit); err != nil {
		return nil, fail(err, "listing users after %d", after)
	}
	return domainUsers(us), nil
}

// CreateUsers implements crudbench.Store with one statement whatever the
// batch's size: three array parameters unnested.
func (s *Store) CreateUsers(ctx context.Context, in []crudbench.UserCreate) ([]crudbench.User, error) {
	names, emails, ages := make([]string, len(in)), make([]string, len(in)), make([]int32, len(in))
	for i := range in {
		names[i], emails[i], ages[i] = in[i].Name, in[i].Email, int32(in[i].Age)
	}
	us := make([]user, 0, len(in))
	if err := s.db.SelectContext(ctx, &us, sqlCreateUsers, names, emails, ages); err != nil {
		return nil, fail(err, "creating %d users", len(in))
	}
	return domainUsers(us), nil
}

// UsersByID implements crudbench.Store: = ANY($1) with the ids as one
// array, the same text whatever their number.
func (s *Store) UsersByID(ctx context.Context, ids []int64) ([]crudbench.User, error) {
	us := make([]user, 0, len(ids))
	if err := s.db.SelectContext(ctx, &us, sqlUsersByID, ids); err != nil {
		return nil, fail(err, "reading %d users", len(ids))
	}
	return domainUsers(us), nil
}

// UpdateUsers implements crudbench.Store: one UPDATE … FROM unnest(…) in a
// transaction (Beginx) that lets it be undone when an id is missing. A
// batch that changes emails first frees them (bulk.FreeEmails), so that
// uniqueness holds for the state the batch leaves, and learns which ids
// exist: the first missing one in input order is ENOTFOUND before any
// email can conflict.
func (s *Store) UpdateUsers(ctx context.Context, in []crudbench.UserUpdate) ([]crudbench.User, error) {
	ids, names, emails, ages := make([]int64, len(in)), make([]*string, len(in)), make([]*string, len(in)), make([]*int, len(in))
	for i := range in {
		ids[i], names[i], emails[i], ages[i] = in[i].ID, in[i].Name, in[i].Email, in[i].Age
	}
	var out []crudbench.User
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if all, changing := bulk.EmailIDs(in); changing != nil {
			var found []int64
			if err := tx.SelectContext(ctx, &found, bulk.FreeEmails, all, changing); err != nil {
				return err
			}
			if err := bulk.Found(in, found); err != nil {
				return err
			}
		}
		us := make([]user, 0, len(in))
		if err := tx.SelectContext(ctx, &us, sqlUpdateUsers, ids, names, emails, ages); err != nil {
			return err
		}
		var err error
		out, err = bulk.InInputOrder(in, domainUsers(us))
		return err
	})
	if err != nil {
		return nil, fail(bulk.UpdateError(err), "updating %d users", len(in))
	}
	return out, nil
}

// DeleteUsers implements crudbench.Store.
func (s *Store) DeleteUsers(ctx context.Context, ids []int64) (int, error) {
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

// CreatePost implements crudbench.Store; a missing user is the foreign
// key's violation, reported as ENOTFOUND.
func (s *Store) CreatePost(ctx context.Context, userID int64, in crudbench.PostCreate) (*crudbench.Post, error) {
	var p post
	if err := s.db.GetContext(ctx, &p, sqlCreatePost, userID, in.Title, in.Body); err != nil {
		return nil, postError(err, userID)
	}
	return &crudbench.Post{ID: p.ID, UserID: p.UserID, Title: p.Title, Body: p.Body, CreatedAt: p.CreatedAt}, nil
}

// postError is what CreatePost reports for err.
func postError(err error, userID int64) error {
	if pgerr.IsForeignKeyViolation(err) {
		return pgerr.NotFound(userID)
	}
	return fail(err, "creating post of user %d", userID)
}

// UserWithPosts implements crudbench.Store with one statement: a LEFT JOIN
// selected into a slice of userPost, folded into the user and its posts.
func (s *Store) UserWithPosts(ctx context.Context, id int64) (*crudbench.User, error) {
	var rows []userPost
	if err := s.db.SelectContext(ctx, &rows, sqlUserWithPosts, id); err != nil {
		return nil, fail(err, "reading user %d with posts", id)
	} else if len(rows) == 0 {
		return nil, pgerr.NotFound(id)
	}
	out := rows[0].domain()
	out.Posts = make([]crudbench.Post, 0, len(rows))
	for _, r := range rows {
		if r.PostID != nil { // nil: the one row of a user without posts
			out.Posts = append(out.Posts, crudbench.Post{ID: *r.PostID, UserID: r.ID, Title: *r.PostTitle, Body: *r.PostBody, CreatedAt: *r.PostCreatedAt})
		}
	}
	return &out, nil
}

// inTx runs fn in a transaction begun with BeginTxx, committed if fn
// returns nil and rolled back otherwise.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return tx.Commit()
}

// fail is pgerr.Wrap for this package: what the store reports for err,
// met while doing what format and args describe.
func fail(err error, format string, args ...any) error {
	return pgerr.Wrap(err, "sqlx: "+format, args...)
}
