package rawsql

import (
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// scanner is what pgx.Row, pgx.Rows, *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// rows is what pgx.Rows and *sql.Rows have in common: the results of a
// query, read once by the loops below for both arms. Closing is left to the
// caller (the two Close methods differ).
type rows interface {
	scanner
	Next() bool
	Err() error
}

// scanUsers reads the users of r; hint is how many there are likely to be.
func scanUsers(r rows, hint int) ([]crudbench.User, error) {
	users := make([]crudbench.User, 0, hint)
	for r.Next() {
		users = append(users, crudbench.User{})
		if err := scanUser(r, &users[len(users)-1]); err != nil {
			return nil, err
		}
	}
	return users, r.Err()
}

// scanUserWithPosts reads the rows of sqlUserWithPosts into the user id and
// its posts, or reports ENOTFOUND when there is no row.
func scanUserWithPosts(r rows, id int64) (*crudbench.User, error) {
	var (
		u     crudbench.User
		p     postRow
		found bool
	)
	u.Posts = []crudbench.Post{}
	for r.Next() {
		if err := scanUserPost(r, &u, &p); err != nil {
			return nil, err
		}
		found = true
		appendPost(&u, &p)
	}
	if err := r.Err(); err != nil {
		return nil, err
	} else if !found {
		return nil, pgerr.NotFound(id)
	}
	return &u, nil
}

func scanUser(s scanner, u *crudbench.User) error {
	return s.Scan(&u.ID, &u.Name, &u.Email, &u.Age, &u.CreatedAt, &u.UpdatedAt)
}

// postRow holds the nullable post columns of sqlUserWithPosts.
type postRow struct {
	id        *int64
	title     *string
	body      *string
	createdAt *time.Time
}

func scanUserPost(s scanner, u *crudbench.User, p *postRow) error {
	return s.Scan(&u.ID, &u.Name, &u.Email, &u.Age, &u.CreatedAt, &u.UpdatedAt, &p.id, &p.title, &p.body, &p.createdAt)
}

// appendPost adds the post of a joined row, if the row has one.
func appendPost(u *crudbench.User, p *postRow) {
	if p.id != nil {
		u.Posts = append(u.Posts, crudbench.Post{ID: *p.id, UserID: u.ID, Title: *p.title, Body: *p.body, CreatedAt: *p.createdAt})
	}
}

// fail is pgerr.Wrap for this package: what the arms report for err, met
// while doing what format and args describe.
func fail(err error, format string, args ...any) error {
	return pgerr.Wrap(err, "rawsql: "+format, args...)
}
