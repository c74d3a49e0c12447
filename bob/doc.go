// Package bob is the bob arm of the benchmark: crudbench.Store on
// github.com/stephenafamo/bob, a query builder with models generated from
// the database (bob/bobgen). bobgen is the output of bob's generator for
// PostgreSQL, bobgen-psql, on schema.sql: `go generate` runs internal/gen,
// which starts PostgreSQL the way the tests do (internal/gendb), applies
// the schema and runs bobgen-psql at its pinned version with bobgen.yaml
// (models, where-helpers, loaders and joins, dberrors and dbinfo; no
// factories, no enums, no generated tests). The code is committed and the
// drift check of CI regenerates it. bobgen-psql is the generator bob's
// documentation leads with; bobgen-sql, which reads schema files, loads
// them into a Docker container of its own image (pgvector/pgvector) that
// it pulls and starts, and then runs the same reader: it would need Docker
// and a registry, where gen runs on whatever CRUDBENCH_POSTGRES provides.
//
// # Driver
//
// bob runs on database/sql (bob.NewDB); the arm uses the pool of
// dbconf.OpenDB, pgx's stdlib driver, like the sql, ent, bun and jet
// arms, with no setting of its own, and bobgen.yaml names that driver.
// bob binds every value as a parameter ($1 …; LIMIT is written as a
// literal), so pgx's statement cache serves its texts and both query
// modes work.
//
// # What bob sends
//
// The models, used as bob's documentation shows: Users.Insert(setter)
// .One, INSERT … VALUES (DEFAULT, $1, $2, $3, DEFAULT, DEFAULT) RETURNING
// the row; FindUser; Users.Update(setter.UpdateMod(), updated_at = now(),
// UpdateWhere.Users.ID.EQ(id)).One, one atomic UPDATE … RETURNING (the
// model's own Update method would need the row read first);
// Users.Delete(…).Exec; Users.Query with SelectWhere, OrderBy and Limit;
// a multi-row Insert of the setters for a bulk create (split at
// PostgreSQL's 65,535 bind parameters, inside one transaction); In lists
// for bulk reads and deletes. bob's table Delete adds RETURNING of every
// column even when run with Exec: the deleted rows travel back and are
// dropped.
//
// Two operations cost more statements than a hand-written query:
//
//   - A user with posts is the user's query with SelectThenLoad.User.Posts:
//     a SELECT of the user, then one of its posts by user_id, with no
//     transaction spanning the two, as bun's and ent's loaders do. (bob's
//     Preload joins only to-one relations.)
//   - A bulk update is one UPDATE … RETURNING per row inside a transaction,
//     n+2 statements: the models' UserSlice.UpdateAll sets the same values
//     on every row, so per-row patches are per-row updates, as in the ent
//     and gorm arms.
//
// A bulk update that changes emails first frees them with bulk.FreeEmails'
// statement, written with bob's UPDATE builder, which also finds missing
// ids before any email can conflict.
//
// # Variant
//
// bob-builder (BuilderStore) writes those two operations with bob's query
// builder instead of the models: one SELECT … LEFT JOIN, folded into the
// user and its posts by the store, and one UPDATE … FROM unnest of array
// parameters, each column COALESCE(v.col, users.col): BEGIN, [free
// emails,] UPDATE, COMMIT whatever the batch's size. It gives up the
// models' typed setters, loaders and hooks there (columns are named by
// strings, the join's rows are scanned into a flat struct); every other
// operation is the models', since the builder would send the same
// statements.
package bob
