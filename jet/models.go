package jet

import (
	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/jet/jetgen/model"
)

func toUser(u *model.Users) *crudbench.User {
	return &crudbench.User{
		ID:        u.ID,
		Name:      u.Name,
		Email:     u.Email,
		Age:       int(u.Age),
		CreatedAt: u.CreatedAt,
		UpdatedAt: u.UpdatedAt,
	}
}

func toUsers(us []model.Users) []crudbench.User {
	out := make([]crudbench.User, len(us))
	for i := range us {
		out[i] = *toUser(&us[i])
	}
	return out
}

func toPost(p *model.Posts) crudbench.Post {
	return crudbench.Post{
		ID:        p.ID,
		UserID:    p.UserID,
		Title:     p.Title,
		Body:      p.Body,
		CreatedAt: p.CreatedAt,
	}
}
