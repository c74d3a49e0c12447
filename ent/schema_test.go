package ent_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/crudbench/crudbench/ent/entgen/migrate"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
)

// drift returns the statements ent's migration engine (Atlas, in ent's
// default "inspect" mode) would run to turn the database behind client into
// ent's schema: columns, types, nullability, defaults, identity, primary
// keys, indexes (names included) and foreign keys (names and actions). Drops
// are enabled, so what schema.sql has beyond ent's schema counts as drift
// too. It also lists tables that the database has and ent does not know.
// An error means ent could not even plan the change (it refuses some, such
// as turning a plain column into an identity one): drift as well.
func drift(t *testing.T, dsn string) ([]string, error) {
	t.Helper()
	ctx := context.Background()
	var buf bytes.Buffer
	// WriteTo inspects the database, plans the migration and writes its
	// statements (between BEGIN; and COMMIT;) to buf instead of running them;
	// it writes nothing when the plan is empty.
	err := openClient(t, dsn).Schema.WriteTo(ctx, &buf,
		migrate.WithDropColumn(true),
		migrate.WithDropIndex(true),
	)
	if err != nil {
		return nil, fmt.Errorf("planning ent's migration: %w", err)
	}
	var stmts []string
	for line := range strings.Lines(buf.String()) {
		line = strings.TrimSpace(line)
		if line != "" && line != "BEGIN;" && line != "COMMIT;" {
			stmts = append(stmts, line)
		}
	}
	stmts = append(stmts, unknownTables(t, dsn)...)
	return stmts, nil
}

// unknownTables returns a DROP TABLE for each table of the public schema
// that ent's schema does not describe (ent's planner only looks at its own).
func unknownTables(t *testing.T, dsn string) []string {
	t.Helper()
	known := make([]string, len(migrate.Tables))
	for i, tbl := range migrate.Tables {
		known[i] = tbl.Name
	}
	db, err := dbconf.OpenDB(dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(context.Background(),
		"SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
	if err != nil {
		t.Fatalf("listing tables: %v", err)
	}
	defer rows.Close()
	var extra []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(known, name) {
			extra = append(extra, "-- not in ent's schema: DROP TABLE "+name+";")
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return extra
}

// TestSchemaDrift fails when schema.sql and ent's schema (ent/schema)
// describe different databases: it applies schema.sql to a fresh database
// and asks ent's migration engine what it would change; the answer must be
// nothing.
func TestSchemaDrift(t *testing.T) {
	stmts, err := drift(t, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatalf("schema.sql and ent/schema disagree: %v", err)
	}
	if len(stmts) > 0 {
		t.Fatalf("schema.sql and ent/schema disagree; ent's migration would run:\n\t%s\n"+
			"Change ent/schema (then go generate ./ent) or schema.sql until this list is empty.",
			strings.Join(stmts, "\n\t"))
	}
}

// TestSchemaDriftDetects checks that drift is not blind: each change to a
// database made from schema.sql must show up as a planned statement.
func TestSchemaDriftDetects(t *testing.T) {
	changes := []struct{ name, stmt string }{
		{"column type", "ALTER TABLE users ALTER COLUMN email TYPE varchar(254)"},
		{"integer width", "ALTER TABLE users ALTER COLUMN age TYPE bigint"},
		{"timestamp zone", "ALTER TABLE posts ALTER COLUMN created_at TYPE timestamp"},
		{"nullability", "ALTER TABLE posts ALTER COLUMN body DROP NOT NULL"},
		{"literal default", "ALTER TABLE users ALTER COLUMN age DROP DEFAULT"},
		{"expr default", "ALTER TABLE users ALTER COLUMN updated_at DROP DEFAULT"},
		{"identity", "ALTER TABLE users ALTER COLUMN id DROP IDENTITY"},
		{"missing index", "DROP INDEX post_user_id"},
		{"index name", "ALTER INDEX users_email_key RENAME TO users_email_idx"},
		{"extra index", "CREATE INDEX users_name ON users (name)"},
		{"extra column", "ALTER TABLE posts ADD COLUMN extra integer"},
		{"missing column", "ALTER TABLE posts DROP COLUMN body"},
		{"extra table", "CREATE TABLE tags (id bigint PRIMARY KEY)"},
		{"foreign key rule", "ALTER TABLE posts DROP CONSTRAINT posts_users_posts, ADD CONSTRAINT posts_users_posts FOREIGN KEY (user_id) REFERENCES users (id)"},
		{"foreign key name", "ALTER TABLE posts RENAME CONSTRAINT posts_users_posts TO posts_user_id_fkey"},
	}
	for _, c := range changes {
		stmt := c.stmt
		// Not parallel: ent's migration writes to the package-level
		// migrate.Tables (Atlas.setupTables), a data race between two runs.
		t.Run(c.name, func(t *testing.T) {
			dsn := pgtest.NewDatabase(t)
			if err := pgtest.Exec(context.Background(), dsn, stmt); err != nil {
				t.Fatal(err)
			}
			switch stmts, err := drift(t, dsn); {
			case err != nil:
				t.Logf("after %q: %v", stmt, err)
			case len(stmts) == 0:
				t.Fatalf("after %q ent's migration plans nothing: the drift test would miss this", stmt)
			default:
				t.Logf("after %q: %s", stmt, strings.Join(stmts, " "))
			}
		})
	}
}
