package gorm

import (
	"time"

	"github.com/crudbench/crudbench"
)

// User is the gorm model of the users table of schema.sql. gorm fills
// CreatedAt and UpdatedAt itself (from Config.NowFunc) on create, and
// UpdatedAt on every update.
type User struct {
	ID        int64     `gorm:"column:id;primaryKey"`
	Name      string    `gorm:"column:name;not null"`
	Email     string    `gorm:"column:email;not null;uniqueIndex:users_email_key"`
	Age       int32     `gorm:"column:age;not null"`
	CreatedAt time.Time `gorm:"column:created_at;not null"`
	UpdatedAt time.Time `gorm:"column:updated_at;not null"`

	// Posts are the user's posts, loaded only by Preload.
	Posts []Post `gorm:"foreignKey:UserID;constraint:OnDelete:CASCADE"`
}

// TableName is the table of User.
func (User) TableName() string { return "users" }

// Post is the gorm model of the posts table of schema.sql.
type Post struct {
	ID        int64     `gorm:"column:id;primaryKey"`
	Title     string    `gorm:"column:title;not null"`
	Body      string    `gorm:"column:body;not null"`
	CreatedAt time.Time `gorm:"column:created_at;not null"`
	UserID    int64     `gorm:"column:user_id;not null;index:post_user_id"`
}

// TableName is the table of Post.
func (Post) TableName() string { return "posts" }

func (u *User) domain() crudbench.User {
	return crudbench.User{
		ID:        u.ID,
		Name:      u.Name,
		Email:     u.Email,
		Age:       int(u.Age),
		CreatedAt: u.CreatedAt,
		UpdatedAt: u.UpdatedAt,
	}
}

func domainUsers(us []User) []crudbench.User {
	out := make([]crudbench.User, len(us))
	for i := range us {
		out[i] = us[i].domain()
	}
	return out
}

func (p *Post) domain() crudbench.Post {
	return crudbench.Post{
		ID:        p.ID,
		UserID:    p.UserID,
		Title:     p.Title,
		Body:      p.Body,
		CreatedAt: p.CreatedAt,
	}
}
