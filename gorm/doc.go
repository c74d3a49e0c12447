// Package gorm is the gorm arm of the benchmark: crudbench.Store on
// gorm.io/gorm with its PostgreSQL dialector (gorm.io/driver/postgres)
// running on the database/sql pool of pgx's stdlib driver that the sql and
// ent arms use. The models (model.go) map the tables of schema.sql; the
// harness applies schema.sql, so there is no AutoMigrate.
//
// Store is configured as gorm's performance guide advises:
// SkipDefaultTransaction (a single write is one statement, not BEGIN,
// statement, COMMIT), PrepareStmt (gorm prepares each statement once with
// database/sql and caches the *sql.Stmt) and a silent logger. It uses
// gorm's own forms throughout: Create with RETURNING id, First,
// Model(…).Clauses(clause.Returning{}).Updates(map) for a patch (one
// UPDATE … RETURNING *), Create/CreateInBatches of a slice for bulk
// create, Find and Delete with a slice of ids (IN lists), and
// Preload("Posts") for the relation (two queries).
//
// PrepareStmt is turned on in gorm's session mode, for every statement
// but those of the store's own transactions (UpdateUsers, CreateUsers
// beyond one statement), which pgx prepares and caches per connection as
// it does for the sql arm. With PrepareStmt in gorm.Config, those
// transactions can stall the whole store under load (see open). Where
// gorm's cache is used, it costs what follows, measured by the package
// tests:
//
//   - The first run of a statement on a connection prepares it: one round
//     trip, which the pgx tracer reports apart from statements run
//     (dbconf.QueryCounter does not count it). With 16 connections a
//     statement is prepared up to 16 times, then never again.
//   - Its statements are prepared and run by name whatever the query
//     mode: under simple_protocol they still use the extended protocol,
//     where the other arms send text.
//   - A statement first prepared inside a transaction is cached as that
//     transaction's: database/sql deallocates it at COMMIT, and every later
//     transaction prepares it again (two more round trips each). gorm's
//     default transaction meets this on every write (gorm-tx below).
//
// Two variants measure gorm's other idiomatic forms:
//
//   - NewTxStore keeps gorm's default transaction: every create, update
//     and delete is BEGIN, statement, COMMIT, and with PrepareStmt the
//     statement is prepared and deallocated again in each transaction. It
//     gives up those round trips for nothing this API needs (each write is
//     one statement).
//   - SaveStore updates one row by read-modify-write, First then Save: two
//     statements, not atomic. Save writes every column, so it can undo a
//     concurrent writer's change to a field the patch does not set, and it
//     re-inserts a row deleted between the read and the write.
package gorm
