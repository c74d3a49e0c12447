//go:build !crudbench_onearm || crudbench_sql

package arms

import (
	"database/sql"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/rawsql"
)

// The sql arm: linked unless the build links one other arm only.
func init() {
	register(map[string]any{
		"sql": onDB(func(db *sql.DB) (crudbench.Store, error) { return rawsql.NewSQL(db), nil }),
	})
}
