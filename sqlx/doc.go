// Package sqlx is the sqlx arm of the benchmark: crudbench.Store on
// github.com/jmoiron/sqlx, database/sql with struct scanning, over the
// database/sql pool of pgx's stdlib driver that dbconf.OpenDB opens for
// the sql, ent, gorm and bun arms (sqlx.NewDb with the "pgx" driver name,
// so $n bind variables).
//
// The store is written the way sqlx's users write it for PostgreSQL: the
// SQL by hand, positional ($n) parameters, GetContext for one row and
// SelectContext for many, scanned by column name into structs with db
// tags (so SELECT * and RETURNING * are safe: a column the struct lacks is
// an error, not a silent skip), ExecContext and RowsAffected for deletes,
// and BeginTxx for the one transaction. The statements are those of the
// raw arms: RETURNING rather than a second query, = ANY($1) with a Go
// slice for sets of ids (pgx binds it as one array, so the text does not
// grow with the set, as sqlx.In's expanded IN lists would), INSERT …
// SELECT FROM unnest(…) for bulk create and UPDATE … FROM unnest(…) for
// bulk update (one statement whatever the batch's size), and one LEFT
// JOIN for a user with its posts, selected into a struct that embeds the
// user's row beside the post's nullable columns. Every row one call writes
// gets its timestamps from PostgreSQL's now() in that one statement.
//
// # Variant: sqlx-named
//
// NamedStore sends the single-row writes as sqlx's named queries
// (NamedQueryContext, NamedExecContext), binding :name parameters from the
// fields of the domain types. PostgreSQL receives the same statements; what
// differs is on the client. On every call sqlx parses the query text to
// find the names and rewrite them as $n (ad-hoc named queries cache
// nothing) and walks the argument by reflection to collect the values. It
// has no named form of Get, so a row is read through Rows and StructScan.
// And a named query cannot hold PostgreSQL's :: cast as written (sqlx reads
// :: as an escaped colon), which is why the bulk statements, full of casts,
// stay positional in both forms. The variant gives up that CPU and that
// freedom for binding by name.
package sqlx
