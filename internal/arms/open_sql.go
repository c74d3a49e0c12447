//go:build !crudbench_onearm || crudbench_sql

package arms

import (
	"database/sql"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/rawsql"
)

func init() {
	register("sql", onDB(func(db *sql.DB) (crudbench.Store, error) { return rawsql.NewSQL(db), nil }))
}
