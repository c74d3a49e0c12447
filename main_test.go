package crudbench_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/crudbench/crudbench/httpapi"
	"github.com/crudbench/crudbench/internal/arms"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { pgtest.Main(m, printConfig) }

// armServer is one arm behind the shared HTTP handler, on its own database.
type armServer struct {
	name    string
	dsn     string
	arm     *arms.Arm
	srv     *httptest.Server
	queries *dbconf.QueryCounter
}

// startArms opens every arm on a fresh database of its own and serves it
// through httpapi. With count set, each arm's statements are counted.
func startArms(tb testing.TB, count bool) []*armServer {
	tb.Helper()
	var out []*armServer
	for _, name := range arms.Names {
		out = append(out, startArm(tb, name, pgtest.NewDatabase(tb), count))
	}
	return out
}

func startArm(tb testing.TB, name, dsn string, count bool) *armServer {
	tb.Helper()
	as, err := openArm(name, dsn, count)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(as.close)
	return as
}

// openArm opens the named arm on dsn and serves it; close undoes both.
func openArm(name, dsn string, count bool) (*armServer, error) {
	as := &armServer{name: name, dsn: dsn}
	var tracer pgx.QueryTracer
	if count {
		as.queries = new(dbconf.QueryCounter)
		tracer = as.queries
	}
	a, err := arms.Open(context.Background(), name, dsn, tracer)
	if err != nil {
		return nil, fmt.Errorf("opening arm %s: %w", name, err)
	}
	as.arm = a
	as.srv = httptest.NewServer(httpapi.NewHandler(a.Store, httpapi.Options{}))
	return as, nil
}

func (as *armServer) close() {
	as.srv.Close()
	as.arm.Close()
}
