package crudbench_test

// The benchmark suite. Every benchmark sends real HTTP requests through the
// same handlers (httpapi) to one arm at a time, on a seeded database of its
// own; only the data access differs between arms.
//
//	BenchmarkCRUD/arm=pgx/op=read          one request per iteration
//	BenchmarkBulk/arm=ent/op=create/n=100  one bulk request of n rows
//	BenchmarkRelation/arm=sql/posts=10     a user with its posts, eager
//	BenchmarkParallel/arm=pgx/op=read/conc=16
//	BenchmarkFloor/op=http-noop            what is physically possible here
//
// Setup, seeding and restores happen outside the timed region; each
// benchmark leaves the database as it found it.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/arms"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/jackc/pgx/v5/pgxpool"
)

// benchArm is one arm served over HTTP on its own seeded database.
type benchArm struct {
	*armServer
	admin  *pgxpool.Pool // untraced: preparation and restores
	client *http.Client
}

// suite is shared by all benchmarks of a run; it is built on first use.
var suite struct {
	once  sync.Once
	err   error
	rows  int
	arms  []*benchArm
	floor *pgxpool.Pool // the floor benchmarks' pool, on a seeded database of its own
}

// Relation users: ids 1..relUsers have 10 posts each, the next relUsers
// have 100 each.
const relUsers = 100

func benchSetup(b *testing.B) {
	b.Helper()
	suite.once.Do(func() { suite.err = buildSuite(b) })
	if suite.err != nil {
		b.Fatal(suite.err)
	}
}

func buildSuite(b *testing.B) error {
	rows, err := seededRows()
	if err != nil {
		return err
	}
	suite.rows = rows
	ctx := context.Background()
	seed, err := pgtest.SharedDatabase("")
	if err != nil {
		return err
	}
	for _, stmt := range seedSQL(rows) {
		if err := pgtest.Exec(ctx, seed, stmt); err != nil {
			return fmt.Errorf("seeding %d users: %w", rows, err)
		}
	}
	for _, name := range append(slices.Clone(arms.Names), "floor") {
		dsn, err := pgtest.SharedDatabase(seed)
		if err != nil {
			return err
		}
		if name == "floor" {
			// Traced like the arms' pools, so the floor carries the same
			// per-statement overhead.
			floor, err := dbconf.NewPool(ctx, dsn, new(dbconf.QueryCounter))
			if err != nil {
				return err
			}
			pgtest.AtExit(floor.Close)
			suite.floor = floor
			continue
		}
		admin, err := dbconf.NewPool(ctx, dsn, nil)
		if err != nil {
			return err
		}
		pgtest.AtExit(admin.Close)
		as, err := openArm(name, dsn, true)
		if err != nil {
			return err
		}
		pgtest.AtExit(as.close)
		tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, DisableCompression: true}
		pgtest.AtExit(tr.CloseIdleConnections)
		suite.arms = append(suite.arms, &benchArm{armServer: as, admin: admin, client: &http.Client{Transport: tr}})
	}
	return nil
}

func seededRows() (int, error) {
	v := os.Getenv("CRUDBENCH_ROWS")
	if v == "" {
		return 10_000, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 2*relUsers {
		return 0, fmt.Errorf("CRUDBENCH_ROWS=%q: want an integer of at least %d", v, 2*relUsers)
	}
	return n, nil
}

// seedSQL fills a database with rows users whose values follow from their
// id (so restores can recompute them) and the posts of the relation users.
// Autovacuum is off on these tables: restores vacuum them explicitly, so
// background work does not land inside a measurement.
func seedSQL(rows int) []string {
	return []string{
		fmt.Sprintf(`INSERT INTO users (name, email, age) SELECT 'user ' || g, 'user' || g || '@example.com', g %% 100 FROM generate_series(1, %d) g`, rows),
		fmt.Sprintf(`INSERT INTO posts (user_id, title, body) SELECT u, 'post ' || p, repeat('lorem ipsum ', 20) FROM generate_series(1, %d) u, generate_series(1, 10) p ORDER BY u, p`, relUsers),
		fmt.Sprintf(`INSERT INTO posts (user_id, title, body) SELECT u, 'post ' || p, repeat('lorem ipsum ', 20) FROM generate_series(%d, %d) u, generate_series(1, 100) p ORDER BY u, p`, relUsers+1, 2*relUsers),
		`ALTER TABLE users SET (autovacuum_enabled = off)`,
		`ALTER TABLE posts SET (autovacuum_enabled = off)`,
		`VACUUM ANALYZE users`,
		`VACUUM ANALYZE posts`,
	}
}

// restore puts the database back in its seeded state: rows beyond the seed
// deleted, the id sequence rewound, touched rows given their seed values
// again (seeding set updated_at = created_at), dead rows vacuumed. The rows
// are the same; their physical placement may differ.
func restore(b *testing.B, pool *pgxpool.Pool, touched []int64) {
	b.Helper()
	ctx := context.Background()
	stmts := []struct {
		sql  string
		args []any
	}{
		{`DELETE FROM users WHERE id > $1`, []any{suite.rows}},
		{`SELECT setval(pg_get_serial_sequence('users', 'id'), $1)`, []any{suite.rows}},
		{`UPDATE users SET name = 'user ' || id, email = 'user' || id || '@example.com', age = id % 100, updated_at = created_at WHERE id = ANY($1)`, []any{touched}},
		{`VACUUM users`, nil},
	}
	for _, s := range stmts {
		if _, err := pool.Exec(ctx, s.sql, s.args...); err != nil {
			b.Fatalf("restoring seeded state: %s: %v", s.sql, err)
		}
	}
}

// call is one prepared request and how to check its answer.
type call struct {
	method string
	url    string
	body   []byte
	status int
	// want, if set, must occur in the response body.
	want []byte
}

// measurement is what one benchmark run recorded.
type measurement struct {
	lat     []time.Duration // per request, in completion slots
	elapsed time.Duration
	queries int64
}

// runCalls sends calls[i] for i in 0..b.N-1 from conc clients, times each
// request, checks each answer, and reports the suite's metrics. Everything
// it needs is allocated before the timer starts.
func runCalls(b *testing.B, a *benchArm, conc int, calls []call, rowsPerOp int) {
	b.Helper()
	if len(calls) != b.N {
		b.Fatalf("prepared %d calls for %d iterations", len(calls), b.N)
	}
	m := measurement{lat: make([]time.Duration, b.N)}
	var (
		next   atomic.Int64
		failed atomic.Pointer[error]
		wg     sync.WaitGroup
	)
	bufs := make([]bytes.Buffer, conc)
	for i := range bufs {
		bufs[i].Grow(64 << 10)
	}
	var q0 int64
	if a.queries != nil {
		q0 = a.queries.Count()
	}
	runtime.GC() // the garbage of preparing calls is not the arm's
	b.ResetTimer()
	start := time.Now()
	for w := range conc {
		wg.Go(func() {
			buf := &bufs[w]
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N || failed.Load() != nil {
					return
				}
				t0 := time.Now()
				err := a.do(&calls[i], buf)
				m.lat[i] = time.Since(t0)
				if err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		})
	}
	wg.Wait()
	m.elapsed = time.Since(start)
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatalf("arm=%s: %v", a.name, *err)
	}
	if a.queries != nil {
		m.queries = a.queries.Count() - q0
	}
	report(b, m, rowsPerOp, a.queries != nil)
}

// do sends one call and checks its status and body.
func (a *benchArm) do(c *call, buf *bytes.Buffer) error {
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequest(c.method, c.url, body)
	if err != nil {
		return err
	}
	if c.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("%s %.100s: %w", c.method, c.url, err)
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil {
		return fmt.Errorf("%s %.100s: reading body: %w", c.method, c.url, err)
	}
	if resp.StatusCode != c.status {
		return fmt.Errorf("%s %.100s: status %d, want %d: %.300s", c.method, c.url, resp.StatusCode, c.status, buf.Bytes())
	}
	if c.want != nil && !bytes.Contains(buf.Bytes(), c.want) {
		return fmt.Errorf("%s %.100s: body lacks %q: %.300s", c.method, c.url, c.want, buf.Bytes())
	}
	return nil
}

// report adds the custom metrics: latency percentiles, throughput, statements
// per operation and, for bulk calls, time per row.
func report(b *testing.B, m measurement, rowsPerOp int, withQueries bool) {
	slices.Sort(m.lat)
	pct := func(p float64) float64 {
		i := int(p*float64(len(m.lat))+0.5) - 1
		return float64(m.lat[max(0, min(i, len(m.lat)-1))].Nanoseconds())
	}
	b.ReportMetric(pct(0.50), "p50-ns/op")
	b.ReportMetric(pct(0.95), "p95-ns/op")
	b.ReportMetric(pct(0.99), "p99-ns/op")
	b.ReportMetric(float64(b.N)/m.elapsed.Seconds(), "req/s")
	if withQueries {
		b.ReportMetric(float64(m.queries)/float64(b.N), "queries/op")
	}
	if rowsPerOp > 0 {
		b.ReportMetric(float64(m.elapsed.Nanoseconds())/float64(b.N*rowsPerOp), "ns/row")
	}
}

// ids returns n ids drawn from [lo, hi] by a generator seeded with seed, so
// every arm gets the same sequence.
func ids(seed uint64, n int, lo, hi int64) []int64 {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	out := make([]int64, n)
	for i := range out {
		out[i] = lo + r.Int64N(hi-lo+1)
	}
	return out
}

// distinct returns n distinct ids drawn from [lo, hi].
func distinct(r *rand.Rand, n int, lo, hi int64) []int64 {
	seen := make(map[int64]struct{}, n)
	out := make([]int64, 0, n)
	for len(out) < n {
		id := lo + r.Int64N(hi-lo+1)
		if _, ok := seen[id]; !ok {
			seen[id] = struct{}{}
			out = append(out, id)
		}
	}
	return out
}

func idPrefix(id int64) []byte { return []byte(`{"id":` + strconv.FormatInt(id, 10) + `,`) }

// addRows inserts n users beyond the seed for deletes to consume and
// returns their ids in a shuffled order.
func addRows(b *testing.B, pool *pgxpool.Pool, n int, seed uint64) []int64 {
	b.Helper()
	_, err := pool.Exec(context.Background(), `INSERT INTO users (name, email, age)
		SELECT 'extra ' || g, 'extra' || g || '@example.com', g % 100 FROM generate_series(1, $1) g`, n)
	if err != nil {
		b.Fatalf("preparing %d rows to delete: %v", n, err)
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(suite.rows + 1 + i)
	}
	rand.New(rand.NewPCG(seed, 1)).Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// crudCalls prepares b.N single-row requests of op on arm a; touched lists
// the seeded ids the calls change.
func crudCalls(b *testing.B, a *benchArm, op string, seed uint64) (calls []call, touched []int64) {
	base := a.srv.URL + "/users"
	rows := int64(suite.rows)
	calls = make([]call, b.N)
	switch op {
	case "create":
		run := time.Now().UnixNano()
		for i := range calls {
			calls[i] = call{method: "POST", url: base, status: 201,
				want: fmt.Appendf(nil, `"name":"new %d","email":"new%d.%d@example.com"`, i, run, i),
				body: fmt.Appendf(nil, `{"name":"new %d","email":"new%d.%d@example.com","age":%d}`, i, run, i, i%150)}
		}
	case "read":
		for i, id := range ids(seed, b.N, 1, rows) {
			calls[i] = call{method: "GET", url: base + "/" + strconv.FormatInt(id, 10), status: 200, want: idPrefix(id)}
		}
	case "update":
		touched = ids(seed, b.N, 1, rows)
		for i, id := range touched {
			calls[i] = call{method: "PATCH", url: base + "/" + strconv.FormatInt(id, 10), status: 200,
				want: fmt.Appendf(nil, `{"id":%d,"name":"renamed %d",`, id, i),
				body: fmt.Appendf(nil, `{"name":"renamed %d","age":%d}`, i, i%150)}
		}
	case "delete":
		for i, id := range addRows(b, a.admin, b.N, seed) {
			calls[i] = call{method: "DELETE", url: base + "/" + strconv.FormatInt(id, 10), status: 204}
		}
	case "list":
		for i, id := range ids(seed, b.N, 0, rows-int64(crudbench.DefaultLimit)) {
			calls[i] = call{method: "GET", url: base + "?after=" + strconv.FormatInt(id, 10), status: 200,
				want: []byte(`{"items":[{"id":` + strconv.FormatInt(id+1, 10) + `,`)}
		}
	default:
		b.Fatalf("unknown op %q", op)
	}
	return calls, touched
}

// BenchmarkCRUD measures one request per iteration, serially.
func BenchmarkCRUD(b *testing.B) {
	benchSetup(b)
	for _, a := range suite.arms {
		for _, op := range []string{"create", "read", "update", "delete", "list"} {
			b.Run("arm="+a.name+"/op="+op, func(b *testing.B) {
				calls, touched := crudCalls(b, a, op, 1)
				b.Cleanup(func() { restore(b, a.admin, touched) })
				runCalls(b, a, 1, calls, 0)
			})
		}
	}
}

// BenchmarkParallel measures throughput and tail latency with conc clients.
func BenchmarkParallel(b *testing.B) {
	benchSetup(b)
	levels := []int{1, 16, 64}
	if testing.Short() {
		levels = []int{1, 16}
	}
	for _, a := range suite.arms {
		for _, op := range []string{"read", "update", "create"} {
			for _, conc := range levels {
				b.Run(fmt.Sprintf("arm=%s/op=%s/conc=%d", a.name, op, conc), func(b *testing.B) {
					calls, touched := crudCalls(b, a, op, 2)
					if op == "update" {
						// Two clients updating one row would serialise on its lock; give each
						// request a row of its own when the table allows.
						calls, touched = spreadUpdates(b, a, calls)
					}
					b.Cleanup(func() { restore(b, a.admin, touched) })
					runCalls(b, a, conc, calls, 0)
				})
			}
		}
	}
}

// spreadUpdates rewrites update calls so that consecutive requests touch
// different rows: ids cycle through a shuffled permutation of the table.
func spreadUpdates(b *testing.B, a *benchArm, calls []call) ([]call, []int64) {
	perm := rand.New(rand.NewPCG(3, 3)).Perm(suite.rows)
	touched := make([]int64, len(calls))
	for i := range calls {
		id := int64(perm[i%len(perm)] + 1)
		touched[i] = id
		calls[i].url = a.srv.URL + "/users/" + strconv.FormatInt(id, 10)
		calls[i].want = fmt.Appendf(nil, `{"id":%d,"name":"renamed %d",`, id, i)
	}
	return calls, touched
}

// BenchmarkBulk measures one bulk request of n rows per iteration.
func BenchmarkBulk(b *testing.B) {
	benchSetup(b)
	sizes := []int{10, 100, 1000}
	if testing.Short() {
		sizes = []int{10, 100}
	}
	for _, a := range suite.arms {
		for _, op := range []string{"create", "read", "update", "delete"} {
			for _, n := range sizes {
				b.Run(fmt.Sprintf("arm=%s/op=%s/n=%d", a.name, op, n), func(b *testing.B) {
					calls, touched := bulkCalls(b, a, op, n)
					b.Cleanup(func() { restore(b, a.admin, touched) })
					runCalls(b, a, 1, calls, n)
				})
			}
		}
	}
}

func bulkCalls(b *testing.B, a *benchArm, op string, n int) (calls []call, touched []int64) {
	base := a.srv.URL + "/users/bulk"
	r := rand.New(rand.NewPCG(uint64(n), 4))
	calls = make([]call, b.N)
	switch op {
	case "create":
		run := time.Now().UnixNano()
		for i := range calls {
			var body bytes.Buffer
			body.WriteByte('[')
			for j := range n {
				if j > 0 {
					body.WriteByte(',')
				}
				fmt.Fprintf(&body, `{"name":"bulk %d.%d","email":"bulk%d.%d.%d@example.com","age":%d}`, i, j, run, i, j, j%150)
			}
			body.WriteByte(']')
			calls[i] = call{method: "POST", url: base, body: body.Bytes(), status: 201,
				want: fmt.Appendf(nil, `"email":"bulk%d.%d.%d@example.com"`, run, i, n-1)}
		}
	case "read":
		for i := range calls {
			set := distinct(r, n, 1, int64(suite.rows))
			calls[i] = call{method: "GET", url: base + "?ids=" + joinIDs(set), status: 200,
				want: fmt.Appendf(nil, `"email":"user%d@example.com"`, slices.Max(set))}
		}
	case "update":
		for i := range calls {
			set := distinct(r, n, 1, int64(suite.rows))
			touched = append(touched, set...)
			var body bytes.Buffer
			body.WriteByte('[')
			for j, id := range set {
				if j > 0 {
					body.WriteByte(',')
				}
				fmt.Fprintf(&body, `{"id":%d,"name":"bulk %d.%d","age":%d}`, id, i, j, (i+j)%150)
			}
			body.WriteByte(']')
			calls[i] = call{method: "PATCH", url: base, body: body.Bytes(), status: 200,
				want: fmt.Appendf(nil, `"name":"bulk %d.%d"`, i, n-1)}
		}
	case "delete":
		fresh := addRows(b, a.admin, b.N*n, uint64(n))
		for i := range calls {
			calls[i] = call{method: "DELETE", url: base + "?ids=" + joinIDs(fresh[i*n:(i+1)*n]), status: 200,
				want: fmt.Appendf(nil, `{"deleted":%d}`, n)}
		}
	default:
		b.Fatalf("unknown op %q", op)
	}
	return calls, touched
}

func joinIDs(ids []int64) string {
	buf := make([]byte, 0, len(ids)*7)
	for i, id := range ids {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = strconv.AppendInt(buf, id, 10)
	}
	return string(buf)
}

// BenchmarkRelation measures a user with all its posts (?include=posts).
func BenchmarkRelation(b *testing.B) {
	benchSetup(b)
	for _, a := range suite.arms {
		for _, posts := range []int{10, 100} {
			b.Run(fmt.Sprintf("arm=%s/posts=%d", a.name, posts), func(b *testing.B) {
				lo := int64(1)
				if posts == 100 {
					lo = relUsers + 1
				}
				calls := make([]call, b.N)
				for i, id := range ids(5, b.N, lo, lo+relUsers-1) {
					calls[i] = call{method: "GET", url: a.srv.URL + "/users/" + strconv.FormatInt(id, 10) + "?include=posts",
						status: 200, want: fmt.Appendf(nil, `"title":"post %d"`, posts)}
				}
				runCalls(b, a, 1, calls, 0)
			})
		}
	}
}

// BenchmarkFloor measures what is physically possible on this machine in
// the same run: an HTTP round trip to a handler that does nothing, and a
// bare pgx point select and insert without HTTP.
func BenchmarkFloor(b *testing.B) {
	benchSetup(b)
	b.Run("op=http-noop", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":1}`))
		}))
		defer srv.Close()
		a := &benchArm{armServer: &armServer{name: "floor", srv: srv}, client: suite.arms[0].client}
		calls := make([]call, b.N)
		for i := range calls {
			calls[i] = call{method: "GET", url: srv.URL + "/users/1", status: 200, want: []byte(`{"id":1}`)}
		}
		runCalls(b, a, 1, calls, 0)
	})
	b.Run("op=select", func(b *testing.B) {
		idv := ids(1, b.N, 1, int64(suite.rows))
		floorLoop(b, func(ctx context.Context, i int) error {
			var id, age int64
			var name, email string
			var created, updated time.Time
			err := suite.floor.QueryRow(ctx, `SELECT id, name, email, age, created_at, updated_at FROM users WHERE id = $1`, idv[i]).
				Scan(&id, &name, &email, &age, &created, &updated)
			if err == nil && id != idv[i] {
				err = fmt.Errorf("select %d returned id %d", idv[i], id)
			}
			return err
		})
	})
	b.Run("op=insert", func(b *testing.B) {
		run := time.Now().UnixNano()
		emails := make([]string, b.N)
		for i := range emails {
			emails[i] = fmt.Sprintf("floor%d.%d@example.com", run, i)
		}
		floorLoop(b, func(ctx context.Context, i int) error {
			var id int64
			return suite.floor.QueryRow(ctx, `INSERT INTO users (name, email, age) VALUES ($1, $2, $3) RETURNING id`,
				"floor", emails[i], int32(i%150)).Scan(&id)
		})
		restore(b, suite.floor, nil)
	})
}

// floorLoop times f for each iteration, serially, and reports the same
// latency metrics as runCalls.
func floorLoop(b *testing.B, f func(ctx context.Context, i int) error) {
	m := measurement{lat: make([]time.Duration, b.N)}
	ctx := context.Background()
	runtime.GC()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		t0 := time.Now()
		if err := f(ctx, i); err != nil {
			b.Fatal(err)
		}
		m.lat[i] = time.Since(t0)
	}
	m.elapsed = time.Since(start)
	b.StopTimer()
	report(b, m, 0, false)
}
