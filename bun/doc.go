// Package bun is the bun arm of the benchmark: crudbench.Store on
// github.com/uptrace/bun with its PostgreSQL dialect (pgdialect). The
// models, User and Post, are in models.go; their tags describe schema.sql,
// which the harness applies (the arm creates no table).
//
// # Driver
//
// bun runs on the database/sql pool of dbconf.OpenDB, that is pgx's stdlib
// driver: the same driver, pool settings and statement tracer as the sql
// and ent arms, so that only the library differs, and its statements per
// request are counted by the same pgx tracer. bun's other option, its own
// driver pgdriver, would change the driver too. One setting differs, as
// bun's documentation of pgx sets it: the simple protocol
// (dbconf.SimpleProtocol, chosen by internal/arms), because bun binds no
// parameters (below).
//
// # What bun sends
//
// Each operation is bun's own query builder used the way its
// documentation shows: NewInsert().Model(&u).Returning("*");
// NewSelect().Model(&u).Where("id = ?", id); NewUpdate() of the patched
// columns only, with updated_at = now() and Returning("*"), one atomic
// statement; NewDelete(); a slice model for bulk create (one multi-row
// INSERT … RETURNING, scanned back into the slice in input order); for
// bulk update, a VALUES list as the CTE _data (NewValues) joined by
// UPDATE … FROM _data, each column COALESCE(_data.col, u.col) so that every
// row gets its own partial patch, inside RunInTx; and Relation("Posts"),
// which loads a has-many relation with a second SELECT (no transaction
// spans the two, as with ent's WithPosts).
//
// bun writes every value into the statement's text on the client (quoted
// and escaped by pgdialect: WHERE (id = 42), VALUES (DEFAULT, 'Ann', …))
// and hands database/sql a query with no arguments; bun v1.3 has no
// setting that binds parameters instead. Two things follow:
//
//   - No statement binds a parameter, so PostgreSQL's limit of 65,535 per
//     statement does not apply: a bulk create of any size is one INSERT
//     (ent splits at 13,107 users), at the price of a longer text to send
//     and parse.
//   - Nearly every text is new, which defeats statement caching. In the
//     other arms' default mode, cache_statement, pgx would prepare each
//     text it has not cached on the connection before running it: every
//     statement that returns rows would cost one more round trip and a
//     fresh parse and plan, and fill pgx's per-connection cache with
//     statements used once. The cache_describe and describe_exec modes
//     cost the same extra round trip; exec and simple_protocol send such a
//     text in one round trip, which is why the arm uses the simple
//     protocol whatever CRUDBENCH_QUERY_MODE says. Every statement is then
//     parsed and planned anew by PostgreSQL, which is the cost of bun's
//     design. TestStatementCache pins what each mode prepares.
//
// # Contract details
//
// A bulk update that changes emails first frees them with the statement
// of bulk.FreeEmails, said with bun's UpdateQuery (IN lists for its
// arrays), so that a swap of two emails succeeds and a missing id is
// reported before any conflict. UpdateQuery.Bulk builds the same CTE but
// sets every column from _data, writing NULL over the fields a patch
// leaves alone; it fits only batches that set every field.
//
// # Variants
//
// The arm has none: no other form of bun changes what these operations
// mean. Its single-row update is already one atomic statement (RETURNING);
// OmitZero, bun's shorthand for partial updates, cannot set a field to
// its zero value (age 0) and so breaks the contract; a has-many relation is
// always a second query (bun joins only has-one and belongs-to); and every
// form of bun writes values into the text.
package bun
