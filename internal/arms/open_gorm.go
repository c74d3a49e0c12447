//go:build !crudbench_onearm || crudbench_gorm

package arms

import (
	"database/sql"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/gorm"
)

func init() {
	register("gorm", onDB(func(db *sql.DB) (crudbench.Store, error) { return gorm.NewStore(db) }))
	register("gorm-tx", onDB(func(db *sql.DB) (crudbench.Store, error) { return gorm.NewTxStore(db) }))
	register("gorm-save", onDB(func(db *sql.DB) (crudbench.Store, error) { return gorm.NewSaveStore(db) }))
}
