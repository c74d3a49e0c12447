//go:build !crudbench_onearm || crudbench_bun

package arms

import (
	"database/sql"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/bun"
	"github.com/crudbench/crudbench/internal/dbconf"
)

func init() {
	// bun writes values into the SQL text; its documentation sets pgx to
	// the simple protocol (see package bun).
	register("bun", onDB(func(db *sql.DB) (crudbench.Store, error) { return bun.NewStore(db), nil }), dbconf.SimpleProtocol)
}
