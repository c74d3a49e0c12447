//go:build !crudbench_onearm || crudbench_bun

package arms

import (
	"database/sql"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/bun"
)

// The bun arm: linked unless the build links one other arm only.
func init() {
	register(map[string]any{
		"bun": onDB(func(db *sql.DB) (crudbench.Store, error) { return bun.NewStore(db), nil }),
	})
}
