package replay

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"
)

// Raw sends a script's statements through database/sql alone, the way a
// hand-written data layer would: BeginTx, Commit and Rollback where the
// script has them; QueryContext with the recorded arguments, every row
// read with Next and Scan into typed destinations (a column's Go type
// from its recorded values: *int64, *string, *time.Time…, or sql.Null of
// it when the column holds NULL); ExecContext and RowsAffected. Played on
// a Player, its Parts are database/sql's own share of the same
// statements, which the breakdown of a library's call subtracts.
// Statements a library sent through a prepared statement are sent
// unprepared: database/sql's own path for both differs little next to the
// driver's, which the player replaces.
type Raw struct {
	script *Script
	args   [][]any // per call, the recorded arguments
	dests  [][]any // per query, a typed destination per column
}

// NewRaw prepares the raw replay of s: arguments and destinations are
// allocated here, once, not while it runs.
func NewRaw(s *Script) *Raw {
	r := &Raw{script: s, args: make([][]any, len(s.Calls)), dests: make([][]any, len(s.Calls))}
	for i, c := range s.Calls {
		r.args[i] = make([]any, len(c.Args))
		for j, a := range c.Args {
			r.args[i][j] = a.Value
		}
		if c.Kind == Query {
			r.dests[i] = make([]any, len(c.Columns))
			for j := range c.Columns {
				r.dests[i][j] = destination(c.Rows, j)
			}
		}
	}
	return r
}

// destination returns a typed destination for column j of rows.
func destination(rows [][]driver.Value, j int) any {
	var sample driver.Value
	null := false
	for _, row := range rows {
		if row[j] == nil {
			null = true
		} else if sample == nil {
			sample = row[j]
		}
	}
	switch sample.(type) {
	case int64:
		return pick[int64](null)
	case float64:
		return pick[float64](null)
	case bool:
		return pick[bool](null)
	case string:
		return pick[string](null)
	case []byte:
		return new([]byte) // nil for NULL
	case time.Time:
		return pick[time.Time](null)
	}
	return new(any)
}

func pick[T any](null bool) any {
	if null {
		return new(sql.Null[T])
	}
	return new(T)
}

// Run sends the script's statements through db, which must be opened on
// a Player playing the same script. A statement the script recorded as
// failing must fail again; any other error is returned.
func (r *Raw) Run(ctx context.Context, db *sql.DB) error {
	var (
		tx *sql.Tx
		q  interface {
			QueryContext(context.Context, string, ...any) (*sql.Rows, error)
			ExecContext(context.Context, string, ...any) (sql.Result, error)
		} = db
	)
	defer func() {
		if tx != nil { // a failed call left it open: give its connection back
			tx.Rollback()
		}
	}()
	for i := range r.script.Calls {
		c := &r.script.Calls[i]
		var err error
		switch c.Kind {
		case Prepare:
			continue
		case Begin:
			if tx, err = db.BeginTx(ctx, nil); err == nil {
				q = tx
			}
		case Commit, Rollback:
			if tx == nil {
				return fmt.Errorf("replay: raw %s at call %d outside a transaction", c.Kind, i)
			}
			if c.Kind == Commit {
				err = tx.Commit()
			} else {
				err = tx.Rollback()
			}
			tx, q = nil, db
		case Query:
			err = r.query(ctx, q, i)
		case Exec:
			var res sql.Result
			if res, err = q.ExecContext(ctx, c.SQL, r.args[i]...); err == nil {
				_, err = res.RowsAffected()
			}
		}
		if (err != nil) != (c.Err != nil || c.RowsErr != nil) {
			return fmt.Errorf("replay: raw call %d (%s%s): error %v, recorded %v", i, c.Kind, sqlText(c.SQL), err, errors.Join(c.Err, c.RowsErr))
		}
	}
	return nil
}

// query sends query i and scans every row.
func (r *Raw) query(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, i int) error {
	rows, err := q.QueryContext(ctx, r.script.Calls[i].SQL, r.args[i]...)
	if err != nil {
		return err
	}
	for rows.Next() {
		if err := rows.Scan(r.dests[i]...); err != nil {
			rows.Close()
			return err
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	return rows.Close()
}
