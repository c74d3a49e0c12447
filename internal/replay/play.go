package replay

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"reflect"
	"runtime"
	"time"
)

// Clock is what a Player stamps events with: any counter that only grows,
// such as monotonic nanoseconds (Nanotime) or heap allocations (Mallocs).
type Clock func() int64

// Nanotime returns a Clock of monotonic nanoseconds.
func Nanotime() Clock {
	base := time.Now()
	return func() int64 { return int64(time.Since(base)) }
}

// Mallocs returns a Clock that counts heap allocations so far, for an
// untimed pass: each reading stops the world (runtime.ReadMemStats, which
// itself allocates nothing), far too slow to time with.
func Mallocs() Clock {
	ms := new(runtime.MemStats)
	return func() int64 {
		runtime.ReadMemStats(ms)
		return int64(ms.Mallocs)
	}
}

// Parts is where one played call's clock went, split at the driver's
// boundaries. Every clock reading between Start and Stop lands in exactly
// one part, so the parts add up to the whole call.
type Parts struct {
	// Before is the time before statements reach the driver, while no rows
	// are open: from Start, or from the end of the last driver call, to the
	// arrival of each next one. It holds the library building the statement
	// and database/sql's work before the driver (taking a connection,
	// checking arguments).
	Before int64
	// Driver is the time inside the player's driver calls (BEGIN, COMMIT,
	// Prepare, Query, Exec, closing a prepared statement).
	Driver int64
	// Rows is the time while a query's rows are open: from the query's
	// return to its rows' closing. It holds database/sql's Next and Scan and
	// the library's mapping of each row, and the player's Next.
	Rows int64
	// After is the time from the last driver call's end (or the last rows'
	// closing) to Stop: the library's mapping and bookkeeping after its last
	// statement, and database/sql's release of the connection.
	After int64
}

// Total returns the whole call: the sum of the parts.
func (p Parts) Total() int64 { return p.Before + p.Driver + p.Rows + p.After }

// Add returns the parts of p and q summed.
func (p Parts) Add(q Parts) Parts {
	return Parts{p.Before + q.Before, p.Driver + q.Driver, p.Rows + q.Rows, p.After + q.After}
}

// Player is a driver.Connector whose connections answer from a Script:
// between Start and Stop, each statement must be the script's next one,
// same kind, same text, same number of arguments (the arguments' values
// are not compared: they may hold the time of day), and gets the recorded
// answer. Prepare is answered for any text without taking a script entry,
// since a library that caches prepared statements prepares them once per
// connection, not once per call; the statement is matched when it runs.
// Every argument is accepted as is (CheckNamedValue), as pgx's stdlib
// driver does.
//
// A Player serves one call at a time: open it with a pool of one or more
// connections, and call Start and Stop around each call of the store.
type Player struct {
	script *Script
	next   int
	err    error // the first mismatch of the current play
	clock  Clock
	last   int64
	open   int // rows open
	parts  Parts
}

// NewPlayer returns a Player with no script.
func NewPlayer() *Player { return &Player{} }

// Connect implements driver.Connector.
func (p *Player) Connect(context.Context) (driver.Conn, error) { return &playConn{p: p}, nil }

// Driver implements driver.Connector.
func (p *Player) Driver() driver.Driver { return playDriver{} }

type playDriver struct{}

func (playDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("replay: open a Player with sql.OpenDB, not by name")
}

// Start plays s from its first call, stamping events with clock; the
// call's parts begin now.
func (p *Player) Start(s *Script, clock Clock) {
	s.columnNames()
	p.script, p.next, p.err, p.clock, p.open, p.parts = s, 0, nil, clock, 0, Parts{}
	p.last = clock()
}

// Stop ends the play and returns the parts of the call since Start. Its
// error is the first statement that did not match, or the script's
// statements that were never sent.
func (p *Player) Stop() (Parts, error) {
	now := p.clock()
	if p.open > 0 {
		p.parts.Rows += now - p.last
	} else {
		p.parts.After += now - p.last
	}
	err := p.err
	if err == nil {
		for _, c := range p.script.Calls[p.next:] {
			if c.Kind != Prepare {
				err = fmt.Errorf("replay: the call ended with statement %d of %d still to come: %s%s", p.next, len(p.script.Calls), c.Kind, sqlText(c.SQL))
				break
			}
		}
	}
	p.script = nil
	return p.parts, err
}

// enter stamps a driver call's arrival.
func (p *Player) enter() {
	if p.clock == nil {
		return
	}
	now := p.clock()
	if p.open > 0 {
		p.parts.Rows += now - p.last
	} else {
		p.parts.Before += now - p.last
	}
	p.last = now
}

// leave stamps a driver call's return.
func (p *Player) leave() {
	if p.clock == nil {
		return
	}
	now := p.clock()
	p.parts.Driver += now - p.last
	p.last = now
}

// closed stamps the closing of a query's rows.
func (p *Player) closed() {
	if p.clock == nil {
		return
	}
	now := p.clock()
	p.parts.Rows += now - p.last
	p.last = now
	p.open--
}

// take returns the script's next statement if it is kind with that text
// and number of arguments, and an error naming both otherwise.
func (p *Player) take(kind Kind, sql string, nargs int) (*Call, error) {
	if p.script == nil {
		return nil, fmt.Errorf("replay: %s%s outside a play (no Start)", kind, sqlText(sql))
	}
	calls := p.script.Calls
	for p.next < len(calls) && calls[p.next].Kind == Prepare {
		p.next++
	}
	var err error
	switch i := p.next; {
	case i >= len(calls):
		err = fmt.Errorf("replay: statement %d: got %s%s, the script ended after %d calls", i, kind, sqlText(sql), len(calls))
	case calls[i].Kind != kind || calls[i].SQL != sql:
		err = fmt.Errorf("replay: statement %d: got %s%s, the script has %s%s%s", i, kind, sqlText(sql), calls[i].Kind, sqlText(calls[i].SQL), differ(sql, calls[i].SQL))
	case len(calls[i].Args) != nargs:
		err = fmt.Errorf("replay: statement %d: got %s%s with %d arguments, the script has %d", i, kind, sqlText(sql), nargs, len(calls[i].Args))
	}
	if err != nil {
		if p.err == nil {
			p.err = err
		}
		return nil, err
	}
	p.next++
	return &calls[p.next-1], nil
}

// sqlText formats a statement's text for an error, or nothing.
func sqlText(sql string) string {
	if sql == "" {
		return ""
	}
	return " " + short(sql)
}

// differ says where two statement texts first differ, when both are set.
func differ(a, b string) string {
	if a == "" || b == "" || a == b {
		return ""
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return fmt.Sprintf(" (the texts differ from byte %d)", i)
}

// playConn is one connection of a Player.
type playConn struct{ p *Player }

var (
	_ driver.ConnBeginTx        = (*playConn)(nil)
	_ driver.ConnPrepareContext = (*playConn)(nil)
	_ driver.QueryerContext     = (*playConn)(nil)
	_ driver.ExecerContext      = (*playConn)(nil)
	_ driver.Pinger             = (*playConn)(nil)
	_ driver.SessionResetter    = (*playConn)(nil)
	_ driver.Validator          = (*playConn)(nil)
	_ driver.NamedValueChecker  = (*playConn)(nil)
)

func (c *playConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *playConn) PrepareContext(_ context.Context, query string) (driver.Stmt, error) {
	c.p.enter()
	defer c.p.leave()
	return &playStmt{p: c.p, sql: query}, nil
}

func (c *playConn) Close() error { return nil }

func (c *playConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *playConn) BeginTx(context.Context, driver.TxOptions) (driver.Tx, error) {
	c.p.enter()
	defer c.p.leave()
	call, err := c.p.take(Begin, "", 0)
	if err == nil {
		err = call.Err
	}
	if err != nil {
		return nil, err
	}
	return playTx{c.p}, nil
}

func (c *playConn) QueryContext(_ context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.p.query(query, len(args))
}

func (c *playConn) ExecContext(_ context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.p.exec(query, len(args))
}

func (c *playConn) Ping(context.Context) error               { return nil }
func (c *playConn) ResetSession(context.Context) error       { return nil }
func (c *playConn) IsValid() bool                            { return true }
func (c *playConn) CheckNamedValue(*driver.NamedValue) error { return nil }

func (p *Player) query(sql string, nargs int) (driver.Rows, error) {
	p.enter()
	defer p.leave()
	call, err := p.take(Query, sql, nargs)
	if err == nil {
		err = call.Err
	}
	if err != nil {
		return nil, err
	}
	p.open++
	return &memRows{c: call, p: p}, nil
}

func (p *Player) exec(sql string, nargs int) (driver.Result, error) {
	p.enter()
	defer p.leave()
	call, err := p.take(Exec, sql, nargs)
	if err == nil {
		err = call.Err
	}
	if err != nil {
		return nil, err
	}
	return driver.RowsAffected(call.RowsAffected), nil
}

// playStmt is a prepared statement of a Player: its text, matched when it
// runs.
type playStmt struct {
	p   *Player
	sql string
}

func (s *playStmt) Close() error {
	s.p.enter()
	s.p.leave()
	return nil
}

// NumInput implements driver.Stmt: -1, database/sql does not check the
// count (the script does).
func (s *playStmt) NumInput() int { return -1 }

func (s *playStmt) Exec([]driver.Value) (driver.Result, error) {
	return nil, errors.New("replay: Stmt.Exec without a context is not supported")
}

func (s *playStmt) Query([]driver.Value) (driver.Rows, error) {
	return nil, errors.New("replay: Stmt.Query without a context is not supported")
}

func (s *playStmt) ExecContext(_ context.Context, args []driver.NamedValue) (driver.Result, error) {
	return s.p.exec(s.sql, len(args))
}

func (s *playStmt) QueryContext(_ context.Context, args []driver.NamedValue) (driver.Rows, error) {
	return s.p.query(s.sql, len(args))
}

// playTx ends a transaction of a Player.
type playTx struct{ p *Player }

func (t playTx) Commit() error   { return t.end(Commit) }
func (t playTx) Rollback() error { return t.end(Rollback) }

func (t playTx) end(k Kind) error {
	t.p.enter()
	defer t.p.leave()
	call, err := t.p.take(k, "", 0)
	if err != nil {
		return err
	}
	return call.Err
}

// memRows answers a query's rows from a recorded Call; with a Player, its
// closing is stamped.
type memRows struct {
	c      *Call
	p      *Player // nil when answering the recorder's caller
	i      int
	isDone bool
}

func (r *memRows) Columns() []string { return r.c.names }

func (r *memRows) Close() error {
	if !r.isDone {
		r.isDone = true
		if r.p != nil {
			r.p.closed()
		}
	}
	return nil
}

func (r *memRows) Next(dest []driver.Value) error {
	if r.i < len(r.c.Rows) {
		copy(dest, r.c.Rows[r.i])
		r.i++
		return nil
	}
	if r.c.RowsErr != nil {
		return r.c.RowsErr
	}
	return io.EOF
}

func (r *memRows) ColumnTypeDatabaseTypeName(i int) string { return r.c.Columns[i].TypeName }

func (r *memRows) ColumnTypeLength(i int) (int64, bool) {
	return r.c.Columns[i].Length, r.c.Columns[i].HasLength
}

func (r *memRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	c := r.c.Columns[i]
	return c.Precision, c.Scale, c.HasPrecisionScale
}

func (r *memRows) ColumnTypeNullable(i int) (bool, bool) {
	return r.c.Columns[i].Nullable, r.c.Columns[i].HasNullable
}

func (r *memRows) ColumnTypeScanType(i int) reflect.Type {
	if t := r.c.Columns[i].ScanType; t != nil {
		return t
	}
	return reflect.TypeFor[any]()
}
