package rawsql

import (
	"context"
	"database/sql"
	"errors"

	"github.com/crudbench/crudbench"
)

// SQL is the sql arm: crudbench.Store on database/sql over pgx's stdlib
// driver, sending the same statements as PGX.
type SQL struct {
	store
}

var _ crudbench.Store = (*SQL)(nil)

// NewSQL returns a store on db, which must use pgx's stdlib driver (it
// binds Go slices to PostgreSQL arrays).
func NewSQL(db *sql.DB) *SQL {
	return &SQL{store{conn: sqlConn{q: db, db: db}}}
}

// sqlQuerier is what *sql.DB and *sql.Tx have in common.
type sqlQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// sqlConn is conn on database/sql: on the pool, or in a transaction (db
// nil).
type sqlConn struct {
	q  sqlQuerier
	db *sql.DB
}

func (c sqlConn) QueryRow(ctx context.Context, query string, args ...any) scanner {
	return c.q.QueryRowContext(ctx, query, args...)
}

func (c sqlConn) Query(ctx context.Context, query string, args ...any) (rows, error) {
	r, err := c.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err // not a nil *sql.Rows in a non-nil rows
	}
	return r, nil
}

func (c sqlConn) Done(r rows) { r.(*sql.Rows).Close() }

func (c sqlConn) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := c.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (c sqlConn) InTx(ctx context.Context, fn func(tx conn) error) (err error) {
	if c.db == nil {
		return fn(c)
	}
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(sqlConn{q: tx}); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	return tx.Commit()
}
