// Package seed fills crudbench databases: the small named fixtures the tests
// start from, and the large generated data set the benchmarks run on, with
// the restore that puts a benchmark database back in its seeded state.
package seed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
)

// person is a user of the named fixtures.
type person struct {
	name, email string
	age         int
}

// people are the named users, in id order.
var people = []person{
	{"Ada", "ada@example.com", 36}, {"Bob", "bob@example.com", 41}, {"Cy", "cy@example.com", 0},
	{"Di", "di@example.com", 5}, {"Ed", "ed@example.com", 6}, {"Flo", "flo@example.com", 7},
	{"Gus", "gus@example.com", 8}, {"Hal", "hal@example.com", 9}, {"Ivy", "ivy@example.com", 10},
}

// usersSQL inserts the first n named users, ids 1 to n.
func usersSQL(n int) string {
	rows := make([]string, n)
	for i, p := range people[:n] {
		rows[i] = fmt.Sprintf("('%s', '%s', %d)", p.name, p.email, p.age)
	}
	return "INSERT INTO users (name, email, age) VALUES " + strings.Join(rows, ", ")
}

// Trio is three users (Ada, Bob, Cy: ids 1–3), two posts of Ada's and one of
// Bob's: the state every conformance case starts from.
var Trio = usersSQL(3) + `;
INSERT INTO posts (user_id, title, body) VALUES
	(1, 'First', 'Hello'), (1, 'Second', 'World'), (2, 'Bob''s', 'x');`

// Nine is nine users (Ada … Ivy: ids 1–9) and no posts.
var Nine = usersSQL(len(people))

// Numbered inserts n users, ids 1 to n, named prefix 1 … prefix n, with
// emails mail0@example.com … and ages 0 … n-1 (mod 150).
func Numbered(prefix, mail string, n int) string {
	rows := make([]string, n)
	for i := range rows {
		rows[i] = fmt.Sprintf("('%s %d', '%s%d@example.com', %d)", prefix, i+1, mail, i, i%150)
	}
	return "INSERT INTO users (name, email, age) VALUES " + strings.Join(rows, ", ")
}

// EnvRows sets the number of users the benchmark data set holds.
const EnvRows = "CRUDBENCH_ROWS"

// DefaultRows is the number of users when EnvRows is not set.
const DefaultRows = 10_000

// RelationUsers is how many users have posts: ids 1..RelationUsers have 10
// posts each, the next RelationUsers have 100 each.
const RelationUsers = 100

// Rows returns the number of users of the benchmark data set: EnvRows, or
// DefaultRows when it is not set.
func Rows() (int, error) {
	v := os.Getenv(EnvRows)
	if v == "" {
		return DefaultRows, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 2*RelationUsers {
		return 0, fmt.Errorf("seed: %s=%q: want an integer of at least %d", EnvRows, v, 2*RelationUsers)
	}
	return n, nil
}

// Large returns the statements that fill an empty database with rows users
// whose values follow from their id (user id is named "user id", has email
// "userid@example.com" and age id mod 100, so Restore can recompute them)
// and the posts of the relation users. Autovacuum is off on both tables:
// Restore vacuums them explicitly, so background work does not land inside
// a measurement.
func Large(rows int) []string {
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

// Restore puts a database filled by Large(rows) back in its seeded state:
// users beyond the seed deleted, the id sequence rewound, the touched users
// given their seed values again (seeding set updated_at = created_at), dead
// rows vacuumed. The rows are the same; their physical placement may differ.
func Restore(ctx context.Context, pool *pgxpool.Pool, rows int, touched []int64) error {
	stmts := []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM users WHERE id > $1`, []any{rows}},
		{`SELECT setval(pg_get_serial_sequence('users', 'id'), $1)`, []any{rows}},
		{`UPDATE users SET name = 'user ' || id, email = 'user' || id || '@example.com', age = id % 100, updated_at = created_at WHERE id = ANY($1)`, []any{touched}},
		{`VACUUM users`, nil},
	}
	for _, s := range stmts {
		if _, err := pool.Exec(ctx, s.sql, s.args...); err != nil {
			return fmt.Errorf("seed: restoring seeded state: %s: %w", s.sql, err)
		}
	}
	return nil
}

// Extra inserts n users beyond a Large(rows) seed, for deletes to consume,
// and returns their ids shuffled by a generator seeded with shuffle.
func Extra(ctx context.Context, pool *pgxpool.Pool, rows, n int, shuffle uint64) ([]int64, error) {
	_, err := pool.Exec(ctx, `INSERT INTO users (name, email, age)
		SELECT 'extra ' || g, 'extra' || g || '@example.com', g % 100 FROM generate_series(1, $1) g`, n)
	if err != nil {
		return nil, fmt.Errorf("seed: inserting %d extra users: %w", n, err)
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(rows + 1 + i)
	}
	rand.New(rand.NewPCG(shuffle, 1)).Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out, nil
}
