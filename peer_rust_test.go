package crudbench_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/crudbench/crudbench/internal/peer"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The Rust peer's conformance, its deviations (testdata/peers/rust.deviations)
// and its answer without PostgreSQL are checked with every peer's, by
// TestPeerConformance and TestPeerUnavailable; this file adds what is
// particular to it.

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
	spec, ok := peer.Lookup("rust")
	if !ok {
		t.Fatal("the rust peer is not registered")
	}
	skipMissing(t, spec)
	rdsn := apitest.MustDatabase(t, apitest.Trio)
	rust := apitest.Remote("rust", peer.MustStart(t, spec, rdsn).URL, rdsn)
	defer rust.Close()
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
