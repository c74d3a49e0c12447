package crudbench

import "time"

// Post is a row of the posts table; each belongs to one user.
type Post struct {
	ID        int64     `json:"id"`
	UserID    int64     `json:"user_id"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// PostCreate is the input of a new post.
type PostCreate struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// Validate reports the first field of p that breaks the data model.
func (p *PostCreate) Validate() error {
	if err := validateTitle(p.Title); err != nil {
		return err
	}
	return validateText("body", p.Body, 0, MaxBodyLen)
}
