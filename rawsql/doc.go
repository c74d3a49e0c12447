// Package rawsql implements crudbench.Store with hand-written SQL, twice:
// PGX runs it on a native pgx pool, SQL on database/sql over pgx's stdlib
// driver. Both send the same statements, defined once in statements.go.
//
// The statements are what a careful pgx user writes: RETURNING instead of a
// second query, = ANY($1) for sets of ids, INSERT … SELECT FROM unnest(…)
// for bulk create (ids come back in one round trip, which COPY cannot do),
// UPDATE … FROM unnest(…) for per-row bulk update, one JOIN for a user with
// its posts, and a transaction only where all-or-nothing needs one.
package rawsql
