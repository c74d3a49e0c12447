package rawsql

import (
	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/bulk"
)

// userCols are the columns of a user, in the order scanUser reads them.
const userCols = `id, name, email, age, created_at, updated_at`

const (
	sqlCreateUser = `INSERT INTO users (name, email, age) VALUES ($1, $2, $3) RETURNING ` + userCols
	sqlUser       = `SELECT ` + userCols + ` FROM users WHERE id = $1`
	sqlUpdateUser = `UPDATE users SET name = COALESCE($2, name), email = COALESCE($3, email),
	age = COALESCE($4, age), updated_at = now() WHERE id = $1 RETURNING ` + userCols
	sqlDeleteUser = `DELETE FROM users WHERE id = $1`
	sqlListUsers  = `SELECT ` + userCols + ` FROM users WHERE id > $1 ORDER BY id LIMIT $2`

	// Rows are numbered so that ids are drawn in input order; the result is
	// put back in input order by ordinality.
	sqlCreateUsers = `WITH ins AS (
	INSERT INTO users (name, email, age)
	SELECT name, email, age FROM unnest($1::text[], $2::text[], $3::int[]) WITH ORDINALITY AS v(name, email, age, ord)
	ORDER BY ord
	RETURNING ` + userCols + `)
SELECT ` + userCols + ` FROM ins ORDER BY id`
	sqlUsersByID   = `SELECT ` + userCols + ` FROM users WHERE id = ANY($1) ORDER BY id`
	sqlUpdateUsers = `UPDATE users u SET name = COALESCE(v.name, u.name), email = COALESCE(v.email, u.email),
	age = COALESCE(v.age, u.age), updated_at = now()
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[]) AS v(id, name, email, age)
WHERE u.id = v.id
RETURNING u.id, u.name, u.email, u.age, u.created_at, u.updated_at`
	sqlDeleteUsers = `DELETE FROM users WHERE id = ANY($1)`
	sqlFreeEmails  = bulk.FreeEmails // shared with ent, which sends it raw

	sqlCreatePost = `INSERT INTO posts (user_id, title, body) VALUES ($1, $2, $3) RETURNING id, created_at`
	// One round trip: the user's columns repeat on each post row; a user
	// without posts gives one row with NULL post columns.
	sqlUserWithPosts = `SELECT u.id, u.name, u.email, u.age, u.created_at, u.updated_at,
	p.id, p.title, p.body, p.created_at
FROM users u LEFT JOIN posts p ON p.user_id = u.id
WHERE u.id = $1 ORDER BY p.id`
)

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
