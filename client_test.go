package crudbench_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/httpapi"
	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/crudbench/crudbench/internal/arms"
	"github.com/jackc/pgx/v5"
)

// Client tests: a client that goes away before its answer, and one that
// stalls in the middle of its body. A client's doing is never a server
// failure: one code (canceled, 499) in every arm, no ERROR log line,
// nothing written, nothing left running.

// logBuffer collects log lines; safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// rawRequest is r as bytes on the wire.
func rawRequest(r apitest.Request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: crudbench\r\n", r.Method, r.Path)
	if r.Body != "" {
		fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(r.Body))
	}
	return b.String() + "\r\n" + r.Body
}

// TestClientGoesAway sends each request that needs user 1's row while a
// lock holds it, then goes away: by a TCP half-close after the request
// (the answer can still be read: it must be 499 canceled) or by canceling
// the request mid-flight. Either way the server must log no ERROR line,
// write nothing, and leave no backend waiting and no connection checked out.
// Every arm and variant; the request is seen waiting in pg_locks before the
// client leaves, so the test does not depend on timing.
func TestClientGoesAway(t *testing.T) {
	ctx := context.Background()
	for _, name := range arms.Names() {
		t.Run("arm="+name, func(t *testing.T) {
			app := "crudbench-client-" + name
			var logs logBuffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			s, mon := apitest.MustServeWatched(t, name, apitest.Options{Timeout: 20 * time.Second, AppName: app, Logger: logger}, apitest.Nine)
			for _, how := range []string{"half-close", "cancel"} {
				for _, req := range lockedRequests {
					t.Run(how+"/"+req.Name, func(t *testing.T) {
						before := strings.Count(logs.String(), "client closed request")
						release := lockRow(t, s.DSN, 1)
						waiting := func() {
							apitest.Eventually(t, settle, func() (bool, string) {
								return ungrantedLocks(t, mon, app) > 0, "pg_locks shows the request waiting for no lock"
							})
						}
						switch how {
						case "half-close":
							conn, err := net.Dial("tcp", s.Addr().String())
							if err != nil {
								t.Fatal(err)
							}
							defer conn.Close()
							if _, err := io.WriteString(conn, rawRequest(req)); err != nil {
								t.Fatal(err)
							}
							waiting()
							if err := conn.(*net.TCPConn).CloseWrite(); err != nil {
								t.Fatal(err)
							}
							conn.SetReadDeadline(time.Now().Add(settle))
							resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
							if err != nil {
								t.Fatalf("reading the answer after a half-close: %v", err)
							}
							body, _ := io.ReadAll(resp.Body)
							rep := apitest.Reply{Status: resp.StatusCode, Body: body}
							if code, msg := rep.APIError(); rep.Status != httpapi.StatusClientClosed || code != crudbench.ECANCELED || msg != crudbench.CanceledMessage {
								t.Errorf("%s, then a half-close: %s; want %d canceled", &req, rep, httpapi.StatusClientClosed)
							}
						case "cancel":
							rctx, cancel := context.WithCancel(ctx)
							answer := make(chan apitest.Reply, 1)
							go func() { answer <- s.Send(rctx, req) }()
							waiting()
							cancel()
							if rep := <-answer; rep.Err == nil {
								t.Errorf("%s canceled mid-flight: %s; want no answer", &req, rep)
							}
						}
						apitest.Eventually(t, settle, func() (bool, string) {
							n := strings.Count(logs.String(), "client closed request") - before
							return n == 1, fmt.Sprintf("%d client-closed lines logged for the request, want 1", n)
						})
						apitest.Eventually(t, settle, func() (bool, string) {
							_, waiting := apitest.MustBackends(t, mon, app)
							n := ungrantedLocks(t, mon, app)
							return waiting == 0 && n == 0, fmt.Sprintf("%d backends still wait for the lock, %d locks not granted: the cancel did not reach PostgreSQL", waiting, n)
						})
						apitest.Eventually(t, settle, func() (bool, string) {
							st := s.Arm.Stats()
							return st.InUse == 0, fmt.Sprintf("%d connections still checked out", st.InUse)
						})
						release()
						var (
							name  string
							users int
							age   int
						)
						err := mon.QueryRow(ctx, `SELECT (SELECT name FROM users WHERE id = 1), (SELECT age FROM users WHERE id = 2), (SELECT count(*) FROM users)`).Scan(&name, &age, &users)
						if err != nil || name != "Ada" || age != 41 || users != 9 {
							t.Errorf("after the client went away: user 1 %q, user 2 age %d, %d users (err %v); want all untouched", name, age, users, err)
						}
					})
				}
			}
			if strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("clients that went away were logged as errors:\n%s", logs.String())
			}
		})
	}
}

// ungrantedLocks returns how many locks the backends named app wait for,
// as pg_locks shows them.
func ungrantedLocks(t *testing.T, mon *pgx.Conn, app string) int {
	t.Helper()
	var n int
	err := mon.QueryRow(context.Background(), `SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE NOT l.granted AND a.application_name = $1`, app).Scan(&n)
	if err != nil {
		t.Fatalf("reading pg_locks: %v", err)
	}
	return n
}

// TestStalledBody sends half a body and stalls: the server must drop the
// connection by the request deadline, and with it the goroutine serving it.
func TestStalledBody(t *testing.T) {
	const timeout = 300 * time.Millisecond
	s := apitest.MustServeSeeded(t, "pgx", apitest.Options{Timeout: timeout}, apitest.Nine)
	idle := runtime.NumGoroutine()
	conn, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"name":"Stalled"}`
	if _, err := fmt.Fprintf(conn, "PATCH /users/1 HTTP/1.1\r\nHost: crudbench\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:5]); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(timeout + settle))
	// The server answers (or just closes) once its read deadline passes;
	// either way the connection ends.
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatalf("the server kept the stalled connection past %s: %v", timeout+settle, err)
	}
	if took := time.Since(start); took > timeout+settle {
		t.Errorf("connection dropped after %s; want the deadline, %s, plus at most %s", took, timeout, settle)
	}
	apitest.Eventually(t, settle, func() (bool, string) {
		n := runtime.NumGoroutine()
		return n <= idle, fmt.Sprintf("%d goroutines, %d before the stalled request", n, idle)
	})
}
