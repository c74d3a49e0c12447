// Package apitest is the harness of crudbench's tests and benchmarks: one
// request type, one way to send it, one way to serve an arm on a database,
// the named fixtures, and Must… helpers that fail the test instead of
// returning an error.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crudbench/crudbench/httpapi"
	"github.com/crudbench/crudbench/internal/arms"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/seed"
	"github.com/crudbench/crudbench/internal/suite"
	"github.com/jackc/pgx/v5"
)

// NoContentType as Request.ContentType sends no Content-Type header at all.
const NoContentType = "-"

// Request is one HTTP request and, optionally, what its answer must be.
type Request struct {
	Name   string // a label for messages; optional
	Method string
	// Path is the path and query, appended to the server's URL; an
	// absolute URL when sent with an empty base.
	Path string
	Body string
	// ContentType is the Content-Type header: application/json when empty
	// and Body is set, none when NoContentType.
	ContentType string
	// Encoding is the Content-Encoding header; none when empty.
	Encoding string
	// Status is the status the answer must have; 0 checks none.
	Status int
	// Want, when set, must occur in the answer's body. (Bytes, so that
	// checking costs no allocation inside a measurement.)
	Want []byte
	// IDs, when set, are the ids of the objects the answer must hold:
	// exactly these, in this order (a bulk answer checked whole).
	IDs []int64
}

func (r *Request) String() string { return r.Method + " " + r.Path }

// Check returns an error unless rep answers r as r expects.
func (r *Request) Check(rep Reply) error {
	switch {
	case rep.Err != nil:
		return fmt.Errorf("%s %.100s: %w", r.Method, r.Path, rep.Err)
	case r.Status != 0 && rep.Status != r.Status:
		return fmt.Errorf("%s %.100s: status %d, want %d: %.300s", r.Method, r.Path, rep.Status, r.Status, rep.Body)
	case r.Want != nil && !bytes.Contains(rep.Body, r.Want):
		return fmt.Errorf("%s %.100s: body lacks %q: %.300s", r.Method, r.Path, r.Want, rep.Body)
	case r.IDs != nil:
		if err := checkIDs(rep.Body, r.IDs); err != nil {
			return fmt.Errorf("%s %.100s: %w", r.Method, r.Path, err)
		}
	}
	return nil
}

// checkIDs returns an error unless body holds exactly one object
// {"id":… per id, in the order of ids. It allocates nothing on success.
func checkIDs(body []byte, ids []int64) error {
	const key = `{"id":`
	if n := bytes.Count(body, []byte(key)); n != len(ids) {
		return fmt.Errorf("%d objects in the answer, want %d", n, len(ids))
	}
	var buf [32]byte
	rest := body
	for i, id := range ids {
		want := strconv.AppendInt(append(buf[:0], key...), id, 10)
		at := bytes.Index(rest, want)
		if at < 0 || len(rest) <= at+len(want) || (rest[at+len(want)] != ',' && rest[at+len(want)] != '}') {
			return fmt.Errorf("object %d: id %d missing or out of order", i, id)
		}
		rest = rest[at+len(want):]
	}
	return nil
}

// Reply is one answer as a client saw it.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
	Took   time.Duration // from sending the request to reading the whole body
	Err    error         // no (whole) answer: a transport failure
}

// APIError returns the code and message of an error answer, or empty
// strings when the body is not one.
func (r Reply) APIError() (code, message string) {
	var e httpapi.ErrorResponse
	if json.Unmarshal(r.Body, &e) != nil {
		return "", ""
	}
	return e.Error.Code, e.Error.Message
}

func (r Reply) String() string {
	if r.Err != nil {
		return fmt.Sprintf("no answer after %s: %v", r.Took.Round(time.Millisecond), r.Err)
	}
	body := string(r.Body)
	if len(body) > 300 {
		body = body[:300] + "…"
	}
	return fmt.Sprintf("%d after %s: %s", r.Status, r.Took.Round(time.Millisecond), strings.TrimSpace(body))
}

// Send sends r to base+r.Path with client and reads the whole answer. The
// body is read into buf when it is not nil (the reply's Body then aliases
// buf until its next use), else into a new slice.
func Send(ctx context.Context, client *http.Client, base string, r *Request, buf *bytes.Buffer) Reply {
	start := time.Now()
	var body io.Reader
	if r.Body != "" {
		body = strings.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, base+r.Path, body)
	if err != nil {
		return Reply{Err: err}
	}
	switch ct := r.ContentType; {
	case ct == NoContentType:
	case ct != "":
		req.Header.Set("Content-Type", ct)
	case r.Body != "":
		req.Header.Set("Content-Type", "application/json")
	}
	if r.Encoding != "" {
		req.Header.Set("Content-Encoding", r.Encoding)
	}
	resp, err := client.Do(req)
	if err != nil {
		return Reply{Err: err, Took: time.Since(start)}
	}
	defer resp.Body.Close()
	rep := Reply{Status: resp.StatusCode, Header: resp.Header}
	if buf != nil {
		buf.Reset()
		_, err = buf.ReadFrom(resp.Body)
		rep.Body = buf.Bytes()
	} else {
		rep.Body, err = io.ReadAll(resp.Body)
	}
	if err != nil {
		rep.Err = fmt.Errorf("reading the body: %w", err)
	}
	rep.Took = time.Since(start)
	return rep
}

// Options are how Serve opens and serves an arm.
type Options struct {
	Timeout time.Duration   // the handler's request deadline; 0 is httpapi's default
	Tracer  pgx.QueryTracer // sees every statement of the arm; may be nil
	AppName string          // the arm's application_name in pg_stat_activity
	Logger  *slog.Logger    // the handler's logger; nil means slog.Default()
}

// Server is one arm served over HTTP through httpapi, on its own database;
// or, made by Remote, any server of the contract reached by URL.
type Server struct {
	Name   string
	DSN    string       // the database; without Options.AppName
	URL    string       // the HTTP server's base URL
	Arm    *arms.Arm    // nil for a remote server
	Client *http.Client // a client of the HTTP server; may be replaced
	srv    *httptest.Server
}

// Serve opens the named arm on dsn and serves it on a loopback HTTP
// server; Close undoes both.
func Serve(name, dsn string, opts Options) (*Server, error) {
	armDSN := dsn
	if opts.AppName != "" {
		var err error
		if armDSN, err = WithAppName(dsn, opts.AppName); err != nil {
			return nil, err
		}
	}
	a, err := arms.Open(context.Background(), name, armDSN, opts.Tracer)
	if err != nil {
		return nil, fmt.Errorf("opening arm %s: %w", name, err)
	}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = httpapi.NewServer(httpapi.NewHandler(a.Store, httpapi.Options{Timeout: opts.Timeout, Logger: opts.Logger}), opts.Timeout)
	srv.Start()
	return &Server{Name: name, DSN: dsn, URL: srv.URL, Arm: a, Client: srv.Client(), srv: srv}, nil
}

// Remote returns a Server for a server of the contract that runs
// elsewhere (another process, another language), at base URL url and
// serving the database at dsn. Its Arm is nil and Close does nothing: whoever
// started the server stops it.
func Remote(name, url, dsn string) *Server {
	return &Server{Name: name, DSN: dsn, URL: url, Client: &http.Client{}}
}

// Close stops the HTTP server and closes the arm; nothing for a remote
// server but its idle connections.
func (s *Server) Close() {
	if s.srv == nil {
		s.Client.CloseIdleConnections()
		return
	}
	s.srv.Close()
	s.Arm.Close()
}

// Addr returns the address the HTTP server listens on (nil for a remote
// server whose URL names no host:port).
func (s *Server) Addr() net.Addr {
	if s.srv != nil {
		return s.srv.Listener.Addr()
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		return nil
	}
	a, err := net.ResolveTCPAddr("tcp", u.Host)
	if err != nil {
		return nil
	}
	return a
}

// SendLimit bounds a request whose context has no deadline, so that a
// server that never answers fails the test instead of hanging it.
const SendLimit = time.Minute

// Send sends r to s with s.Client, within SendLimit unless ctx has a
// deadline of its own.
func (s *Server) Send(ctx context.Context, r Request) Reply {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, SendLimit)
		defer cancel()
	}
	return Send(ctx, s.Client, s.URL, &r, nil)
}

// MustServe serves the named arm on dsn until tb ends.
func MustServe(tb testing.TB, name, dsn string, opts Options) *Server {
	tb.Helper()
	s, err := Serve(name, dsn, opts)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(s.Close)
	return s
}

// MustServeSeeded serves the named arm on a fresh database holding the
// fixture statements, until tb ends.
func MustServeSeeded(tb testing.TB, name string, opts Options, fixture ...string) *Server {
	tb.Helper()
	return MustServe(tb, name, MustDatabase(tb, fixture...), opts)
}

// MustServeWatched is MustServeSeeded, and also returns a connection of the
// test's own to the database, to watch it with.
func MustServeWatched(tb testing.TB, name string, opts Options, fixture ...string) (*Server, *pgx.Conn) {
	tb.Helper()
	s := MustServeSeeded(tb, name, opts, fixture...)
	return s, MustConnect(tb, s.DSN, "")
}

// MustServeAll serves every arm, each on a fresh database of its own
// holding the fixture statements, until tb ends.
func MustServeAll(tb testing.TB, opts Options, fixture ...string) []*Server {
	tb.Helper()
	var out []*Server
	for _, name := range suite.Arms {
		out = append(out, MustServeSeeded(tb, name, opts, fixture...))
	}
	return out
}

// MustDatabase creates a database holding the schema and the fixture
// statements, dropped when tb ends, and returns its DSN.
func MustDatabase(tb testing.TB, fixture ...string) string {
	tb.Helper()
	dsn := pgtest.NewDatabase(tb)
	MustExec(tb, dsn, fixture...)
	return dsn
}

// MustExec runs the statements on the database at dsn.
func MustExec(tb testing.TB, dsn string, stmts ...string) {
	tb.Helper()
	for _, stmt := range stmts {
		if err := pgtest.Exec(context.Background(), dsn, stmt); err != nil {
			tb.Fatal(err)
		}
	}
}

// MustReset empties the database at dsn and runs the fixture statements.
func MustReset(tb testing.TB, dsn string, fixture ...string) {
	tb.Helper()
	if err := pgtest.Reset(context.Background(), dsn); err != nil {
		tb.Fatal(err)
	}
	MustExec(tb, dsn, fixture...)
}

// The named fixtures, for MustDatabase and its kin.
var (
	// Trio: users 1–3 (Ada, Bob, Cy), posts 1–2 of Ada's and 3 of Bob's.
	Trio = seed.Trio
	// Nine: users 1–9 (Ada … Ivy), no posts.
	Nine = seed.Nine
)

// WithAppName returns dsn with its application_name set to app, so that
// its backends can be told apart in pg_stat_activity.
func WithAppName(dsn, app string) (string, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("setting application_name: %w", err)
	}
	q := u.Query()
	q.Set("application_name", app)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// MustConnect opens a connection of the test's own to dsn, named app in
// pg_stat_activity unless app is empty; it is closed when tb ends.
func MustConnect(tb testing.TB, dsn, app string) *pgx.Conn {
	tb.Helper()
	if app != "" {
		var err error
		if dsn, err = WithAppName(dsn, app); err != nil {
			tb.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connecting: %v", err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// MustCount returns the single integer the query returns on conn.
func MustCount(tb testing.TB, conn *pgx.Conn, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", query, err)
	}
	return n
}

// Eventually polls cond every 20 ms until it reports true, and fails tb
// with cond's last explanation if that takes longer than limit.
func Eventually(tb testing.TB, limit time.Duration, cond func() (ok bool, why string)) {
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

// Get returns a GET request of path.
func Get(path string) Request { return Request{Method: "GET", Path: path} }

// Delete returns a DELETE request of path.
func Delete(path string) Request { return Request{Method: "DELETE", Path: path} }

// Post returns a POST request of path with a JSON body.
func Post(path, body string) Request { return Request{Method: "POST", Path: path, Body: body} }

// Patch returns a PATCH request of path with a JSON body.
func Patch(path, body string) Request { return Request{Method: "PATCH", Path: path, Body: body} }

// MustBackends counts the backends of application app that are running a
// statement, and those of them waiting for a lock, as mon sees them.
func MustBackends(tb testing.TB, mon *pgx.Conn, app string) (active, waiting int) {
	tb.Helper()
	err := mon.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE state <> 'idle'),
		count(*) FILTER (WHERE wait_event_type = 'Lock') FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&active, &waiting)
	if err != nil {
		tb.Fatalf("reading pg_stat_activity: %v", err)
	}
	return active, waiting
}
