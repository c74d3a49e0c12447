package gorm

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/bulk"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// Store is crudbench.Store on a gorm.DB.
type Store struct {
	// db runs single statements with gorm's statement cache (a session
	// with PrepareStmt).
	db *gorm.DB
	// txDB opens the store's own transactions, without that cache and
	// without gorm's default transaction, which has nothing to add inside
	// them (see open).
	txDB *gorm.DB
	// sqlDB is the pool gorm runs on, closed by Close.
	sqlDB *sql.DB
}

var _ crudbench.Store = (*Store)(nil)

// NewStore returns a Store on db, a PostgreSQL pool opened with pgx's
// database/sql driver ("pgx"), configured as gorm's performance guide
// advises: no default transaction around single writes, prepared
// statements cached, a silent logger. It pings db, as gorm.Open does.
func NewStore(db *sql.DB) (*Store, error) {
	return open(db, true)
}

// NewTxStore returns a Store like NewStore's, but with gorm's default
// transaction: every create, update and delete is wrapped in BEGIN and
// COMMIT by gorm.
func NewTxStore(db *sql.DB) (*Store, error) {
	return open(db, false)
}

// open opens gorm on db. Prepared statements are turned on in gorm's
// session mode (Session{PrepareStmt: true}) rather than in gorm.Config,
// which would put every transaction on the cache too: there, a transaction
// holding a connection waits for a statement another request is preparing,
// which waits for a connection, so once transactions hold the whole pool
// every request stalls until its deadline (go-gorm/gorm#7465, seen here
// under the concurrency suite). The store's transactions (UpdateUsers, and
// CreateUsers beyond one statement) are opened on txDB instead, and their
// statements are prepared and cached per connection by pgx. gorm's default
// transaction (NewTxStore) begins on the cached session, as it does for
// any gorm user.
func open(db *sql.DB, skipDefaultTx bool) (*Store, error) {
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: db}), &gorm.Config{
		SkipDefaultTransaction: skipDefaultTx,
		Logger:                 logger.Discard,
		NowFunc:                now,
		// gorm's statement cache is unbounded by default, and every batch
		// size of an IN list or a multi-row INSERT is a statement of its
		// own: bound it like pgx's (512 per connection), evicting (and
		// closing) the least recently used.
		PrepareStmtMaxSize: prepareStmtMaxSize,
	})
	if err != nil {
		return nil, fmt.Errorf("gorm: opening: %w", err)
	}
	return &Store{
		db:    g.Session(&gorm.Session{PrepareStmt: true}),
		txDB:  g.Session(&gorm.Session{SkipDefaultTransaction: true}),
		sqlDB: db,
	}, nil
}

// Close closes the store's pool.
func (s *Store) Close() error {
	return s.sqlDB.Close()
}

// now is gorm's clock (Config.NowFunc) for created_at and updated_at,
// which gorm sets from Go, once per statement; a store call that sends
// several statements takes it once and sets it itself, so that every row
// one request writes carries one time. It is truncated to PostgreSQL's
// microseconds so that the row returned is the row stored (gorm returns
// what it sent, not what PostgreSQL kept).
func now() time.Time {
	return time.Now().Truncate(time.Microsecond)
}

// prepareStmtMaxSize is how many prepared statements gorm's cache keeps,
// as many as pgx's statement cache holds per connection by default.
const prepareStmtMaxSize = 512

// maxParams is the most bind parameters PostgreSQL's protocol allows in one
// statement.
const maxParams = 65535

// createChunk is the most users one INSERT may hold: gorm binds every
// column but id per user (name, email, age, created_at, updated_at: 5, so
// 13,107 users).
const createChunk = maxParams / 5

// CreateUser inserts one user and returns it as stored.
func (s *Store) CreateUser(ctx context.Context, in crudbench.UserCreate) (*crudbench.User, error) {
	u := User{Name: in.Name, Email: in.Email, Age: int32(in.Age)}
	if err := s.db.WithContext(ctx).Create(&u).Error; err != nil {
		return nil, fail(err, "creating user")
	}
	out := u.domain()
	return &out, nil
}

// User returns the user with the id, or ENOTFOUND.
func (s *Store) User(ctx context.Context, id int64) (*crudbench.User, error) {
	var u User
	if err := s.db.WithContext(ctx).First(&u, id).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, pgerr.NotFound(id)
		}
		return nil, fail(err, "getting user %d", id)
	}
	out := u.domain()
	return &out, nil
}

// UpdateUser applies the patch with one UPDATE … RETURNING * and returns
// the row it wrote, or ENOTFOUND when it matched no row.
func (s *Store) UpdateUser(ctx context.Context, id int64, p crudbench.UserPatch) (*crudbench.User, error) {
	u, err := updateUser(s.db.WithContext(ctx), id, &p, now())
	if err != nil {
		return nil, fail(err, "updating user %d", id)
	}
	out := u.domain()
	return &out, nil
}

// DeleteUser deletes the user and, by the foreign key's cascade, its posts;
// or returns ENOTFOUND.
func (s *Store) DeleteUser(ctx context.Context, id int64) error {
	res := s.db.WithContext(ctx).Delete(&User{}, id)
	if res.Error != nil {
		return fail(res.Error, "deleting user %d", id)
	} else if res.RowsAffected == 0 {
		return pgerr.NotFound(id)
	}
	return nil
}

// ListUsers returns up to limit users with id > after, in id order.
func (s *Store) ListUsers(ctx context.Context, after int64, limit int) ([]crudbench.User, error) {
	us := make([]User, 0, limit)
	if err := s.db.WithContext(ctx).Where("id > ?", after).Order("id").Limit(limit).Find(&us).Error; err != nil {
		return nil, fail(err, "listing users after %d", after)
	}
	return domainUsers(us), nil
}

// CreateUsers inserts all users or none with gorm's batch insert (one
// INSERT … VALUES …, … RETURNING id per batch of createChunk users), and
// returns them in input order. Users that do not fit in one statement are
// inserted with CreateInBatches in a transaction the store opens: gorm
// opens one around the batches only when its default transaction is on.
func (s *Store) CreateUsers(ctx context.Context, in []crudbench.UserCreate) ([]crudbench.User, error) {
	us := make([]User, len(in))
	at := now() // gorm keeps set timestamps: one time for every batch
	for i := range in {
		us[i] = User{Name: in[i].Name, Email: in[i].Email, Age: int32(in[i].Age), CreatedAt: at, UpdatedAt: at}
	}
	var err error
	if len(us) <= createChunk {
		err = s.db.WithContext(ctx).Create(&us).Error
	} else {
		err = s.txDB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return tx.CreateInBatches(&us, createChunk).Error
		})
	}
	if err != nil {
		return nil, fail(err, "creating %d users", len(in))
	}
	return domainUsers(us), nil
}

// UsersByID returns the users that exist among ids, in id order.
func (s *Store) UsersByID(ctx context.Context, ids []int64) ([]crudbench.User, error) {
	us := make([]User, 0, len(ids))
	if err := s.db.WithContext(ctx).Order("id").Find(&us, ids).Error; err != nil {
		return nil, fail(err, "getting %d users by id", len(ids))
	}
	return domainUsers(us), nil
}

// UpdateUsers applies each patch to its own row in one transaction and
// returns the updated users in input order. gorm has no per-row bulk
// update (Save of a slice is an upsert, which would insert missing ids),
// so each item is one UPDATE … RETURNING *, as UpdateUser sends: n+2
// statements with BEGIN and COMMIT. A batch that changes emails first
// frees them with bulk.FreeEmails, sent with Raw (gorm's builder has no
// CASE: it would be raw SQL in a gorm.Expr anyway), one more statement,
// which also finds missing ids before any email can conflict. The first id in input order that does not exist fails the
// batch with ENOTFOUND and rolls it back.
func (s *Store) UpdateUsers(ctx context.Context, in []crudbench.UserUpdate) ([]crudbench.User, error) {
	out := make([]crudbench.User, len(in))
	err := s.txDB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if all, changing := bulk.EmailIDs(in); changing != nil {
			var found []int64
			if err := tx.Raw(bulk.FreeEmails, all, changing).Scan(&found).Error; err != nil {
				return fmt.Errorf("freeing emails: %w", err)
			}
			if err := bulk.Found(in, found); err != nil {
				return err
			}
		}
		at := now() // one updated_at for the batch, not one per statement
		for i := range in {
			u, err := updateUser(tx, in[i].ID, &in[i].UserPatch, at)
			if err != nil {
				return fmt.Errorf("user %d: %w", in[i].ID, err)
			}
			out[i] = u.domain()
		}
		return nil
	})
	if err != nil {
		return nil, fail(bulk.UpdateError(err), "updating %d users", len(in))
	}
	return out, nil
}

// DeleteUsers deletes the users that exist among ids and returns how many.
func (s *Store) DeleteUsers(ctx context.Context, ids []int64) (int, error) {
	res := s.db.WithContext(ctx).Delete(&User{}, ids)
	if res.Error != nil {
		return 0, fail(res.Error, "deleting %d users", len(ids))
	}
	return int(res.RowsAffected), nil
}

// CreatePost adds a post to a user, or returns ENOTFOUND for a missing user
// (the foreign key's violation).
func (s *Store) CreatePost(ctx context.Context, userID int64, in crudbench.PostCreate) (*crudbench.Post, error) {
	p := Post{UserID: userID, Title: in.Title, Body: in.Body}
	if err := s.db.WithContext(ctx).Create(&p).Error; err != nil {
		if pgerr.IsForeignKeyViolation(err) {
			return nil, pgerr.NotFound(userID)
		}
		return nil, fail(err, "creating post of user %d", userID)
	}
	out := p.domain()
	return &out, nil
}

// UserWithPosts returns the user with all its posts in id order, loaded
// with Preload: a second query on posts.user_id.
func (s *Store) UserWithPosts(ctx context.Context, id int64) (*crudbench.User, error) {
	var u User
	err := s.db.WithContext(ctx).
		Preload("Posts", func(db *gorm.DB) *gorm.DB { return db.Order("id") }).
		First(&u, id).Error
	if err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, pgerr.NotFound(id)
		}
		return nil, fail(err, "getting user %d with posts", id)
	}
	out := u.domain()
	out.Posts = make([]crudbench.Post, len(u.Posts))
	for i := range u.Posts {
		out.Posts[i] = u.Posts[i].domain()
	}
	return &out, nil
}

// updateUser applies p to the user id with one UPDATE … RETURNING * on db
// and returns the row; ENOTFOUND when no row matched. The patch is a map,
// not a struct: Updates skips a struct's zero values, and an age of 0 must
// be written. updated_at is at, in the map: gorm would take its own time
// per statement.
func updateUser(db *gorm.DB, id int64, p *crudbench.UserPatch, at time.Time) (*User, error) {
	u := User{ID: id}
	m := patchMap(p)
	m["updated_at"] = at
	res := db.Model(&u).Clauses(clause.Returning{}).Updates(m)
	if res.Error != nil {
		return nil, res.Error
	} else if res.RowsAffected == 0 {
		return nil, pgerr.NotFound(id)
	}
	return &u, nil
}

// patchMap returns the columns p sets, by name.
func patchMap(p *crudbench.UserPatch) map[string]any {
	m := make(map[string]any, 4)
	if p.Name != nil {
		m["name"] = *p.Name
	}
	if p.Email != nil {
		m["email"] = *p.Email
	}
	if p.Age != nil {
		m["age"] = int32(*p.Age)
	}
	return m
}

// fail is pgerr.Wrap for this package: what the store reports for err,
// met while doing what format and args describe.
func fail(err error, format string, args ...any) error {
	return pgerr.Wrap(err, "gorm: "+format, args...)
}
