package sqlc

// sqlc runs at its pinned version from the module proxy rather than as a
// tool of go.mod: a tool directive would pull its whole dependency graph
// (parsers for three SQL dialects, gRPC, wazero) into this module's
// requirements and raise shared ones, gonum among them.
//
//go:generate go run github.com/sqlc-dev/sqlc/cmd/sqlc@v1.31.1 generate
