package rawsql

import (
	"context"

	"github.com/crudbench/crudbench"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// PGX is the pgx arm: crudbench.Store on a native pgx pool.
type PGX struct {
	store
}

var _ crudbench.Store = (*PGX)(nil)

// NewPGX returns a store on pool.
func NewPGX(pool *pgxpool.Pool) *PGX {
	return &PGX{store{conn: pgxConn{q: pool, pool: pool}}}
}

// pgxQuerier is what a pool and a transaction have in common.
type pgxQuerier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// pgxConn is conn on pgx: on the pool, or in a transaction (pool nil).
type pgxConn struct {
	q    pgxQuerier
	pool *pgxpool.Pool
}

func (c pgxConn) QueryRow(ctx context.Context, sql string, args ...any) scanner {
	return c.q.QueryRow(ctx, sql, args...)
}

func (c pgxConn) Query(ctx context.Context, sql string, args ...any) (rows, error) {
	return c.q.Query(ctx, sql, args...)
}

func (c pgxConn) Done(r rows) { r.(pgx.Rows).Close() }

func (c pgxConn) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	tag, err := c.q.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

func (c pgxConn) InTx(ctx context.Context, fn func(tx conn) error) error {
	if c.pool == nil {
		return fn(c)
	}
	return pgx.BeginFunc(ctx, c.pool, func(tx pgx.Tx) error {
		return fn(pgxConn{q: tx})
	})
}
