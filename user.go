package crudbench

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits shared by validation, the HTTP layer and every arm.
const (
	MaxNameLen   = 100    // characters in User.Name
	MaxEmailLen  = 254    // characters in User.Email
	MaxAge       = 150    // largest User.Age
	MaxTitleLen  = 200    // characters in Post.Title
	MaxBodyLen   = 10_000 // characters in Post.Body
	MaxBatch     = 1000   // items in one bulk request
	DefaultLimit = 50     // page size of ListUsers when none is given
	MaxLimit     = 1000   // largest page size of ListUsers
)

// User is a row of the users table.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Age       int       `json:"age"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`

	// Posts is set only when the posts were asked for (UserWithPosts).
	Posts []Post `json:"posts,omitzero"`
}

// UserCreate is the input of a new user.
type UserCreate struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Age   int    `json:"age"`
}

// Validate reports the first field of u that breaks the data model.
func (u *UserCreate) Validate() error {
	if err := validateName(u.Name); err != nil {
		return err
	}
	if err := validateEmail(u.Email); err != nil {
		return err
	}
	return validateAge(u.Age)
}

// UserPatch is a partial update: nil fields are left as they are.
type UserPatch struct {
	Name  *string `json:"name"`
	Email *string `json:"email"`
	Age   *int    `json:"age"`
}

// Empty reports whether p changes no field.
func (p *UserPatch) Empty() bool {
	return p.Name == nil && p.Email == nil && p.Age == nil
}

// Validate reports the first set field of p that breaks the data model, or
// that p sets no field at all.
func (p *UserPatch) Validate() error {
	if p.Empty() {
		return Errorf(EINVALID, "Nothing to update: set at least one of name, email, age.")
	}
	if p.Name != nil {
		if err := validateName(*p.Name); err != nil {
			return err
		}
	}
	if p.Email != nil {
		if err := validateEmail(*p.Email); err != nil {
			return err
		}
	}
	if p.Age != nil {
		return validateAge(*p.Age)
	}
	return nil
}

// UserUpdate is one item of a bulk update: the id and its own patch.
type UserUpdate struct {
	ID int64 `json:"id"`
	UserPatch
}

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

// ValidateIDs checks the ids of a bulk read or delete: 1 to MaxBatch
// positive ids, none repeated.
func ValidateIDs(ids []int64) error {
	if len(ids) == 0 {
		return Errorf(EINVALID, "Give at least one id.")
	} else if len(ids) > MaxBatch {
		return Errorf(EINVALID, "Too many ids: %d given, at most %d allowed.", len(ids), MaxBatch)
	}
	seen := make(map[int64]struct{}, len(ids))
	for _, id := range ids {
		if id <= 0 {
			return Errorf(EINVALID, "Invalid id %d: ids are positive integers.", id)
		}
		if _, ok := seen[id]; ok {
			return Errorf(EINVALID, "Id %d is given twice.", id)
		}
		seen[id] = struct{}{}
	}
	return nil
}

// ValidateBatch checks the size of a bulk request body.
func ValidateBatch(n int) error {
	if n == 0 {
		return Errorf(EINVALID, "The batch is empty: give 1 to %d items.", MaxBatch)
	} else if n > MaxBatch {
		return Errorf(EINVALID, "The batch has %d items, at most %d allowed.", n, MaxBatch)
	}
	return nil
}

// ValidateUpdates checks a bulk update: its size, each id (positive, not
// repeated) and each patch.
func ValidateUpdates(in []UserUpdate) error {
	if err := ValidateBatch(len(in)); err != nil {
		return err
	}
	seen := make(map[int64]struct{}, len(in))
	for i := range in {
		if in[i].ID <= 0 {
			return Errorf(EINVALID, "Item %d: invalid id %d, ids are positive integers.", i, in[i].ID)
		}
		if _, ok := seen[in[i].ID]; ok {
			return Errorf(EINVALID, "Item %d: id %d is given twice.", i, in[i].ID)
		}
		seen[in[i].ID] = struct{}{}
		if err := in[i].UserPatch.Validate(); err != nil {
			return Errorf(EINVALID, "Item %d: %s", i, ErrorMessage(err))
		}
	}
	return nil
}

// ValidateCreates checks a bulk create: its size and each item.
func ValidateCreates(in []UserCreate) error {
	if err := ValidateBatch(len(in)); err != nil {
		return err
	}
	for i := range in {
		if err := in[i].Validate(); err != nil {
			return Errorf(EINVALID, "Item %d: %s", i, ErrorMessage(err))
		}
	}
	return nil
}

func validateName(s string) error {
	if err := validateText("name", s, 1, MaxNameLen); err != nil {
		return err
	}
	if strings.TrimSpace(s) == "" {
		return Errorf(EINVALID, "Name must not be blank.")
	}
	return nil
}

func validateEmail(s string) error {
	if err := validateText("email", s, 3, MaxEmailLen); err != nil {
		return err
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || strings.Count(s, "@") != 1 {
		return Errorf(EINVALID, "Email %q must hold exactly one @ with text on both sides.", s)
	}
	return nil
}

func validateAge(n int) error {
	if n < 0 || n > MaxAge {
		return Errorf(EINVALID, "Age %d is out of range: give 0 to %d.", n, MaxAge)
	}
	return nil
}

// validateText checks what PostgreSQL text and the data model need of s:
// valid UTF-8, no NUL byte, and a length in characters within [min, max].
func validateText(field, s string, min, max int) error {
	if !utf8.ValidString(s) {
		return Errorf(EINVALID, "The %s is not valid UTF-8.", field)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return Errorf(EINVALID, "The %s must not contain NUL characters.", field)
	}
	n := utf8.RuneCountInString(s)
	if n < min || n > max {
		return Errorf(EINVALID, "The %s must have %d to %d characters, it has %d.", field, min, max, n)
	}
	return nil
}
