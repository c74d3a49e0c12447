//go:build !crudbench_onearm || crudbench_gorm

package arms

import (
	"database/sql"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/gorm"
)

// The gorm arms and variants: linked unless the build links one other arm only.
func init() {
	register(map[string]any{
		"gorm":      onDB(func(db *sql.DB) (crudbench.Store, error) { return gorm.NewStore(db) }),
		"gorm-tx":   onDB(func(db *sql.DB) (crudbench.Store, error) { return gorm.NewTxStore(db) }),
		"gorm-save": onDB(func(db *sql.DB) (crudbench.Store, error) { return gorm.NewSaveStore(db) }),
	})
}
