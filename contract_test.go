package crudbench_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/crudbench/crudbench/internal/arms"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// Contract tests that every arm and variant of the table must pass, beyond
// the conformance cases: one time per request, PostgreSQL refusing
// connections, a body that does not arrive, long input quoted in messages,
// and messages that leak nothing of the server.

// TestOneRequestOneTime checks that every row one request writes carries
// one created_at/updated_at, single and bulk, create and update, and that
// the answer shows the stored times.
func TestOneRequestOneTime(t *testing.T) {
	ctx := context.Background()
	for _, name := range arms.Names() {
		t.Run("arm="+name, func(t *testing.T) {
			s, mon := apitest.MustServeWatched(t, name, apitest.Options{}, apitest.Nine)
			check := func(what string, r apitest.Request, ids []int64, status int) {
				t.Helper()
				rep := s.Send(ctx, r)
				if rep.Err != nil || rep.Status != status {
					t.Fatalf("%s: %s; want %d", what, rep, status)
				}
				var distinct, before int
				err := mon.QueryRow(ctx, `SELECT count(DISTINCT updated_at), count(*) FILTER (WHERE updated_at < created_at)
					FROM users WHERE id = ANY($1)`, ids).Scan(&distinct, &before)
				if err != nil {
					t.Fatal(err)
				}
				if distinct != 1 || before != 0 {
					t.Errorf("%s: rows %v carry %d distinct updated_at, %d updated before created; want one time", what, ids, distinct, before)
				}
				checkAnswerStored(t, mon, what, rep.Body)
			}
			check("bulk update", apitest.Request{Method: "PATCH", Path: "/users/bulk", Body: updateItems(5)}, []int64{1, 2, 3, 4, 5}, 200)
			check("bulk create", apitest.Request{Method: "POST", Path: "/users/bulk", Body: users(5, "stamp")}, []int64{10, 11, 12, 13, 14}, 201)
			var createdDistinct int
			if err := mon.QueryRow(ctx, `SELECT count(DISTINCT t) FROM users, LATERAL (VALUES (created_at), (updated_at)) v(t) WHERE id >= 10`).Scan(&createdDistinct); err != nil {
				t.Fatal(err)
			} else if createdDistinct != 1 {
				t.Errorf("bulk create: %d distinct created_at/updated_at among the new rows; want one time", createdDistinct)
			}
			check("update", apitest.Request{Method: "PATCH", Path: "/users/6", Body: `{"age":66}`}, []int64{6}, 200)
			check("create", apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"One","email":"one@example.com"}`}, []int64{15}, 201)
			rep := s.Send(ctx, apitest.Request{Method: "POST", Path: "/users/7/posts", Body: `{"title":"T"}`})
			if rep.Status != 201 {
				t.Fatalf("creating a post: %s", rep)
			}
			checkAnswerStored(t, mon, "create post", rep.Body)
		})
	}
}

// checkAnswerStored fails t unless every user and post in body carries the
// timestamps stored for it.
func checkAnswerStored(t *testing.T, mon *pgx.Conn, what string, body []byte) {
	t.Helper()
	type row struct {
		ID        int64      `json:"id"`
		Title     *string    `json:"title"`
		CreatedAt time.Time  `json:"created_at"`
		UpdatedAt *time.Time `json:"updated_at"`
	}
	var rows []row
	var items struct{ Items []row }
	if json.Unmarshal(body, &items) == nil && items.Items != nil {
		rows = items.Items
	} else {
		var one row
		if err := json.Unmarshal(body, &one); err != nil {
			t.Fatalf("%s: the answer does not decode: %v", what, err)
		}
		rows = []row{one}
	}
	for _, r := range rows {
		var created, updated time.Time
		var err error
		if r.Title != nil {
			err = mon.QueryRow(context.Background(), `SELECT created_at, created_at FROM posts WHERE id = $1`, r.ID).Scan(&created, &updated)
		} else {
			err = mon.QueryRow(context.Background(), `SELECT created_at, updated_at FROM users WHERE id = $1`, r.ID).Scan(&created, &updated)
		}
		if err != nil {
			t.Fatalf("%s: reading row %d: %v", what, r.ID, err)
		}
		if !r.CreatedAt.Equal(created) || (r.UpdatedAt != nil && !r.UpdatedAt.Equal(updated)) {
			t.Errorf("%s: row %d answered created %v updated %v, stored %v %v", what, r.ID, r.CreatedAt, r.UpdatedAt, created, updated)
		}
	}
}

// leak matches what no message may show: network addresses and ports,
// file paths, and the wording of Go, driver and library errors.
var leak = regexp.MustCompile(`(?i)\b\d{1,3}(\.\d{1,3}){3}\b|\[[0-9a-f:]+\]:\d+|:\d{2,5}\b|\b(tcp|udp|unix)\b|i/o timeout|\bdial\b|` +
	`\.go\b|(^|[\s"'])/(home|tmp|usr|var|etc|root|work|proc|opt)/|[a-z]:\\\\|SQLSTATE|\bpgx?\b|\bpq:|\bsql:|\bgorm\b|\bent:|\bbun:|rawsql|sqlc|goroutine|panic|runtime error|json: `)

// checkMessage fails t if msg leaks anything leak matches.
func checkMessage(t *testing.T, what, msg string) {
	t.Helper()
	if m := leak.FindString(msg); m != "" {
		t.Errorf("%s: message %q shows %q: internal text, an address, a port or a path", what, msg, m)
	}
}

// TestMessagesLeakNothing checks the message of every error case of the
// conformance suite (each arm's answer equals the golden file; the suite
// checks that) against leak, and that leak catches what it must.
func TestMessagesLeakNothing(t *testing.T) {
	for _, bad := range []string{
		"Reading the body failed: read tcp 127.0.0.1:18401->127.0.0.1:37224: i/o timeout.",
		"failed to connect to `host=/tmp user=postgres`: dial error",
		"open /home/x/crudbench/rawsql/store.go: no such file",
		`ERROR: duplicate key value (SQLSTATE 23505)`,
		"json: unknown field",
		"[::1]:5432",
	} {
		if !leak.MatchString(bad) {
			t.Errorf("leak does not catch %q", bad)
		}
	}
	files, err := filepath.Glob(filepath.Join("testdata", "conformance", "*.golden"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	messages := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		body, _, _ := strings.Cut(strings.SplitN(string(data), "body:\n", 2)[1], "database:\n")
		var e struct {
			Error struct{ Message string }
		}
		if json.Unmarshal([]byte(body), &e) != nil || e.Error.Message == "" {
			continue
		}
		messages++
		checkMessage(t, filepath.Base(f), e.Error.Message)
	}
	if messages < 150 {
		t.Errorf("found %d error messages in %d golden files; the parsing is broken", messages, len(files))
	}
}

// TestLongInputIsCut sends long input to every message that quotes input,
// on every arm and variant: the message quotes at most crudbench.MaxEcho
// bytes of it.
func TestLongInputIsCut(t *testing.T) {
	ctx := context.Background()
	long := func(c byte, n int) string { return strings.Repeat(string(c), n) }
	takenEmail := "t" + long('a', 200) + "@example.com"
	cases := []struct {
		name   string
		req    apitest.Request
		status int
		input  string
	}{
		{"email taken on create", apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"` + takenEmail + `"}`}, 409, takenEmail},
		{"email taken on update", apitest.Request{Method: "PATCH", Path: "/users/1", Body: `{"email":"` + takenEmail + `"}`}, 409, takenEmail},
		{"invalid email", apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"` + long('b', 196) + `"}`}, 400, long('b', 196)},
		{"email with a space", apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"` + long('c', 100) + ` @example.com"}`}, 400, long('c', 100)},
		{"invalid email in a bulk item", apitest.Request{Method: "POST", Path: "/users/bulk", Body: `[{"name":"X","email":"` + long('d', 196) + `"}]`}, 400, long('d', 196)},
		{"unknown field", apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","email":"x@example.com","` + long('k', 5000) + `":1}`}, 400, long('k', 5000)},
		{"number beyond an integer", apitest.Request{Method: "POST", Path: "/users", Body: `{"name":"X","age":` + long('7', 5000) + `,"email":"x@example.com"}`}, 400, long('7', 5000)},
		{"content type", apitest.Request{Method: "POST", Path: "/users", Body: `{}`, ContentType: "text/" + long('p', 300)}, 415, long('p', 300)},
		{"path", apitest.Request{Method: "GET", Path: "/" + long('q', 300)}, 404, long('q', 300)},
	}
	for _, name := range arms.Names() {
		t.Run("arm="+name, func(t *testing.T) {
			s := apitest.MustServeSeeded(t, name, apitest.Options{}, apitest.Nine,
				`INSERT INTO users (name, email) VALUES ('Taken', '`+takenEmail+`')`)
			for _, c := range cases {
				rep := s.Send(ctx, c.req)
				code, msg := rep.APIError()
				if rep.Status != c.status || code == "" {
					t.Errorf("%s: %s; want %d with a JSON error", c.name, rep, c.status)
					continue
				}
				if strings.Contains(msg, c.input[:crudbench.MaxEcho+1]) {
					t.Errorf("%s: the message quotes more than %d bytes of the input: %.200q", c.name, crudbench.MaxEcho, msg)
				}
				if !strings.Contains(msg, c.input[:crudbench.MaxEcho/2]) {
					t.Errorf("%s: the message does not quote the input at all: %.200q", c.name, msg)
				}
				checkMessage(t, c.name, msg)
			}
		})
	}
}

// TestReadTimeoutIs408 stalls in the middle of a body on every arm and
// variant: the answer is 408 with a JSON error that names no address, and
// nothing is written.
func TestReadTimeoutIs408(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for _, name := range arms.Names() {
		t.Run("arm="+name, func(t *testing.T) {
			var logs logBuffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			s, mon := apitest.MustServeWatched(t, name, apitest.Options{Timeout: timeout, Logger: logger}, apitest.Nine)
			for _, req := range []apitest.Request{
				{Method: "PATCH", Path: "/users/1", Body: `{"name":"Stalled"}`},
				{Method: "POST", Path: "/users", Body: `{"name":"Stalled","email":"stalled@example.com"}`},
			} {
				conn, err := net.Dial("tcp", s.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				raw := rawRequest(req)
				if _, err := io.WriteString(conn, raw[:len(raw)-len(req.Body)/2]); err != nil {
					t.Fatal(err)
				}
				conn.SetReadDeadline(time.Now().Add(timeout + settle))
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				if err != nil {
					conn.Close()
					t.Fatalf("%s stalled: no answer: %v", &req, err)
				}
				body, _ := io.ReadAll(resp.Body)
				conn.Close()
				rep := apitest.Reply{Status: resp.StatusCode, Body: body}
				code, msg := rep.APIError()
				if rep.Status != http.StatusRequestTimeout || code == "" || resp.Header.Get("Content-Type") != "application/json" {
					t.Errorf("%s stalled: %s; want 408 with a JSON error", &req, rep)
				}
				checkMessage(t, req.String(), msg)
			}
			var n int
			if err := mon.QueryRow(context.Background(), `SELECT count(*) FROM users WHERE name = 'Stalled'`).Scan(&n); err != nil || n != 0 {
				t.Errorf("stalled requests wrote %d rows (err %v)", n, err)
			}
			if strings.Contains(logs.String(), "level=ERROR") {
				t.Errorf("a stalled client was logged as an error:\n%s", logs.String())
			}
		})
	}
}

// TestConnectionRefusedIs503 serves every arm and variant as a role whose
// database's CONNECTION LIMIT is already reached, with pools that hold no
// live connection: every request is 503 with a JSON error, no ERROR is
// logged and one WARN says so for the episode; once the limit is lifted
// the same server answers again, without a restart.
func TestConnectionRefusedIs503(t *testing.T) {
	ctx := context.Background()
	for i, name := range arms.Names() {
		t.Run("arm="+name, func(t *testing.T) {
			dsn := apitest.MustDatabase(t, apitest.Nine)
			u, err := url.Parse(dsn)
			if err != nil {
				t.Fatal(err)
			}
			db := strings.TrimPrefix(u.Path, "/")
			role := fmt.Sprintf("crudbench_limited_%d_%d", time.Now().UnixNano(), i)
			if err := pgtest.Exec(ctx, dsn, fmt.Sprintf(`CREATE ROLE %s LOGIN PASSWORD 'limited'`, role)); err != nil {
				t.Skipf("cannot create a role on this server: %v", err)
			}
			t.Cleanup(func() {
				for _, stmt := range []string{"DROP OWNED BY " + role, "DROP ROLE " + role} {
					if err := pgtest.Exec(ctx, dsn, stmt); err != nil {
						t.Error(err)
					}
				}
			})
			apitest.MustExec(t, dsn, "GRANT ALL ON ALL TABLES IN SCHEMA public TO "+role,
				"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO "+role)
			u.User = url.UserPassword(role, "limited")
			var logs logBuffer
			logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
			s := apitest.MustServe(t, name, u.String(), apitest.Options{Logger: logger})
			// The limit counts every backend of the database; the holder
			// (a superuser, which the limit does not stop) takes the only
			// slot. Connections the arm opened at start (gorm pings) are
			// ended, so every request must open one and be refused.
			holder := apitest.MustConnect(t, dsn, "crudbench-slot-holder")
			apitest.MustExec(t, dsn, fmt.Sprintf(`ALTER DATABASE %q CONNECTION LIMIT 1`, db))
			if _, err := holder.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1`, role); err != nil {
				t.Fatal(err)
			}
			apitest.Eventually(t, settle, func() (bool, string) {
				var n int
				if err := holder.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE usename = $1`, role).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n == 0, fmt.Sprintf("%d backends of the arm left", n)
			})
			reqs := []apitest.Request{
				apitest.Get("/users/1"),
				{Method: "POST", Path: "/users", Body: `{"name":"Refused","email":"refused@example.com"}`},
				{Method: "PATCH", Path: "/users/bulk", Body: updateItems(3)},
				apitest.Get("/users?limit=5"),
			}
			var wg sync.WaitGroup
			replies := make([]apitest.Reply, 4*len(reqs))
			for j := range replies {
				wg.Go(func() { replies[j] = s.Send(ctx, reqs[j%len(reqs)]) })
			}
			wg.Wait()
			for j, rep := range replies {
				code, msg := rep.APIError()
				if rep.Err != nil || rep.Status != 503 || code != crudbench.EUNAVAILABLE {
					t.Errorf("%s with connections refused: %s; want 503 unavailable", &reqs[j%len(reqs)], rep)
				}
				checkMessage(t, reqs[j%len(reqs)].String(), msg)
			}
			log := logs.String()
			if strings.Contains(log, "level=ERROR") {
				t.Errorf("refused connections were logged as errors:\n%s", log)
			}
			if n := strings.Count(log, "level=WARN"); n != 1 {
				t.Errorf("%d WARN lines for one episode of refused connections, want 1:\n%s", n, log)
			}
			apitest.MustExec(t, dsn, fmt.Sprintf(`ALTER DATABASE %q CONNECTION LIMIT -1`, db))
			apitest.Eventually(t, settle, func() (bool, string) {
				rep := s.Send(ctx, apitest.Get("/users/1"))
				return rep.Status == 200, fmt.Sprintf("after the limit was lifted: %s", rep)
			})
			var n int
			if err := holder.QueryRow(ctx, `SELECT count(*) FROM users WHERE name = 'Refused'`).Scan(&n); err != nil || n != 0 {
				t.Errorf("refused requests wrote %d rows (err %v)", n, err)
			}
			if !strings.Contains(logs.String(), "database available again") {
				t.Errorf("the end of the episode was not logged:\n%s", logs.String())
			}
		})
	}
}
