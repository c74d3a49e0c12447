package dbconf

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestParseQueryMode(t *testing.T) {
	for _, c := range []struct {
		name string
		want pgx.QueryExecMode
		ok   bool
	}{
		{"", pgx.QueryExecModeCacheStatement, true},
		{"cache_statement", pgx.QueryExecModeCacheStatement, true},
		{"cache_describe", pgx.QueryExecModeCacheDescribe, true},
		{"describe_exec", pgx.QueryExecModeDescribeExec, true},
		{"exec", pgx.QueryExecModeExec, true},
		{"simple_protocol", pgx.QueryExecModeSimpleProtocol, true},
		{"simple protocol", 0, false},
		{"SIMPLE_PROTOCOL", 0, false},
		{"prepare", 0, false},
	} {
		got, err := ParseQueryMode(c.name)
		switch {
		case c.ok && err != nil:
			t.Errorf("ParseQueryMode(%q): %v", c.name, err)
		case c.ok && got != c.want:
			t.Errorf("ParseQueryMode(%q) = %v, want %v", c.name, got, c.want)
		case !c.ok && err == nil:
			t.Errorf("ParseQueryMode(%q) = %v, want an error", c.name, got)
		case !c.ok && !strings.Contains(err.Error(), strings.Join(QueryModes(), ", ")):
			t.Errorf("ParseQueryMode(%q): error %q does not name the valid modes", c.name, err)
		}
	}
}

func TestQueryModeFromEnv(t *testing.T) {
	t.Setenv(EnvQueryMode, "")
	if got, err := QueryMode(); err != nil || got != DefaultQueryMode {
		t.Errorf("unset: QueryMode() = %q, %v; want %q", got, err, DefaultQueryMode)
	}
	t.Setenv(EnvQueryMode, "exec")
	if got, err := QueryMode(); err != nil || got != "exec" {
		t.Errorf("exec: QueryMode() = %q, %v; want exec", got, err)
	}
	t.Setenv(EnvQueryMode, "bogus")
	if got, err := QueryMode(); err == nil {
		t.Errorf("bogus: QueryMode() = %q, want an error", got)
	}
}

// TestModeReachesEveryConfig checks that NewPool and OpenDB both build their
// connections from the mode EnvQueryMode names, and refuse an unknown one.
func TestModeReachesEveryConfig(t *testing.T) {
	const dsn = "postgres://u@127.0.0.1:1/db"
	t.Setenv(EnvQueryMode, "simple_protocol")
	cc, err := connConfig(dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	if cc.DefaultQueryExecMode != pgx.QueryExecModeSimpleProtocol {
		t.Errorf("connection config mode %v, want simple protocol", cc.DefaultQueryExecMode)
	}
	t.Setenv(EnvQueryMode, "bogus")
	if _, err := NewPool(t.Context(), dsn, nil); err == nil {
		t.Error("NewPool accepted an unknown query mode")
	}
	if _, err := OpenDB(dsn, nil); err == nil {
		t.Error("OpenDB accepted an unknown query mode")
	}
}
