//go:build !crudbench_onearm || crudbench_sqlc

package arms

import (
	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/sqlc"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The sqlc arm: linked unless the build links one other arm only.
func init() {
	register(map[string]any{
		"sqlc": onPool(func(p *pgxpool.Pool) (crudbench.Store, error) { return sqlc.NewStore(p), nil }),
	})
}
