// Package crudbench is the domain of the benchmark: users and their posts,
// their validation, the Store interface every data-access arm implements,
// and the error codes the HTTP layer maps to statuses.
//
// The arms live in their own packages (rawsql, ent, gorm, bun, sqlc); the
// HTTP API that serves all of them lives in httpapi.
package crudbench

import (
	"context"
	_ "embed"
)

// Schema is the SQL schema all arms run on, applied to every fresh database.
//
//go:embed schema.sql
var Schema string

// Store is the data access of users and their posts. Every arm
// implements it; the HTTP layer validates input before calling it, and
// implementations return *Error values for every failure a client causes.
type Store interface {
	// CreateUser inserts one user and returns it as stored.
	CreateUser(ctx context.Context, in UserCreate) (*User, error)
	// User returns the user with the id, or ENOTFOUND.
	User(ctx context.Context, id int64) (*User, error)
	// UpdateUser applies the patch and returns the updated user, or ENOTFOUND.
	UpdateUser(ctx context.Context, id int64, p UserPatch) (*User, error)
	// DeleteUser deletes the user and, by cascade, its posts; or ENOTFOUND.
	DeleteUser(ctx context.Context, id int64) error
	// ListUsers returns up to limit users with id > after, in id order.
	ListUsers(ctx context.Context, after int64, limit int) ([]User, error)

	// CreateUsers inserts all users or none, and returns them in input order.
	CreateUsers(ctx context.Context, in []UserCreate) ([]User, error)
	// UsersByID returns the users that exist among ids, in id order.
	UsersByID(ctx context.Context, ids []int64) ([]User, error)
	// UpdateUsers applies each patch to its own row, all or nothing, and
	// returns the updated users in input order; ENOTFOUND if any id is missing.
	UpdateUsers(ctx context.Context, in []UserUpdate) ([]User, error)
	// DeleteUsers deletes the users that exist among ids and returns how many.
	DeleteUsers(ctx context.Context, ids []int64) (int, error)

	// CreatePost adds a post to a user, or ENOTFOUND for a missing user.
	CreatePost(ctx context.Context, userID int64, in PostCreate) (*Post, error)
	// UserWithPosts returns the user with all its posts in id order.
	UserWithPosts(ctx context.Context, id int64) (*User, error)
}
