// Package crudbench is the domain of the benchmark: users and their posts,
// their validation, the Store interface every data-access arm implements,
// and the error codes the HTTP layer maps to statuses.
//
// The arms live in their own packages (rawsql, ent); the HTTP API that
// serves all of them lives in httpapi.
package crudbench

import _ "embed"

// Schema is the SQL schema all arms run on, applied to every fresh database.
//
//go:embed schema.sql
var Schema string
