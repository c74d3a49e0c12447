//go:build !crudbench_onearm || crudbench_bob

package arms

import (
	"database/sql"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/bob"
)

func init() {
	register("bob", onDB(func(db *sql.DB) (crudbench.Store, error) { return bob.NewStore(db), nil }))
	register("bob-builder", onDB(func(db *sql.DB) (crudbench.Store, error) { return bob.NewBuilderStore(db), nil }))
}
