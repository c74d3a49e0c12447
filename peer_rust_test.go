package crudbench_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// rustInstall is the command that installs what the Rust peer builds with.
const rustInstall = "apt-get install -y rustc cargo librust-tokio-dev librust-hyper-dev librust-tokio-postgres-dev"

// buildRustPeer builds peers/rust offline with Debian's cargo and returns
// the binary, or skips the test with the install command when cargo or the
// crates are missing.
func buildRustPeer(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/usr/bin/cargo"); err != nil {
		t.Skipf("the Rust peer needs Debian's cargo: %s", rustInstall)
	}
	for _, c := range []string{"hyper-0.14", "tokio-postgres-0.7", "tokio-1."} {
		if m, _ := filepath.Glob("/usr/share/cargo/registry/" + c + "*"); len(m) == 0 {
			t.Skipf("the Rust peer needs the crate %s from Debian: %s", strings.TrimSuffix(c, "-"), rustInstall)
		}
	}
	dir, err := filepath.Abs(filepath.Join("peers", "rust"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("/usr/bin/cargo", "build", "--release", "--offline", "--quiet")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the Rust peer: %v\n%s", err, out)
	}
	return filepath.Join(dir, "target", "release", "crudbench-peer")
}

// startRustPeer starts the binary on a free port against dsn and returns
// its base URL once it listens; it is stopped when t ends (SIGTERM, then
// killed after 5 s: the peer starts no processes of its own).
func startRustPeer(t *testing.T, bin, dsn string) string {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "CRUDBENCH_ADDR=127.0.0.1:0", "CRUDBENCH_DSN="+dsn)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the Rust peer: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening on "); ok {
				addr <- a
			}
			fmt.Fprintln(os.Stderr, "rust peer:", sc.Text())
		}
	}()
	select {
	case a := <-addr:
		return "http://" + a
	case <-time.After(30 * time.Second):
		t.Fatal("the Rust peer did not say where it listens within 30 s")
	}
	return ""
}

// rustDeviations are the conformance cases the Rust peer answers
// differently, at the transport level only, with the reason and the status
// it answers instead. The test fails on any other difference and on a
// listed case that no longer differs.
var rustDeviations = map[string]struct {
	status int
	reason string
}{
	"read/include-100KB-message-truncated": {http.StatusRequestURITooLong, "hyper's request target (the http crate's Uri) is at most 65,534 bytes: longer ones get 414 with no body before any handler runs"},
	"path/100KB-message-truncated":         {http.StatusRequestURITooLong, "as read/include-100KB-message-truncated: the path is over the http crate's Uri limit"},
}

// TestRustPeerConformance runs the conformance cases against the Rust peer
// over HTTP and compares each answer and the database with the golden file,
// apart from rustDeviations.
func TestRustPeerConformance(t *testing.T) {
	bin := buildRustPeer(t)
	dsn := apitest.MustDatabase(t, apitest.Trio)
	base := startRustPeer(t, bin, dsn)
	s := &apitest.Server{Name: "rust", DSN: dsn, URL: base, Client: &http.Client{}}
	db := mustPool(t, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if rep := apitest.Send(ctx, s.Client, base, &apitest.Request{Method: "GET", Path: "/healthz"}, nil); rep.Err != nil || rep.Status != http.StatusOK {
		t.Fatalf("healthz: %s", rep)
	}
	for _, c := range conformanceCases {
		t.Run(c.name, func(t *testing.T) {
			golden := filepath.Join("testdata", "conformance", strings.ReplaceAll(c.name, "/", "_")+".golden")
			want, err := os.ReadFile(golden)
			if errors.Is(err, os.ErrNotExist) {
				t.Skipf("no golden file %s", golden)
			} else if err != nil {
				t.Fatal(err)
			}
			for _, l := range layouts {
				if l.sql != nil && !c.plans {
					continue
				}
				got := runCase(t, s, db, c, l.sql)
				if dev, ok := rustDeviations[c.name]; ok {
					if got.String() == string(want) {
						t.Errorf("listed as a deviation (%s) but now answers as the golden file: drop it from rustDeviations", dev.reason)
					} else if got.status != dev.status {
						t.Errorf("listed deviation (%s): status %d, want %d", dev.reason, got.status, dev.status)
					}
					continue
				}
				if got.String() != string(want) {
					t.Errorf("layout=%s: %s differs from %s:\n--- got\n%s\n--- want\n%s", l.name, &c.req, golden, got, want)
				}
			}
		})
	}
}

// rustEdgeCases are requests beyond the conformance cases whose answers
// depend on details of Go's JSON decoding, quoting and routing; the Rust
// peer must answer each exactly as the Go handlers do.
var rustEdgeCases = []apitest.Request{
	apitest.Post("/users", `{"name":"X","email":"x@example.com","age":1e2}`),
	apitest.Post("/users", `{"name":"X","email":"x@example.com","age":150.0}`),
	apitest.Post("/users", `{"name":"X","email":"x@example.com","age":-0}`),
	apitest.Post("/users", `{"name":"A","name":"B","email":"dup@example.com"}`),
	apitest.Post("/users", `{"NAME":"Up","Email":"up@example.com","aGe":3}`),
	apitest.Post("/users", `{"name":"<b>&amp;</b> \u2028\u2029","email":"html@example.com"}`),
	apitest.Post("/users", `{"name":"pair \ud83d\ude80 lone \udc00 high \ud800\u0041","email":"sur@example.com"}`),
	apitest.Post("/users", `{"name":"esc \" \\ \/ \b \f \n \r \t","email":"esc@example.com"}`),
	apitest.Post("/users", `{"name":{"a":1},"email":"x@example.com"}`),
	apitest.Post("/users", `{"name":"X","email":"x@example.com","age":null}`),
	apitest.Post("/users", `{"name":"X","email":"x@example.com","age":true}`),
	apitest.Post("/users", `{"name":"X","email":"x@example.com","age":[1]}`),
	apitest.Post("/users", `{"name":"X","email":"x@example.com","age":9223372036854775807}`),
	apitest.Post("/users", `"just a string"`),
	apitest.Post("/users", `42`),
	apitest.Post("/users", `42 43`),
	apitest.Post("/users", `5x`),
	apitest.Post("/users", `tru`),
	apitest.Post("/users", `trux`),
	apitest.Post("/users", `nul`),
	apitest.Post("/users", `{"name":"X" "email":"x"}`),
	apitest.Post("/users", `{"name":01}`),
	apitest.Post("/users", `{"name":-}`),
	apitest.Post("/users", `{"name":1.}`),
	apitest.Post("/users", `{"name":1e}`),
	apitest.Post("/users", `{"name":"\x"}`),
	apitest.Post("/users", `{"name":"\u12G4"}`),
	apitest.Post("/users", `{é}`),
	apitest.Post("/users", "{\"name\":\"x\"}\u00a0"),
	apitest.Post("/users", "\u00a0\u2003"),
	apitest.Post("/users", `[`+strings.Repeat("[", 10001)),
	apitest.Post("/users", `{"name":"Q","email":"q\u00a0@example.com"}`),
	apitest.Post("/users", `{"name":"Q","email":"q\ud800@example.com"}`),
	apitest.Post("/users", `{"name":"Q","email":"q\u0085@example.com"}`),
	apitest.Post("/users", `{"name":"Q","email":"q😀\u00ad@example.com"}`),
	apitest.Post("/users", `{"name":"Q","email":"q\u007f@example.com"}`),
	apitest.Post("/users/bulk", `[null]`),
	apitest.Post("/users/bulk", `[1]`),
	apitest.Post("/users/bulk", `[[]]`),
	apitest.Post("/users/bulk", `"x"`),
	apitest.Post("/users/bulk", `[{"name":"X","email":"x@example.com"}] 1`),
	apitest.Patch("/users/bulk", `[{"id":1,"age":1},{"id":2,"email":"ADA@example.com"}]`),
	apitest.Patch("/users/bulk", `[{"id":1e0,"age":1}]`),
	apitest.Patch("/users/bulk", `[{"id":1,"name":null,"age":2}]`),
	apitest.Patch("/users/1", `{"age":5,"age":null}`),
	apitest.Patch("/users/1", `null`),
	{Method: "POST", Path: "/users", Body: `{"name":"P","email":"p@example.com"}`, ContentType: "application/json;"},
	{Method: "POST", Path: "/users", Body: `{"name":"P","email":"p2@example.com"}`, ContentType: ` application/json ; charset="utf-8"`},
	{Method: "POST", Path: "/users", Body: `{"name":"P","email":"p@example.com"}`, ContentType: "application/json; charset=utf-8; charset=utf-8"},
	{Method: "POST", Path: "/users", Body: `{"name":"P","email":"p@example.com"}`, ContentType: "application/json; foo=bar"},
	{Method: "POST", Path: "/users", Body: `{"name":"P","email":"p@example.com"}`, ContentType: "application"},
	{Method: "POST", Path: "/users", Body: `{"name":"P","email":"p@example.com"}`, ContentType: "application/json/x"},
	{Method: "POST", Path: "/users", Body: `{"name":"P","email":"p@example.com"}`, ContentType: "application/json; charset=\"utf-16\""},
	apitest.Get("/users?limit=+2"),
	apitest.Get("/users?limit=2&limit=3"),
	apitest.Get("/users?after=1&after=x"),
	apitest.Get("/users?limit=%2B2"),
	apitest.Get("/users?limit=%"),
	apitest.Get("/users?limit=%4"),
	apitest.Get("/users?x=%zz&y=;"),
	apitest.Get("/users/bulk?ids=%2B1"),
	apitest.Get("/users/bulk?ids=1&ids=2"),
	apitest.Get("/users/bulk?ids=" + strings.Repeat("1", 60)),
	apitest.Get("/users/%FF"),
	apitest.Get("/users/1?include=%FF%FE"),
	apitest.Get("/users/1?include=" + strings.Repeat("%C3%A9", 30)),
	apitest.Get("/%F0%9F%9A%80"),
	apitest.Get("/users/1/posts/2"),
	apitest.Get("/users/bulk/posts"),
	apitest.Post("/users/bulk/posts", `{"title":"T"}`),
	{Method: "PUT", Path: "/accounts"},
	{Method: "PROPFIND", Path: "/users/1/posts"},
	apitest.Delete("/users/0001"),
	apitest.Delete("/users/+2"),
}

// mustPool opens a pool on dsn that runCase resets and reads through,
// closed when the test ends.
func mustPool(t *testing.T, dsn string) *pgxpool.Pool {
	t.Helper()
	db, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatalf("opening a pool on %s: %v", dsn, err)
	}
	t.Cleanup(db.Close)
	return db
}

// TestRustPeerMatchesGo sends rustEdgeCases to the Rust peer and to the Go
// pgx arm, each on its own database, and compares status, Allow, body and
// database state.
func TestRustPeerMatchesGo(t *testing.T) {
	bin := buildRustPeer(t)
	rdsn := apitest.MustDatabase(t, apitest.Trio)
	rust := &apitest.Server{Name: "rust", DSN: rdsn, URL: startRustPeer(t, bin, rdsn), Client: &http.Client{}}
	goArm := apitest.MustServeSeeded(t, "pgx", apitest.Options{}, apitest.Trio)
	rustDB, goDB := mustPool(t, rdsn), mustPool(t, goArm.DSN)
	for i, r := range rustEdgeCases {
		c := conformanceCase{name: fmt.Sprintf("edge-%d", i), req: r}
		want := runCase(t, goArm, goDB, c, nil)
		got := runCase(t, rust, rustDB, c, nil)
		if got.String() != want.String() {
			t.Errorf("%s: Rust peer differs from the Go handlers:\n--- rust\n%s\n--- go\n%s", &r, got, want)
		}
	}
}

// TestRustPeerUnavailable checks that the Rust peer answers 503 with the
// contract's body when PostgreSQL cannot be reached, and that /healthz
// says so.
func TestRustPeerUnavailable(t *testing.T) {
	bin := buildRustPeer(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dsn := "postgres://postgres@" + l.Addr().String() + "/postgres?sslmode=disable&connect_timeout=2"
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	base := startRustPeer(t, bin, dsn)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep := apitest.Send(ctx, http.DefaultClient, base, &apitest.Request{Method: "GET", Path: "/users/1"}, nil)
	if code, msg := rep.APIError(); rep.Err != nil || rep.Status != http.StatusServiceUnavailable || code != "unavailable" ||
		msg != "The database is unavailable; try again shortly." {
		t.Errorf("GET /users/1 without PostgreSQL: %s, want 503 unavailable", rep)
	}
	if rep := apitest.Send(ctx, http.DefaultClient, base, &apitest.Request{Method: "GET", Path: "/healthz"}, nil); rep.Status != http.StatusServiceUnavailable {
		t.Errorf("GET /healthz without PostgreSQL: %s, want 503", rep)
	}
}
