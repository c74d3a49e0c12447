package crudbench_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/httpapi"
	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/crudbench/crudbench/internal/peer"
	"github.com/jackc/pgx/v5/pgxpool"
)

// TestPeerConformance runs every conformance case over HTTP on every peer
// (servers of the contract in other languages, started by internal/peer),
// each on a database of its own. A peer must give the golden answer and
// database state of every case except those listed in its deviation file,
// testdata/peers/<peer>.deviations; a listed case that no longer deviates
// fails too, so that the list stays true. Then, on the same peer, the
// decoding comparison of checkDecoding. CRUDBENCH_PEERS, a regular
// expression, picks peers by name (all when unset; '^$' picks none). A
// peer whose language is not installed is skipped with the command that
// installs it.
func TestPeerConformance(t *testing.T) {
	for _, spec := range pickPeers(t) {
		t.Run(spec.Name, func(t *testing.T) {
			skipMissing(t, spec)
			t.Parallel() // each on its own database; most of the time is spent waiting
			dsn := apitest.MustDatabase(t)
			s := apitest.Remote(spec.Name, peer.MustStart(t, spec, dsn).URL, dsn)
			defer s.Close()
			t.Run("cases", func(t *testing.T) {
				checkTarget(t, s, filepath.Join("testdata", "peers", spec.Name+".deviations"))
			})
			t.Run("decoding", func(t *testing.T) {
				apitest.MustReset(t, dsn, apitest.Trio)
				checkDecoding(t, s)
			})
		})
	}
}

// skipMissing skips t when what spec needs is not installed, saying how
// to install it; with CRUDBENCH_PEERS_REQUIRED set (as in CI) it fails.
func skipMissing(t *testing.T, spec peer.Spec) {
	t.Helper()
	if why := spec.Missing(); why != "" {
		if os.Getenv("CRUDBENCH_PEERS_REQUIRED") != "" {
			t.Fatal(why)
		}
		t.Skip(why)
	}
}

// pickPeers returns the registered peers CRUDBENCH_PEERS picks.
func pickPeers(t *testing.T) []peer.Spec {
	pick, err := regexp.Compile(os.Getenv("CRUDBENCH_PEERS"))
	if err != nil {
		t.Fatalf("CRUDBENCH_PEERS: %v", err)
	}
	var out []peer.Spec
	for _, spec := range peer.All() {
		if pick.MatchString(spec.Name) {
			out = append(out, spec)
		}
	}
	return out
}

// TestPeerUnavailable starts every peer on a database that does not
// answer (a closed port): the peer must still become ready, and answer a
// call of the API with 503 and the unavailable error, as the arms do.
func TestPeerUnavailable(t *testing.T) {
	for _, spec := range pickPeers(t) {
		t.Run(spec.Name, func(t *testing.T) {
			skipMissing(t, spec)
			t.Parallel()
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			dsn := fmt.Sprintf("postgres://crudbench@%s/none?sslmode=disable&connect_timeout=2", l.Addr())
			l.Close()
			p := peer.MustStart(t, spec, dsn)
			s := apitest.Remote(spec.Name, p.URL, dsn)
			defer s.Close()
			rep := s.Send(context.Background(), apitest.Get("/users/1"))
			if code, _ := rep.APIError(); rep.Err != nil || rep.Status != 503 || code != "unavailable" || rep.Header.Get("Content-Type") != "application/json" {
				t.Errorf("GET /users/1 with the database down: %s, Content-Type %q; want 503 with code unavailable in JSON", rep, rep.Header.Get("Content-Type"))
			}
		})
	}
}

// TestConformanceTarget runs every conformance case on a server that is
// already running: CRUDBENCH_TARGET_URL is its base URL and
// CRUDBENCH_TARGET_DSN the database it serves (which the test empties and
// fills for each case); CRUDBENCH_TARGET_DEVIATIONS, optionally, a
// deviation file. Without CRUDBENCH_TARGET_URL it is skipped.
func TestConformanceTarget(t *testing.T) {
	url, dsn := os.Getenv("CRUDBENCH_TARGET_URL"), os.Getenv("CRUDBENCH_TARGET_DSN")
	if url == "" {
		t.Skip("set CRUDBENCH_TARGET_URL and CRUDBENCH_TARGET_DSN to run the conformance suite on a running server")
	}
	if dsn == "" {
		t.Fatal("CRUDBENCH_TARGET_URL is set but CRUDBENCH_TARGET_DSN, the database the server serves, is not")
	}
	s := apitest.Remote("target", strings.TrimSuffix(url, "/"), dsn)
	defer s.Close()
	checkTarget(t, s, os.Getenv("CRUDBENCH_TARGET_DEVIATIONS"))
}

// checkTarget runs every case on s, a server reached over HTTP, and checks
// it against the golden files and the deviation list in file (none when
// file is empty or does not exist).
func checkTarget(t *testing.T, s *apitest.Server, file string) {
	listed, err := readDeviations(file)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	db := mustPool(t, s.DSN)
	for _, c := range conformanceCases {
		known[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			diff := targetDiff(t, s, db, c)
			_, ok := listed[c.name]
			switch {
			case diff != "" && !ok:
				t.Errorf("%s: %s", s.Name, diff)
			case diff == "" && ok:
				t.Errorf("%s: listed as a deviation in %s (%s) but answers as the golden file says: remove it from the list", s.Name, file, listed[c.name])
			case diff != "":
				t.Logf("%s: known deviation (%s): %s", s.Name, listed[c.name], diff)
			}
		})
	}
	for name := range listed {
		if !known[name] {
			t.Errorf("%s lists %q, which is no conformance case", file, name)
		}
	}
}

// targetDiff runs c on s on every layout it needs and returns how the
// answers differ from the golden file, or "" when they do not.
func targetDiff(t *testing.T, s *apitest.Server, db *pgxpool.Pool, c conformanceCase) string {
	golden := filepath.Join("testdata", "conformance", strings.ReplaceAll(c.name, "/", "_")+".golden")
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("reading golden file: %v", err)
	}
	var diffs []string
	for _, l := range layouts {
		if l.sql != nil && !c.plans {
			continue
		}
		got, problem := remoteCase(t, s, db, c, l.sql)
		switch {
		case problem != "":
			diffs = append(diffs, fmt.Sprintf("layout=%s: %.120s: %s", l.name, c.req.String(), problem))
		case got.String() != string(want):
			diffs = append(diffs, fmt.Sprintf("layout=%s: %.120s differs from %s:\n--- got\n%s\n--- want\n%s", l.name, c.req.String(), golden, got, want))
		}
	}
	return strings.Join(diffs, "\n")
}

// remoteCase is runCase for a server over HTTP: what a test arm must not
// do fails the test, what a peer does differently (no answer, another
// Content-Type, a failing setup) is returned as a problem, to be checked
// against the deviation list.
func remoteCase(t *testing.T, s *apitest.Server, db *pgxpool.Pool, c conformanceCase, layout []string) (outcome, string) {
	t.Helper()
	resetCase(t, s, db, c, layout)
	for _, r := range c.setup {
		if rep := s.Send(context.Background(), r); rep.Err != nil || rep.Status >= 300 {
			return outcome{}, fmt.Sprintf("setup %s: %s", &r, rep)
		}
	}
	rep := s.Send(context.Background(), c.req)
	if rep.Err != nil {
		return outcome{}, fmt.Sprintf("no answer: %v", rep.Err)
	}
	got := outcome{status: rep.Status, allow: rep.Header.Get("Allow"), body: normalise(rep.Body), db: dumpDB(t, db)}
	switch c.req.Method {
	case "POST", "PATCH", "PUT", "DELETE":
		got.stamps = dumpTimestamps(t, db, rep.Body)
	}
	if ct := rep.Header.Get("Content-Type"); len(rep.Body) > 0 && ct != "application/json" {
		return got, fmt.Sprintf("Content-Type %q, want application/json; answer:\n%s", ct, got)
	}
	return got, ""
}

// readDeviations reads a deviation list: one case a line, its name, then
// after white space the reason it deviates (required); # starts a comment.
// A missing file is an empty list.
func readDeviations(file string) (map[string]string, error) {
	out := map[string]string{}
	if file == "" {
		return out, nil
	}
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return out, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading deviations: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, reason, _ := strings.Cut(line, " ")
		if reason = strings.TrimSpace(reason); reason == "" {
			return nil, fmt.Errorf("%s:%d: %q gives no reason; write the case name, a space and why it deviates", file, n, name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("%s:%d: %q is listed twice", file, n, name)
		}
		out[name] = reason
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading deviations %s: %w", file, err)
	}
	return out, nil
}

// TestReadDeviations checks the deviation list's format: reasons are
// required, duplicates and comments are handled.
func TestReadDeviations(t *testing.T) {
	dir := t.TempDir()
	write := func(s string) string {
		p := filepath.Join(dir, fmt.Sprint(len(s))+".deviations")
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	got, err := readDeviations(write("# comment\n\nmethod/connect gunicorn answers CONNECT itself\npath/unknown  x\n"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for n := range got {
		names = append(names, n+"="+got[n])
	}
	sort.Strings(names)
	if want := "method/connect=gunicorn answers CONNECT itself path/unknown=x"; strings.Join(names, " ") != want {
		t.Errorf("got %q, want %q", strings.Join(names, " "), want)
	}
	for _, bad := range []string{"method/connect\n", "a x\na y\n"} {
		if _, err := readDeviations(write(bad)); err == nil {
			t.Errorf("%q: accepted", bad)
		}
	}
	if got, err := readDeviations(filepath.Join(dir, "none")); err != nil || len(got) != 0 {
		t.Errorf("missing file: %v, %v; want an empty list", got, err)
	}
}

// decodeBodies are request bodies beyond the conformance cases that the
// API refuses before any data access: JSON edge cases (numbers, escapes,
// nesting, duplicate and case-folded keys, trailing data) on which a
// peer's decoding must give Go's very message.
var decodeBodies = []string{
	`{"age":1e3}`, `{"age":-0}`, `{"age":1.0}`, `{"age":-1e-3}`, `{"age":01}`, `{"age":-}`, `{"age":1.}`, `{"age":1e}`, `{"age":1e+}`,
	`{"age":.5}`, `{"age":+1}`, `{"age":NaN}`, `{"age":Infinity}`, `{"age":tru}`, `{"age":nul}`, `{"age":fals}`, `{"age":true}`,
	`{"NAME":"","email":"x@example.com"}`, `{"Name":"X","name":"","email":"x@example.com"}`, `{"name":"X","name":5}`,
	`{"name":"\q"}`, `{"name":"\u12"}`, `{"name":"\u12zz"}`, `{"name":"a` + "\t" + `"}`, `{"name" "X"}`, `{"name":"X" "email":"y"}`,
	`{"name":"X",}`, `[1,]`, `[,1]`, `{,}`, `{"a":1`, `{"a"`, `{"a":`, `[`, `"abc`, `tr`, `nu`, `-`, `1 2`, `"x"`, `12`, `true`,
	`[1]`, `[null]`, `[[]]`, `[{"name":1},{"email":2}]`, `[{"admin":1},{"name":2}]`, `{"age":{"a":1}}`, `{"name":[1,2]}`,
	`{"name":null,"email":null}`, `{"name":"X","email":"x@example.com","age":null}`, `{"email":"é@é","name":"\u00e9"}`,
	strings.Repeat("[", 200) + strings.Repeat("]", 200), strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001), "[" + strings.Repeat(`{"a":`, 9999) + "1" + strings.Repeat("}", 9999) + "]",
	strings.Repeat(`{"a":`, 50) + "1" + strings.Repeat("}", 50),
	`{"title":"T","body":5}`, `{"title":["T"]}`, `{"title":"T","user_id":"2"}`, `{"id":1.5,"age":1}`, `{"id":-1,"age":1}`,
	`[{"id":1,"age":1},{"id":2,"age":1.5}]`, `[{"id":1},{"id":2,"x":1}]`, "\ufeff{}", "{}\x00", `{"name":"\ud83d\ude80"}`, `{"a":"\/"}`,
}

// refusedPaths are paths and queries beyond the conformance cases that
// the API refuses before any data access: signs, leading zeros, empty and
// repeated parameters, escapes, separators.
var refusedPaths = []string{
	"/users?limit=+5&after=-0", "/users?limit=05&after=x", "/users?after=+0&limit=0", "/users?limit=1&limit=x", "/users?limit=x&limit=1",
	"/users?%zz=1", "/users?a=%2", "/users?a=%", "/users?limit=%31%30%30%31", "/users?limit=1e3", "/users?limit=%20%31",
	"/users?limit=1;", "/users?a;b=1", "/users?&&limit=0&&", "/users?limit==1", "/users?limit", "/users?LIMIT=1&limit=0",
	"/users/bulk?ids=+1,1", "/users/bulk?ids=1,,2", "/users/bulk?ids=,", "/users/bulk?ids=1,2,", "/users/bulk?ids=%2C1",
	"/users/bulk?ids=01,1", "/users/bulk?ids=1&ids=", "/users/bulk?ids=" + strings.Repeat("9", 30), "/users/bulk?ids=1+2",
	"/users/+0", "/users/00", "/users/1?include=", "/users/1?include=POSTS", "/users/1?include=posts&include=x",
	"/users/1?include=posts%00", "/users/%E2%82%AC", "/users/%FF", "/users/1%2F2", "/users/" + strings.Repeat("%C3%A9", 30),
}

// absentStore panics when called: its methods are those of a nil Store.
type absentStore struct{ crudbench.Store }

// checkDecoding sends decodeBodies to every write route, and GET and
// DELETE of refusedPaths, to s and to the Go handler, and requires the
// same status and body wherever Go refuses the request before data access.
func checkDecoding(t *testing.T, s *apitest.Server) {
	routes := []struct{ method, path string }{
		{"POST", "/users"}, {"PATCH", "/users/1"}, {"POST", "/users/bulk"}, {"PATCH", "/users/bulk"}, {"POST", "/users/1/posts"},
	}
	goAnswer := func(r apitest.Request) (rep *httptest.ResponseRecorder) {
		defer func() {
			if recover() != nil {
				rep = nil // the handler reached the (absent) store
			}
		}()
		req := httptest.NewRequest(r.Method, r.Path, strings.NewReader(r.Body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		httpapi.NewHandler(absentStore{}, httpapi.Options{}).ServeHTTP(rec, req)
		return rec
	}
	compared := 0
	compare := func(r apitest.Request) {
		want := goAnswer(r)
		if want == nil || want.Code < 400 || want.Code == 404 || want.Code == 409 {
			return
		}
		compared++
		got := s.Send(context.Background(), r)
		if got.Err != nil || got.Status != want.Code || normalise(got.Body) != normalise(want.Body.Bytes()) {
			t.Errorf("%s %.80s %.80q: got %s; Go answers %d: %s", r.Method, r.Path, r.Body, got, want.Code, strings.TrimSpace(want.Body.String()))
		}
	}
	for _, rt := range routes {
		for _, body := range decodeBodies {
			compare(apitest.Request{Method: rt.method, Path: rt.path, Body: body})
		}
	}
	for _, path := range refusedPaths {
		compare(apitest.Request{Method: "GET", Path: path})
		compare(apitest.Request{Method: "DELETE", Path: path})
	}
	if compared < len(decodeBodies)+len(refusedPaths) {
		t.Errorf("only %d answers compared: Go refuses too few of the bodies, the test is broken", compared)
	}
}
