package compare

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crudbench/crudbench/cmd/crudbench/internal/serve"
	"github.com/crudbench/crudbench/cmd/crudbench/internal/study"
	"github.com/crudbench/crudbench/internal/paired"
)

// childEnv makes this test binary run the serve command instead of tests,
// so that it can stand in for crudbench as the arms' server.
const childEnv = "CRUDBENCH_COMPARE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" && len(os.Args) > 1 && os.Args[1] == "serve" {
		os.Exit(serve.Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func TestArmsOnClonesOfOneSeed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and two servers")
	}
	t.Setenv(childEnv, "1")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	rows := serve.MinRows
	a, err := StartArms(ctx, []string{"pgx", paired.ControlName("pgx")},
		func(n string) string { return strings.TrimSuffix(n, "'") },
		func(string) study.Exe { return study.Exe{os.Args[0]} }, rows, log, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := a.Stop(); err != nil {
			t.Error(err)
		}
	}()
	if len(a.Targets) != 2 || a.Targets[0].DSN == a.Targets[1].DSN {
		t.Fatalf("targets %+v: want two, each on a database of its own", a.Targets)
	}
	for _, tg := range a.Targets {
		checkServesSeed(ctx, t, tg, rows)
	}
	runs, av, err := Run(ctx, RunConfig{Targets: a.Targets, Ops: []string{"read"}, Rows: rows, Clients: 2,
		Slice: 50 * time.Millisecond, Slices: 2, Discard: 0.2, Order: paired.Config{Design: paired.Shuffle, Seed: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Provider() == "local" {
		if av.App[0] != "" || av.PG[0] != "" {
			t.Errorf("CPU not measured on the local provider: app %q, PostgreSQL %q", av.App[0], av.PG[0])
		} else if s := runs[0].Cap[0][1]; s.AppNs <= 0 || s.PGNs <= 0 {
			t.Errorf("a slice of %d reads cost %d ns in the server and %d in PostgreSQL, want both above 0", s.Answered, s.AppNs, s.PGNs)
		}
	}
	if m := memRows(a.Targets, "idle"); len(m) != 2 || m[0].Mem.PSS == 0 || m[0].Binary == 0 {
		t.Errorf("memory rows %+v: want two with PSS and binary size", m)
	}
}

// checkServesSeed checks that tg's database holds the rows users of the
// seed and that tg answers GET /users/1.
func checkServesSeed(ctx context.Context, t *testing.T, tg Target, rows int) {
	t.Helper()
	conn, err := pgx.Connect(ctx, tg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = conn.QueryRow(ctx, "SELECT count(*) FROM users").Scan(&n)
	conn.Close(ctx)
	if err != nil || n != rows {
		t.Errorf("%s: %d users (%v), want the %d of the seed", tg.Name, n, err, rows)
	}
	resp, err := http.Get(tg.URL + "/users/1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("%s: GET /users/1: %s", tg.Name, resp.Status)
	}
}
