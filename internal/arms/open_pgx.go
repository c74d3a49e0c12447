//go:build !crudbench_onearm || crudbench_pgx

package arms

import (
	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/rawsql"
	"github.com/jackc/pgx/v5/pgxpool"
)

func init() {
	register("pgx", onPool(func(p *pgxpool.Pool) (crudbench.Store, error) { return rawsql.NewPGX(p), nil }))
}
