// Package replay takes the database out of one call of a data-access
// layer built on database/sql, so that what is left, the library and
// database/sql themselves, can be timed on its own.
//
// A Recorder wraps a real driver connector (pgx's stdlib connector) and
// writes down, while it records, every driver call in order: transactions,
// prepared statements, each statement's text and arguments, the result's
// columns with every column-type answer the driver gives, its rows as
// driver values, and rows affected. The result is a Script.
//
// A Player is a driver.Connector that answers later calls from a Script,
// with no network and no PostgreSQL: every statement must be the one the
// script holds next, or the call fails with an error naming both. While it
// plays, it time-stamps each statement's arrival, its return and the
// closing of its rows (Parts), with a Clock that reads the monotonic time
// or, in an untimed pass, the count of heap allocations.
//
// Raw sends a script's statements through database/sql alone, scanning
// rows into typed destinations, so the share of database/sql in a call can
// be measured the same way and subtracted.
package replay

import (
	"database/sql/driver"
	"fmt"
	"reflect"
	"strings"
)

// Kind is the kind of a driver call.
type Kind uint8

// The kinds of driver call a Script holds.
const (
	Begin Kind = iota + 1
	Commit
	Rollback
	Prepare
	Query
	Exec
)

// String returns the kind's name, as error messages print it.
func (k Kind) String() string {
	switch k {
	case Begin:
		return "BEGIN"
	case Commit:
		return "COMMIT"
	case Rollback:
		return "ROLLBACK"
	case Prepare:
		return "Prepare"
	case Query:
		return "Query"
	case Exec:
		return "Exec"
	}
	return fmt.Sprintf("Kind(%d)", k)
}

// Column is a result column as the driver described it: its name and the
// answers of the driver.RowsColumnType* interfaces the driver implements
// (libraries such as gorm ask for them).
type Column struct {
	Name     string
	TypeName string // ColumnTypeDatabaseTypeName, "" if not answered
	// Length is ColumnTypeLength; HasLength its ok.
	Length    int64
	HasLength bool
	// Precision and Scale are ColumnTypePrecisionScale; HasPrecisionScale its ok.
	Precision, Scale  int64
	HasPrecisionScale bool
	// Nullable is ColumnTypeNullable; HasNullable its ok.
	Nullable, HasNullable bool
	ScanType              reflect.Type // ColumnTypeScanType, nil if not answered
}

// Call is one driver call of a Script.
type Call struct {
	Kind Kind
	// SQL is the statement's text (Prepare, Query, Exec).
	SQL string
	// Args are the arguments as the driver got them (Query, Exec).
	Args []driver.NamedValue
	// Prepared is set when the statement ran through a prepared statement.
	Prepared bool
	// Columns and Rows are a query's result, every row as driver values.
	Columns []Column
	Rows    [][]driver.Value
	// RowsAffected is an Exec's count.
	RowsAffected int64
	// Err is the error the driver call returned; RowsErr the one reading a
	// query's rows ended with instead of io.EOF.
	Err, RowsErr error

	names []string // column names, for Rows.Columns
}

// Script is the driver calls of one recorded call of a store, in order.
type Script struct {
	Calls []Call
}

// Statements returns how many statements the script sends to the
// database, BEGIN and COMMIT included and preparations not, as the
// suite's statement counter counts them.
func (s *Script) Statements() int {
	n := 0
	for _, c := range s.Calls {
		if c.Kind != Prepare {
			n++
		}
	}
	return n
}

// String lists the calls, one a line, with each statement's text cut
// short.
func (s *Script) String() string {
	var b strings.Builder
	for i, c := range s.Calls {
		fmt.Fprintf(&b, "%d: %s", i, c.Kind)
		if c.SQL != "" {
			fmt.Fprintf(&b, " %s (%d args)", short(c.SQL), len(c.Args))
		}
		if c.Kind == Query {
			fmt.Fprintf(&b, " → %d rows of %d columns", len(c.Rows), len(c.Columns))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// short returns sql on one line, cut to 120 bytes.
func short(sql string) string {
	s := strings.Join(strings.Fields(sql), " ")
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// columnNames fills each query's column names once, before a play.
func (s *Script) columnNames() {
	for i := range s.Calls {
		s.Calls[i].columnNames()
	}
}

// columnNames fills c's column names, for Rows.Columns, if not yet done.
func (c *Call) columnNames() {
	if c.names == nil && c.Columns != nil {
		c.names = make([]string, len(c.Columns))
		for j, col := range c.Columns {
			c.names[j] = col.Name
		}
	}
}
