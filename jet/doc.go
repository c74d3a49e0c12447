// Package jet is the jet arm of the benchmark: crudbench.Store on
// github.com/go-jet/jet/v2, a type-safe SQL builder whose table and model
// types are generated from the database. jetgen/table (the builder's
// tables and columns) and jetgen/model (the structs rows scan into) are
// jet's generator's output for schema.sql: `go generate` runs
// internal/gen, which starts PostgreSQL the way the tests do
// (internal/gendb), applies the schema and calls jet's generator
// (generator/postgres.GenerateDB) on it. The code is committed and the
// drift check of CI regenerates it.
//
// # Driver
//
// jet builds the statement and its arguments and hands them to
// database/sql; its qrm package scans the rows into the generated models.
// The arm runs on the database/sql pool of dbconf.OpenDB, pgx's stdlib
// driver, like the sql, ent and bun arms, with no setting of its own: jet
// binds every value as a parameter ($1::bigint for a typed literal), so
// its texts are stable, pgx's statement cache serves them, and both query
// modes work.
//
// # What jet sends
//
// Each operation is one statement written with the builder, the way jet's
// documentation writes them: INSERT … VALUES … RETURNING
// users.AllColumns; SELECT … WHERE users.id = $1; an UPDATE of the
// patched columns and updated_at = NOW(), RETURNING the row, atomic;
// DELETE with RowsAffected; a multi-row INSERT for a bulk create (split at
// PostgreSQL's 65,535 bind parameters, inside one transaction); IN lists
// for bulk reads and deletes. A bulk update is BEGIN, [free emails,]
// UPDATE users … FROM (VALUES …) AS v, COMMIT, each column
// COALESCE(v.col, users.col) so every row gets its own partial patch; the
// statement that frees emails is bulk.FreeEmails said with jet's CASE.
//
// A user with its posts is one statement: SELECT users.*, posts.* FROM
// users LEFT JOIN posts … ORDER BY posts.id, which qrm folds into a struct
// of model.Users and []model.Posts, grouping rows by the primary keys the
// generated models mark. That is jet's way with relations; it has no
// second-query loader.
//
// Every statement's text depends only on the shape of the call (which
// fields a patch sets, how many ids or rows): a bulk update's VALUES rows
// say NULL::text for a field a patch leaves alone, so batches of differing
// patch shapes send differing texts.
//
// # Variants
//
// None: jet has one way to run a statement (database/sql through qrm);
// its statement cache (stmtcache) only prepares through database/sql what
// pgx's cache already keeps prepared per connection.
package jet
