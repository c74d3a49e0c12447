// Package rawsql implements crudbench.Store with hand-written SQL, twice:
// PGX runs it on a native pgx pool, SQL on database/sql over pgx's stdlib
// driver. Both send the same statements, defined once in this file.
//
// The statements are what a careful pgx user writes: RETURNING instead of a
// second query, = ANY($1) for sets of ids, INSERT … SELECT FROM unnest(…)
// for bulk create (ids come back in one round trip, which COPY cannot do),
// UPDATE … FROM unnest(…) for per-row bulk update, one JOIN for a user with
// its posts, and a transaction only where all-or-nothing needs one.
package rawsql

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

	sqlCreatePost = `INSERT INTO posts (user_id, title, body) VALUES ($1, $2, $3) RETURNING id, created_at`
	// One round trip: the user's columns repeat on each post row; a user
	// without posts gives one row with NULL post columns.
	sqlUserWithPosts = `SELECT u.id, u.name, u.email, u.age, u.created_at, u.updated_at,
	p.id, p.title, p.body, p.created_at
FROM users u LEFT JOIN posts p ON p.user_id = u.id
WHERE u.id = $1 ORDER BY p.id`
)
