//go:build !crudbench_onearm || crudbench_sqlc

package arms

import (
	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/sqlc"
	"github.com/jackc/pgx/v5/pgxpool"
)

func init() {
	register("sqlc", onPool(func(p *pgxpool.Pool) (crudbench.Store, error) { return sqlc.NewStore(p), nil }))
}
