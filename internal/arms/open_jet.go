//go:build !crudbench_onearm || crudbench_jet

package arms

import (
	"database/sql"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/jet"
)

func init() {
	register("jet", onDB(func(db *sql.DB) (crudbench.Store, error) { return jet.NewStore(db), nil }))
}
