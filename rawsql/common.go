package rawsql

import (
	"fmt"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/pgerr"
)

// scanner is what pgx.Row, pgx.Rows, *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
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

// createColumns splits a bulk create into the arrays of sqlCreateUsers.
func createColumns(in []crudbench.UserCreate) (names, emails []string, ages []int32) {
	names, emails, ages = make([]string, len(in)), make([]string, len(in)), make([]int32, len(in))
	for i := range in {
		names[i], emails[i], ages[i] = in[i].Name, in[i].Email, int32(in[i].Age)
	}
	return names, emails, ages
}

// updateColumns splits a bulk update into the arrays of sqlUpdateUsers;
// fields a patch leaves alone are NULL.
func updateColumns(in []crudbench.UserUpdate) (ids []int64, names, emails []*string, ages []*int32) {
	ids, names, emails, ages = make([]int64, len(in)), make([]*string, len(in)), make([]*string, len(in)), make([]*int32, len(in))
	for i := range in {
		ids[i], names[i], emails[i] = in[i].ID, in[i].Name, in[i].Email
		if in[i].Age != nil {
			a := int32(*in[i].Age)
			ages[i] = &a
		}
	}
	return ids, names, emails, ages
}

// age32 converts an optional age to the int4 parameter it binds to.
func age32(p *int) *int32 {
	if p == nil {
		return nil
	}
	a := int32(*p)
	return &a
}

// inInputOrder orders updated rows like the request and reports the first
// id of the request that no row matched.
func inInputOrder(in []crudbench.UserUpdate, got []crudbench.User) ([]crudbench.User, error) {
	byID := make(map[int64]int, len(got))
	for i := range got {
		byID[got[i].ID] = i
	}
	out := make([]crudbench.User, len(in))
	for i := range in {
		j, ok := byID[in[i].ID]
		if !ok {
			return nil, pgerr.NotFound(in[i].ID)
		}
		out[i] = got[j]
	}
	return out, nil
}

// fail translates err and, when it is not a client or outage error, wraps
// it with what was being done.
func fail(err error, format string, args ...any) error {
	err = pgerr.Translate(err)
	if crudbench.ErrorCode(err) != crudbench.EINTERNAL {
		return err
	}
	return fmt.Errorf("rawsql: "+format+": %w", append(args, err)...)
}
