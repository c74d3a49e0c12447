//go:build !crudbench_onearm || crudbench_pgx

package arms

import (
	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/rawsql"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The pgx arm: linked unless the build links one other arm only.
func init() {
	register(map[string]any{
		"pgx": onPool(func(p *pgxpool.Pool) (crudbench.Store, error) { return rawsql.NewPGX(p), nil }),
	})
}
