package ent

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/ent/entgen"
	"github.com/crudbench/crudbench/ent/entgen/post"
	"github.com/crudbench/crudbench/ent/entgen/user"
	"github.com/crudbench/crudbench/internal/bulk"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// NewClient returns a generated ent client that runs on db, a PostgreSQL
// pool opened with pgx's database/sql driver ("pgx"). Closing the client
// closes db.
func NewClient(db *sql.DB) *entgen.Client {
	return entgen.NewClient(entgen.Driver(entsql.OpenDB(dialect.Postgres, db)))
}

// Store is crudbench.Store on an ent client.
type Store struct {
	client *entgen.Client
}

var _ crudbench.Store = (*Store)(nil)

// NewStore returns a Store that runs its queries on db (see NewClient).
func NewStore(db *sql.DB) *Store {
	return &Store{client: NewClient(db)}
}

// Close closes the store's client and with it db.
func (s *Store) Close() error {
	return s.client.Close()
}

// maxParams is the most bind parameters PostgreSQL's protocol allows in one
// statement.
const maxParams = 65535

// createChunk is the most users one CreateBulk statement may insert: ent
// binds every column but id per user (name, email, age, created_at,
// updated_at: 5, so 13,107 users).
var createChunk = maxParams / (len(user.Columns) - 1)

// CreateUser inserts one user and returns it as stored.
func (s *Store) CreateUser(ctx context.Context, in crudbench.UserCreate) (*crudbench.User, error) {
	now := insertTime()
	u, err := s.client.User.Create().
		SetName(in.Name).
		SetEmail(in.Email).
		SetAge(int32(in.Age)).
		SetCreatedAt(now).
		SetUpdatedAt(now).
		Save(ctx)
	if err != nil {
		return nil, fail(err, "creating user")
	}
	out := toUser(u)
	return &out, nil
}

// User returns the user with the id, or ENOTFOUND.
func (s *Store) User(ctx context.Context, id int64) (*crudbench.User, error) {
	u, err := s.client.User.Get(ctx, id)
	if err != nil {
		if entgen.IsNotFound(err) {
			return nil, pgerr.NotFound(id)
		}
		return nil, fail(err, "getting user %d", id)
	}
	out := toUser(u)
	return &out, nil
}

// UpdateUser applies the patch and returns the updated user, or ENOTFOUND.
// updated_at is set by the schema's UpdateDefault.
func (s *Store) UpdateUser(ctx context.Context, id int64, p crudbench.UserPatch) (*crudbench.User, error) {
	u, err := updateUser(s.client.User.UpdateOneID(id), &p).Save(ctx)
	if err != nil {
		if entgen.IsNotFound(err) {
			return nil, pgerr.NotFound(id)
		}
		return nil, fail(err, "updating user %d", id)
	}
	out := toUser(u)
	return &out, nil
}

// DeleteUser deletes the user and, by the foreign key's cascade, its posts;
// or returns ENOTFOUND.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	err := s.client.User.DeleteOneID(id).Exec(ctx)
	if err != nil {
		if entgen.IsNotFound(err) {
			return pgerr.NotFound(id)
		}
		return fail(err, "deleting user %d", id)
	}
	return nil
}

// ListUsers returns up to limit users with id > after, in id order.
func (s *Store) ListUsers(ctx context.Context, after int64, limit int) ([]crudbench.User, error) {
	us, err := s.client.User.Query().
		Where(user.IDGT(after)).
		Order(user.ByID()).
		Limit(limit).
		All(ctx)
	if err != nil {
		return nil, fail(err, "listing users after %d", after)
	}
	return toUsers(us), nil
}

// CreateUsers inserts all users or none with CreateBulk, and returns them
// in input order. Batches larger than one statement's bind parameters allow
// are split into chunks, run in one transaction; a batch that fits in one
// statement needs none.
func (s *Store) CreateUsers(ctx context.Context, in []crudbench.UserCreate) ([]crudbench.User, error) {
	now := insertTime() // one time for every row of the request, chunks too
	if len(in) <= createChunk {
		us, err := createUsers(ctx, s.client.User, in, now)
		if err != nil {
			return nil, fail(err, "creating %d users", len(in))
		}
		return toUsers(us), nil
	}
	out := make([]crudbench.User, 0, len(in))
	err := s.withTx(ctx, func(tx *entgen.Tx) error {
		for start := 0; start < len(in); start += createChunk {
			us, err := createUsers(ctx, tx.User, in[start:min(start+createChunk, len(in))], now)
			if err != nil {
				return err
			}
			for _, u := range us {
				out = append(out, toUser(u))
			}
		}
		return nil
	})
	if err != nil {
		return nil, fail(err, "creating %d users", len(in))
	}
	return out, nil
}

// UsersByID returns the users that exist among ids, in id order.
func (s *Store) UsersByID(ctx context.Context, ids []int64) ([]crudbench.User, error) {
	us, err := s.client.User.Query().
		Where(user.IDIn(ids...)).
		Order(user.ByID()).
		All(ctx)
	if err != nil {
		return nil, fail(err, "getting %d users by id", len(ids))
	}
	return toUsers(us), nil
}

// UpdateUsers applies each patch to its own row in one transaction and
// returns the updated users in input order. ent has no per-row bulk update,
// so each item is one Update().Where(user.ID(id)) statement (no read-back,
// unlike UpdateOneID), and one IDIn query reads the rows at the end: n+3
// statements with BEGIN and COMMIT. A batch that changes emails first
// frees them with bulk.FreeEmails (sent raw with the sql/execquery
// feature's QueryContext: ent's update builders return a count, not the
// ids the statement returns), one more statement, which
// also finds missing ids before any email can conflict. The first id in
// input order that does not exist fails the batch with ENOTFOUND and rolls
// it back.
func (s *Store) UpdateUsers(ctx context.Context, in []crudbench.UserUpdate) ([]crudbench.User, error) {
	var out []crudbench.User
	err := s.withTx(ctx, func(tx *entgen.Tx) error {
		if all, changing := bulk.EmailIDs(in); changing != nil {
			if err := freeEmails(ctx, tx, in, all, changing); err != nil {
				return err
			}
		}
		ids := make([]int64, len(in))
		// One updated_at for the whole batch, as one statement's now()
		// gives in the raw arms, rather than the schema's UpdateDefault
		// taking time.Now per statement.
		now := insertTime()
		for i := range in {
			ids[i] = in[i].ID
			u := tx.User.Update().Where(user.ID(in[i].ID)).
				SetNillableName(in[i].Name).SetNillableEmail(in[i].Email).SetUpdatedAt(now)
			if in[i].Age != nil {
				u.SetAge(int32(*in[i].Age))
			}
			n, err := u.Save(ctx)
			if err != nil {
				return fmt.Errorf("user %d: %w", in[i].ID, err)
			} else if n == 0 {
				return pgerr.NotFound(in[i].ID)
			}
		}
		us, err := tx.User.Query().Where(user.IDIn(ids...)).All(ctx)
		if err != nil {
			return fmt.Errorf("reading back: %w", err)
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
	n, err := s.client.User.Delete().
		Where(user.IDIn(ids...)).
		Exec(ctx)
	if err != nil {
		return 0, fail(err, "deleting %d users", len(ids))
	}
	return n, nil
}

// CreatePost adds a post to a user, or returns ENOTFOUND for a missing user
// (the foreign key's violation).
func (s *Store) CreatePost(ctx context.Context, userID int64, in crudbench.PostCreate) (*crudbench.Post, error) {
	p, err := s.client.Post.Create().
		SetUserID(userID).
		SetTitle(in.Title).
		SetBody(in.Body).
		SetCreatedAt(insertTime()).
		Save(ctx)
	if err != nil {
		if pgerr.IsForeignKeyViolation(err) {
			return nil, pgerr.NotFound(userID)
		}
		return nil, fail(err, "creating post of user %d", userID)
	}
	out := toPost(p)
	return &out, nil
}

// UserWithPosts returns the user with all its posts in id order, eager
// loaded by ent (a second query on posts.user_id).
func (s *Store) UserWithPosts(ctx context.Context, id int64) (*crudbench.User, error) {
	u, err := s.client.User.Query().
		Where(user.ID(id)).
		WithPosts(func(q *entgen.PostQuery) {
			q.Order(post.ByID())
		}).
		Only(ctx)
	if err != nil {
		if entgen.IsNotFound(err) {
			return nil, pgerr.NotFound(id)
		}
		return nil, fail(err, "getting user %d with posts", id)
	}
	out := toUser(u)
	out.Posts = make([]crudbench.Post, len(u.Edges.Posts))
	for i, p := range u.Edges.Posts {
		out.Posts[i] = toPost(p)
	}
	return &out, nil
}

// withTx runs fn in a transaction, committed if fn returns nil and rolled
// back otherwise.
func (s *Store) withTx(ctx context.Context, fn func(tx *entgen.Tx) error) error {
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("starting transaction: %w", err)
	}
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("rolling back: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// freeEmails sends bulk.FreeEmails in tx and reports the first missing id
// of in.
func freeEmails(ctx context.Context, tx *entgen.Tx, in []crudbench.UserUpdate, all, changing []int64) error {
	rows, err := tx.QueryContext(ctx, bulk.FreeEmails, all, changing)
	if err != nil {
		return fmt.Errorf("freeing emails: %w", err)
	}
	defer rows.Close()
	var found []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("freeing emails: %w", err)
		}
		found = append(found, id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("freeing emails: %w", err)
	}
	return bulk.Found(in, found)
}

// createUsers inserts in with one CreateBulk statement of c, every row
// stamped now.
func createUsers(ctx context.Context, c *entgen.UserClient, in []crudbench.UserCreate, now time.Time) ([]*entgen.User, error) {
	builders := make([]*entgen.UserCreate, len(in))
	for i := range in {
		builders[i] = c.Create().
			SetName(in[i].Name).
			SetEmail(in[i].Email).
			SetAge(int32(in[i].Age)).
			SetCreatedAt(now).
			SetUpdatedAt(now)
	}
	return c.CreateBulk(builders...).Save(ctx)
}

// insertTime returns the created_at (and updated_at) of new rows, and the
// updated_at of a bulk update: the schema's Go-side default, time.Now, taken
// once per store call so that every row one request writes carries one time
// and a new user's two timestamps are equal, as with the database default now(), and
// truncated to PostgreSQL's microseconds so that the row returned is the row
// stored (ent returns what it sent, not what PostgreSQL kept).
func insertTime() time.Time {
	return time.Now().Truncate(time.Microsecond)
}

// updateUser sets on u the fields that p sets.
func updateUser(u *entgen.UserUpdateOne, p *crudbench.UserPatch) *entgen.UserUpdateOne {
	u.SetNillableName(p.Name).SetNillableEmail(p.Email)
	if p.Age != nil {
		u.SetAge(int32(*p.Age))
	}
	return u
}

func toUser(u *entgen.User) crudbench.User {
	return crudbench.User{
		ID:        u.ID,
		Name:      u.Name,
		Email:     u.Email,
		Age:       int(u.Age),
		CreatedAt: u.CreatedAt,
		UpdatedAt: u.UpdatedAt,
	}
}

func toUsers(us []*entgen.User) []crudbench.User {
	out := make([]crudbench.User, len(us))
	for i, u := range us {
		out[i] = toUser(u)
	}
	return out
}

func toPost(p *entgen.Post) crudbench.Post {
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
	return pgerr.Wrap(err, "ent: "+format, args...)
}
