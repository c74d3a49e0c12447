package bun

import (
	"time"

	"github.com/uptrace/bun"

	"github.com/crudbench/crudbench"
)

// User is a row of the users table as bun maps it: the columns of
// schema.sql, in its order, and the has-many relation to the user's posts.
// Zero CreatedAt and UpdatedAt are sent as DEFAULT (nullzero), so
// PostgreSQL's now() stamps a new row; ID is the identity column.
type User struct {
	bun.BaseModel `bun:"table:users,alias:u"`

	ID        int64     `bun:"id,pk,autoincrement,identity,type:bigint"`
	Name      string    `bun:"name,notnull,type:text"`
	Email     string    `bun:"email,notnull,unique,type:text"`
	Age       int32     `bun:"age,notnull,default:0,type:integer"`
	CreatedAt time.Time `bun:"created_at,nullzero,notnull,default:now(),type:timestamptz"`
	UpdatedAt time.Time `bun:"updated_at,nullzero,notnull,default:now(),type:timestamptz"`

	Posts []Post `bun:"rel:has-many,join:id=user_id"`
}

// Post is a row of the posts table as bun maps it, in schema.sql's column
// order. A zero CreatedAt is sent as DEFAULT, as for User.
type Post struct {
	bun.BaseModel `bun:"table:posts,alias:p"`

	ID        int64     `bun:"id,pk,autoincrement,identity,type:bigint"`
	Title     string    `bun:"title,notnull,type:text"`
	Body      string    `bun:"body,notnull,default:'',type:text"`
	CreatedAt time.Time `bun:"created_at,nullzero,notnull,default:now(),type:timestamptz"`
	UserID    int64     `bun:"user_id,notnull,type:bigint"`
}

// userPatch is one row of the VALUES list that UpdateUsers joins to users:
// the id and the patch's fields, NULL where the patch leaves a field
// alone. bun casts every value to the column's type (NULL::text), so the
// VALUES list is typed even when a column is all NULL.
type userPatch struct {
	ID    int64   `bun:"id,type:bigint"`
	Name  *string `bun:"name,type:text"`
	Email *string `bun:"email,type:text"`
	Age   *int32  `bun:"age,type:integer"`
}

func (u *User) toUser() crudbench.User {
	return crudbench.User{
		ID:        u.ID,
		Name:      u.Name,
		Email:     u.Email,
		Age:       int(u.Age),
		CreatedAt: u.CreatedAt,
		UpdatedAt: u.UpdatedAt,
	}
}

func toUsers(us []User) []crudbench.User {
	out := make([]crudbench.User, len(us))
	for i := range us {
		out[i] = us[i].toUser()
	}
	return out
}

func (p *Post) toPost() crudbench.Post {
	return crudbench.Post{
		ID:        p.ID,
		UserID:    p.UserID,
		Title:     p.Title,
		Body:      p.Body,
		CreatedAt: p.CreatedAt,
	}
}
