//go:build !crudbench_onearm || crudbench_sqlx

package arms

import (
	"database/sql"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/sqlx"
)

func init() {
	register("sqlx", onDB(func(db *sql.DB) (crudbench.Store, error) { return sqlx.NewStore(db), nil }))
	register("sqlx-named", onDB(func(db *sql.DB) (crudbench.Store, error) { return sqlx.NewNamedStore(db), nil }))
}
