// Package sqlc is the sqlc arm of the benchmark: crudbench.Store on the
// code that github.com/sqlc-dev/sqlc generates from queries.sql and the one
// schema (../schema.sql), for pgx/v5, in sqlc/sqlcgen (go generate
// ./sqlc). This package holds only the hand-written adapter.
//
// sqlc's users write the SQL; sqlc checks it against the schema and
// generates the parameter and row types and the code that binds and scans
// them. So the statements resemble rawsql's: RETURNING * on every write
// that answers with the row, = ANY(@ids::bigint[]) for sets of ids,
// sqlc.narg with COALESCE for a patch, :execrows for deletes, arrays
// unnested for bulk create and bulk update (one statement whatever the
// batch's size), and the queries bound to a transaction with WithTx where
// all-or-nothing needs one. The generated code runs on a pgx pool, whose
// default mode prepares and caches each statement: sqlc's pgx output has
// no prepared-statement option of its own.
//
// Where sqlc shapes the statements: it knows unnest of one array only, so
// bulk statements unnest their arrays side by side in a select list; it
// types array elements as NOT NULL, so the fields a bulk patch leaves
// alone travel as boolean flags rather than NULL elements; its :copyfrom
// cannot return rows, so bulk create is INSERT … SELECT … RETURNING, not
// COPY (the ids must come back in input order); and sqlc.embed scans a
// LEFT JOIN's right side into non-null fields, which a user without posts
// fills with NULLs (sqlc issues 2348, 3240), so a user with its posts is
// one LEFT JOIN with the post columns listed: sqlc types the right side of
// a plain LEFT JOIN as nullable (pointers here), and the adapter folds the
// rows into the user and its posts, as the pgx arm does.
//
// There are no variants: sqlc has one form of each operation here. A query
// per table (GetUser, then the posts by user_id) is what sqlc users write
// when they want embedded structs; it costs a second round trip and reads
// the two tables outside one snapshot, for no gain in this contract.
package sqlc
