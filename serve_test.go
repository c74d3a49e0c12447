package crudbench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/crudbench/crudbench/httpapi"
	"github.com/crudbench/crudbench/internal/arms"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// Helpers shared by the concurrency and fault tests: an arm behind a
// handler with chosen options, requests that record what came back and how
// long it took, and polling.

// serveArm opens the named arm on dsn and serves it through a handler with
// opts; both are closed when tb ends.
func serveArm(tb testing.TB, name, dsn string, opts httpapi.Options) *armServer {
	tb.Helper()
	a, err := arms.Open(context.Background(), name, dsn, nil)
	if err != nil {
		tb.Fatalf("opening arm %s: %v", name, err)
	}
	as := &armServer{name: name, dsn: dsn, arm: a, srv: httptest.NewServer(httpapi.NewHandler(a.Store, opts))}
	tb.Cleanup(as.close)
	return as
}

// reply is one answer as a client saw it.
type reply struct {
	status int
	body   []byte
	took   time.Duration
	err    error // no answer at all (transport failure)
}

// apiError returns the code and message of an error answer.
func (r reply) apiError() (code, message string) {
	var e httpapi.ErrorResponse
	if json.Unmarshal(r.body, &e) != nil {
		return "", ""
	}
	return e.Error.Code, e.Error.Message
}

func (r reply) String() string {
	if r.err != nil {
		return fmt.Sprintf("no answer after %s: %v", r.took.Round(time.Millisecond), r.err)
	}
	body := string(r.body)
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return fmt.Sprintf("%d after %s: %s", r.status, r.took.Round(time.Millisecond), strings.TrimSpace(body))
}

// sendLimit bounds a request whose context has no deadline, so that a
// server that never answers fails the test instead of hanging it.
const sendLimit = time.Minute

// send sends one request, with body as JSON unless it is empty, and reads
// the whole answer.
func (as *armServer) send(ctx context.Context, method, path, body string) reply {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, sendLimit)
		defer cancel()
	}
	start := time.Now()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, as.srv.URL+path, rd)
	if err != nil {
		return reply{err: err}
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := as.srv.Client().Do(req)
	if err != nil {
		return reply{err: err, took: time.Since(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, body: b, took: time.Since(start), err: err}
}

// withAppName returns dsn with its application_name set, so that the
// arm's backends can be told apart in pg_stat_activity.
func withAppName(tb testing.TB, dsn, app string) string {
	tb.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String()
}

// connect opens a connection of the test's own to dsn, closed when tb ends.
func connect(tb testing.TB, dsn string) *pgx.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connecting: %v", err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// eventually polls cond every 20 ms until it reports true, and fails tb
// with cond's last explanation if that takes longer than limit.
func eventually(tb testing.TB, limit time.Duration, cond func() (ok bool, why string)) {
	tb.Helper()
	deadline := time.Now().Add(limit)
	for {
		ok, why := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("still not so after %s: %s", limit, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// serveSeeded serves arm name on a fresh database holding faultSeed, its
// connections named app in pg_stat_activity, with the given request
// timeout; it returns the server, the database's DSN and a connection to
// watch the database with.
func serveSeeded(tb testing.TB, name, app string, timeout time.Duration) (*armServer, string, *pgx.Conn) {
	tb.Helper()
	dsn := pgtest.NewDatabase(tb)
	if err := pgtest.Exec(context.Background(), dsn, faultSeed); err != nil {
		tb.Fatal(err)
	}
	s := serveArm(tb, name, withAppName(tb, dsn, app), httpapi.Options{Timeout: timeout})
	return s, dsn, connect(tb, dsn)
}
