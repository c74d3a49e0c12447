//go:build !crudbench_onearm || crudbench_ent

package arms

import (
	"database/sql"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/ent"
)

func init() {
	register("ent", onDB(func(db *sql.DB) (crudbench.Store, error) { return ent.NewStore(db), nil }))
	register("ent-lean", onDB(func(db *sql.DB) (crudbench.Store, error) { return ent.NewLeanStore(db), nil }))
}
