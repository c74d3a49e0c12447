package replay

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Recorder is a driver.Connector around a real one that records a Script
// of the driver calls made between Start and Stop. Queries are read to
// the end as they arrive (their rows then answered from memory), so the
// script holds every row even when the caller reads only the first.
type Recorder struct {
	base driver.Connector

	mu     sync.Mutex
	on     bool
	script Script
}

// NewRecorder returns a Recorder that opens its connections with base.
// base's connections must support contexts: driver.ConnBeginTx,
// driver.ConnPrepareContext, driver.QueryerContext and
// driver.ExecerContext, as pgx's stdlib connections do.
func NewRecorder(base driver.Connector) *Recorder {
	return &Recorder{base: base}
}

// Start starts a new script, discarding any calls recorded before.
func (r *Recorder) Start() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on, r.script = true, Script{}
}

// Stop ends recording and returns the script recorded since Start.
func (r *Recorder) Stop() *Script {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	s := r.script
	r.script = Script{}
	return &s
}

func (r *Recorder) add(c Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on {
		r.script.Calls = append(r.script.Calls, c)
	}
}

// Connect implements driver.Connector.
func (r *Recorder) Connect(ctx context.Context) (driver.Conn, error) {
	c, err := r.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	rc := &recConn{r: r, c: c}
	var ok [4]bool
	rc.tx, ok[0] = c.(driver.ConnBeginTx)
	rc.prep, ok[1] = c.(driver.ConnPrepareContext)
	rc.q, ok[2] = c.(driver.QueryerContext)
	rc.e, ok[3] = c.(driver.ExecerContext)
	if slices.Contains(ok[:], false) {
		c.Close()
		return nil, fmt.Errorf("replay: recording %T: the connection lacks context methods", c)
	}
	return rc, nil
}

// Driver implements driver.Connector.
func (r *Recorder) Driver() driver.Driver { return r.base.Driver() }

// recConn records the calls made on one real connection.
type recConn struct {
	r    *Recorder
	c    driver.Conn
	tx   driver.ConnBeginTx
	prep driver.ConnPrepareContext
	q    driver.QueryerContext
	e    driver.ExecerContext
}

var (
	_ driver.ConnBeginTx            = (*recConn)(nil)
	_ driver.ConnPrepareContext     = (*recConn)(nil)
	_ driver.QueryerContext         = (*recConn)(nil)
	_ driver.ExecerContext          = (*recConn)(nil)
	_ driver.Pinger                 = (*recConn)(nil)
	_ driver.SessionResetter        = (*recConn)(nil)
	_ driver.NamedValueChecker      = (*recConn)(nil)
	_ driver.RowsColumnTypeScanType = (*memRows)(nil)
)

func (c *recConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *recConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.prep.PrepareContext(ctx, query)
	c.r.add(Call{Kind: Prepare, SQL: query, Err: err})
	if err != nil {
		return nil, err
	}
	return &recStmt{c: c, s: s, sql: query}, nil
}

func (c *recConn) Close() error { return c.c.Close() }

func (c *recConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *recConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.tx.BeginTx(ctx, opts)
	c.r.add(Call{Kind: Begin, Err: err})
	if err != nil {
		return nil, err
	}
	return &recTx{r: c.r, tx: tx}, nil
}

func (c *recConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.q.QueryContext(ctx, query, args)
	return c.r.query(query, args, false, rows, err)
}

func (c *recConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	res, err := c.e.ExecContext(ctx, query, args)
	return c.r.exec(query, args, false, res, err)
}

// Ping implements driver.Pinger; it is not recorded.
func (c *recConn) Ping(ctx context.Context) error {
	if p, ok := c.c.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// ResetSession implements driver.SessionResetter; it is not recorded.
func (c *recConn) ResetSession(ctx context.Context) error {
	if s, ok := c.c.(driver.SessionResetter); ok {
		return s.ResetSession(ctx)
	}
	return nil
}

// CheckNamedValue implements driver.NamedValueChecker by asking the real
// connection, or database/sql's default conversion when it has none.
func (c *recConn) CheckNamedValue(v *driver.NamedValue) error {
	if k, ok := c.c.(driver.NamedValueChecker); ok {
		return k.CheckNamedValue(v)
	}
	return driver.ErrSkip
}

// query records a query's call and its whole result, and answers the
// caller with the result from memory.
func (r *Recorder) query(sql string, args []driver.NamedValue, prepared bool, rows driver.Rows, err error) (driver.Rows, error) {
	c := Call{Kind: Query, SQL: sql, Args: slices.Clone(args), Prepared: prepared, Err: err}
	if err != nil {
		r.add(c)
		return nil, err
	}
	c.Columns, c.Rows, c.RowsErr = drain(rows)
	if cerr := rows.Close(); cerr != nil && c.RowsErr == nil {
		c.RowsErr = cerr
	}
	r.add(c)
	c.columnNames()
	return &memRows{c: &c}, nil
}

func (r *Recorder) exec(sql string, args []driver.NamedValue, prepared bool, res driver.Result, err error) (driver.Result, error) {
	c := Call{Kind: Exec, SQL: sql, Args: slices.Clone(args), Prepared: prepared, Err: err}
	if err == nil {
		if c.RowsAffected, err = res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("replay: recording rows affected: %w", err)
		}
	}
	r.add(c)
	return res, c.Err
}

// drain reads rows to the end: the column descriptions, every row (byte
// slices copied, since a driver may reuse them) and the error that ended
// the reading, if not io.EOF.
func drain(rows driver.Rows) ([]Column, [][]driver.Value, error) {
	names := rows.Columns()
	cols := make([]Column, len(names))
	for i, name := range names {
		col := Column{Name: name}
		if t, ok := rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
			col.TypeName = t.ColumnTypeDatabaseTypeName(i)
		}
		if t, ok := rows.(driver.RowsColumnTypeLength); ok {
			col.Length, col.HasLength = t.ColumnTypeLength(i)
		}
		if t, ok := rows.(driver.RowsColumnTypePrecisionScale); ok {
			col.Precision, col.Scale, col.HasPrecisionScale = t.ColumnTypePrecisionScale(i)
		}
		if t, ok := rows.(driver.RowsColumnTypeNullable); ok {
			col.Nullable, col.HasNullable = t.ColumnTypeNullable(i)
		}
		if t, ok := rows.(driver.RowsColumnTypeScanType); ok {
			col.ScanType = t.ColumnTypeScanType(i)
		}
		cols[i] = col
	}
	var out [][]driver.Value
	for {
		dest := make([]driver.Value, len(names))
		err := rows.Next(dest)
		if errors.Is(err, io.EOF) {
			return cols, out, nil
		} else if err != nil {
			return cols, out, err
		}
		for i, v := range dest {
			if b, ok := v.([]byte); ok {
				dest[i] = slices.Clone(b)
			}
		}
		out = append(out, dest)
	}
}

// recStmt records the executions of a prepared statement.
type recStmt struct {
	c   *recConn
	s   driver.Stmt
	sql string
}

func (s *recStmt) Close() error  { return s.s.Close() }
func (s *recStmt) NumInput() int { return s.s.NumInput() }

func (s *recStmt) Exec(args []driver.Value) (driver.Result, error) {
	return nil, errors.New("replay: Stmt.Exec without a context is not supported")
}

func (s *recStmt) Query(args []driver.Value) (driver.Rows, error) {
	return nil, errors.New("replay: Stmt.Query without a context is not supported")
}

func (s *recStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	e, ok := s.s.(driver.StmtExecContext)
	if !ok {
		return nil, fmt.Errorf("replay: recording %T: the statement lacks ExecContext", s.s)
	}
	res, err := e.ExecContext(ctx, args)
	return s.c.r.exec(s.sql, args, true, res, err)
}

func (s *recStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.s.(driver.StmtQueryContext)
	if !ok {
		return nil, fmt.Errorf("replay: recording %T: the statement lacks QueryContext", s.s)
	}
	rows, err := q.QueryContext(ctx, args)
	return s.c.r.query(s.sql, args, true, rows, err)
}

// recTx records the end of a transaction.
type recTx struct {
	r  *Recorder
	tx driver.Tx
}

func (t *recTx) Commit() error {
	err := t.tx.Commit()
	t.r.add(Call{Kind: Commit, Err: err})
	return err
}

func (t *recTx) Rollback() error {
	err := t.tx.Rollback()
	t.r.add(Call{Kind: Rollback, Err: err})
	return err
}
