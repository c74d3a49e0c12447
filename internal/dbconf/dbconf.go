// Package dbconf is the one place that sets how every arm connects to
// PostgreSQL: pool size, timeouts and query execution mode are the same for
// the pgx pool (pgx, sqlc) and for the database/sql pool over pgx's stdlib
// driver (sql, ent, gorm, bun). An arm whose library documents a setting
// of its own adds it as an Option (bun: SimpleProtocol).
package dbconf

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
)

// EnvPoolSize overrides DefaultPoolSize.
const EnvPoolSize = "CRUDBENCH_POOL"

// DefaultPoolSize is the number of connections each arm may hold.
const DefaultPoolSize = 16

// ConnectTimeout bounds how long opening one connection may take, so that a
// request fails fast while PostgreSQL is down.
const ConnectTimeout = 3 * time.Second

// EnvQueryMode selects pgx's query execution mode for every arm; see
// QueryModes.
const EnvQueryMode = "CRUDBENCH_QUERY_MODE"

// DefaultQueryMode is pgx's own default: statements prepared and cached per
// connection.
const DefaultQueryMode = "cache_statement"

// queryModes maps the names EnvQueryMode accepts to pgx's modes, in the
// order QueryModes lists them.
var queryModes = []struct {
	name string
	mode pgx.QueryExecMode
}{
	{"cache_statement", pgx.QueryExecModeCacheStatement},
	{"cache_describe", pgx.QueryExecModeCacheDescribe},
	{"describe_exec", pgx.QueryExecModeDescribeExec},
	{"exec", pgx.QueryExecModeExec},
	{"simple_protocol", pgx.QueryExecModeSimpleProtocol},
}

// QueryModes returns the names EnvQueryMode accepts, the default first.
func QueryModes() []string {
	names := make([]string, len(queryModes))
	for i, m := range queryModes {
		names[i] = m.name
	}
	return names
}

// ParseQueryMode returns the pgx query execution mode named name (one of
// QueryModes; "" means DefaultQueryMode).
func ParseQueryMode(name string) (pgx.QueryExecMode, error) {
	if name == "" {
		name = DefaultQueryMode
	}
	for _, m := range queryModes {
		if m.name == name {
			return m.mode, nil
		}
	}
	return 0, fmt.Errorf("dbconf: %s=%q: want one of %s", EnvQueryMode, name, strings.Join(QueryModes(), ", "))
}

// QueryMode returns the name of the query execution mode set by
// EnvQueryMode, DefaultQueryMode when unset, or an error naming the valid
// ones.
func QueryMode() (string, error) {
	name := os.Getenv(EnvQueryMode)
	if name == "" {
		name = DefaultQueryMode
	}
	if _, err := ParseQueryMode(name); err != nil {
		return "", err
	}
	return name, nil
}

// PoolSize returns the pool size: EnvPoolSize when set to a positive
// integer, else DefaultPoolSize.
func PoolSize() (int, error) {
	v := os.Getenv(EnvPoolSize)
	if v == "" {
		return DefaultPoolSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("dbconf: %s=%q: want a positive integer", EnvPoolSize, v)
	}
	return n, nil
}

// Option changes a connection setting for one arm, where its library
// documents a setting of its own.
type Option func(*pgx.ConnConfig)

// SimpleProtocol runs every statement with PostgreSQL's simple protocol,
// whatever EnvQueryMode says: for a library that writes every value into
// the statement's text and binds none, and documents this setting for pgx
// (bun). Statement caching cannot help such a library: nearly every text
// is new, and preparing it costs a round trip.
func SimpleProtocol(cc *pgx.ConnConfig) { cc.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol }

// connConfig parses dsn and applies the shared connection settings,
// including the query execution mode of EnvQueryMode, then opts.
func connConfig(dsn string, tracer pgx.QueryTracer, opts ...Option) (*pgx.ConnConfig, error) {
	mode, err := ParseQueryMode(os.Getenv(EnvQueryMode))
	if err != nil {
		return nil, err
	}
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("dbconf: parsing DSN: %w", err)
	}
	cc.ConnectTimeout = ConnectTimeout
	cc.DefaultQueryExecMode = mode
	cc.Tracer = tracer
	for _, o := range opts {
		o(cc)
	}
	return cc, nil
}

// NewPool opens a pgx pool on dsn; tracer may be nil.
func NewPool(ctx context.Context, dsn string, tracer pgx.QueryTracer) (*pgxpool.Pool, error) {
	n, err := PoolSize()
	if err != nil {
		return nil, err
	}
	cc, err := connConfig(dsn, tracer)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return nil, fmt.Errorf("dbconf: default pool config: %w", err)
	}
	cfg.ConnConfig = cc
	cfg.MaxConns = int32(n)
	cfg.MaxConnIdleTime = 5 * time.Minute
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("dbconf: opening pgx pool: %w", err)
	}
	return pool, nil
}

// OpenDB opens a database/sql pool over pgx's stdlib driver on dsn, with the
// same limits as NewPool; tracer may be nil.
func OpenDB(dsn string, tracer pgx.QueryTracer, opts ...Option) (*sql.DB, error) {
	c, err := Connector(dsn, tracer, opts...)
	if err != nil {
		return nil, err
	}
	return OpenConnector(c)
}

// Connector returns pgx's database/sql connector on dsn with the shared
// connection settings; tracer may be nil. OpenDB opens a pool on it; a
// tool that wraps the driver (a recorder of its calls) wraps this.
func Connector(dsn string, tracer pgx.QueryTracer, opts ...Option) (driver.Connector, error) {
	cc, err := connConfig(dsn, tracer, opts...)
	if err != nil {
		return nil, err
	}
	return stdlib.GetConnector(*cc), nil
}

// OpenConnector opens a database/sql pool on c with the same limits as
// NewPool.
func OpenConnector(c driver.Connector) (*sql.DB, error) {
	n, err := PoolSize()
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return db, nil
}

// QueryCounter is a pgx tracer that counts statements sent to PostgreSQL:
// queries (including BEGIN and COMMIT), batched queries and COPYs.
type QueryCounter struct{ n atomic.Int64 }

// Count returns the number of statements seen so far.
func (c *QueryCounter) Count() int64 { return c.n.Load() }

// TraceQueryStart implements pgx.QueryTracer.
func (c *QueryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (c *QueryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// TraceBatchStart implements pgx.BatchTracer.
func (c *QueryCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer: each query of a batch counts.
func (c *QueryCounter) TraceBatchQuery(_ context.Context, _ *pgx.Conn, _ pgx.TraceBatchQueryData) {
	c.n.Add(1)
}

// TraceBatchEnd implements pgx.BatchTracer.
func (c *QueryCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// TraceCopyFromStart implements pgx.CopyFromTracer.
func (c *QueryCounter) TraceCopyFromStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromStartData) context.Context {
	c.n.Add(1)
	return ctx
}

// TraceCopyFromEnd implements pgx.CopyFromTracer.
func (c *QueryCounter) TraceCopyFromEnd(context.Context, *pgx.Conn, pgx.TraceCopyFromEndData) {}
