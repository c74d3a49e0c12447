// Package seed holds the SQL that fills a fresh crudbench database with its
// seeded rows, shared by everything that needs a seeded database outside the
// test binaries.
package seed

import "fmt"

// RelationUsers is how many users get posts: ids 1..RelationUsers have 10
// posts each, the next RelationUsers have 100 each.
const RelationUsers = 100

// SQL returns the statements that fill a database holding the schema with
// rows users, whose values follow from their id (user N is named "user N",
// has email userN@example.com and age N % 100), and the posts of the
// relation users. Autovacuum is turned off on both tables so that background
// work does not land inside a measurement; the tables are vacuumed and
// analyzed once at the end.
func SQL(rows int) []string {
	return []string{
		fmt.Sprintf(`INSERT INTO users (name, email, age) SELECT 'user ' || g, 'user' || g || '@example.com', g %% 100 FROM generate_series(1, %d) g`, rows),
		fmt.Sprintf(`INSERT INTO posts (user_id, title, body) SELECT u, 'post ' || p, repeat('lorem ipsum ', 20) FROM generate_series(1, %d) u, generate_series(1, 10) p ORDER BY u, p`, RelationUsers),
		fmt.Sprintf(`INSERT INTO posts (user_id, title, body) SELECT u, 'post ' || p, repeat('lorem ipsum ', 20) FROM generate_series(%d, %d) u, generate_series(1, 100) p ORDER BY u, p`, RelationUsers+1, 2*RelationUsers),
		`ALTER TABLE users SET (autovacuum_enabled = off)`,
		`ALTER TABLE posts SET (autovacuum_enabled = off)`,
		`VACUUM ANALYZE users`,
		`VACUUM ANALYZE posts`,
	}
}
