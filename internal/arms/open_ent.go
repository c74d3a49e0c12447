//go:build !crudbench_onearm || crudbench_ent

package arms

import (
	"database/sql"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/ent"
)

// The ent arms and variants: linked unless the build links one other arm only.
func init() {
	register(map[string]any{
		"ent":      onDB(func(db *sql.DB) (crudbench.Store, error) { return ent.NewStore(db), nil }),
		"ent-lean": onDB(func(db *sql.DB) (crudbench.Store, error) { return ent.NewLeanStore(db), nil }),
	})
}
