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
//	BenchmarkPaired/op=read                every arm and the floor, request by request
//
// BenchmarkPaired (paired_bench_test.go) is the comparison to trust: the
// per-arm families measure arms one after another, and on a shared machine
// that alone moves results more than the arms differ (docs/method.md).
// They are the quick path.
//
// Setup, seeding and restores happen outside the timed region; each
// benchmark leaves the database as it found it, and checks before it
// cleans up that the database holds what its requests should have left.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/paired"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/progress"
	"github.com/crudbench/crudbench/internal/seed"
	"github.com/crudbench/crudbench/internal/suite"
	"github.com/jackc/pgx/v5/pgxpool"
)

// benchArm is one arm served over HTTP on its own seeded database.
type benchArm struct {
	*apitest.Server
	admin   *pgxpool.Pool // untraced: preparation and restores
	queries *dbconf.QueryCounter
}

// bench is shared by all benchmarks of a run; it is built on first use.
var bench struct {
	once  sync.Once
	err   error
	rows  int
	arms  []*benchArm   // in suite.Arms order
	floor *pgxpool.Pool // the floor benchmarks' pool, on a seeded database of its own
	// seeded is the seeded database that every benchmark database is a
	// clone of; it has no open connections.
	seeded string
	// client is the HTTP client of BenchmarkPaired, one transport for all
	// of its targets.
	client *http.Client
}

// newClient returns an HTTP client with a transport of its own, keeping
// enough idle connections for the parallel benchmarks.
func newClient() *http.Client {
	tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, DisableCompression: true}
	pgtest.AtExit(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}

func benchSetup(b *testing.B) {
	b.Helper()
	bench.once.Do(func() { bench.err = buildBench() })
	if bench.err != nil {
		b.Fatal(bench.err)
	}
}

func buildBench() error {
	rows, err := seed.Rows()
	if err != nil {
		return err
	}
	bench.rows = rows
	ctx := context.Background()
	seeded, err := pgtest.SharedDatabase("")
	if err != nil {
		return err
	}
	bench.seeded = seeded
	bench.client = newClient()
	progress.Step(fmt.Sprintf("seeding %d users…", rows))
	for _, stmt := range seed.Large(rows) {
		if err := pgtest.Exec(ctx, seeded, stmt); err != nil {
			return fmt.Errorf("seeding %d users: %w", rows, err)
		}
	}
	for _, name := range append(slices.Clone(suite.Arms), "floor") {
		dsn, err := pgtest.SharedDatabase(seeded)
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
			bench.floor = floor
			continue
		}
		admin, err := dbconf.NewPool(ctx, dsn, nil)
		if err != nil {
			return err
		}
		pgtest.AtExit(admin.Close)
		queries := new(dbconf.QueryCounter)
		s, err := apitest.Serve(name, dsn, apitest.Options{Tracer: queries})
		if err != nil {
			return err
		}
		pgtest.AtExit(s.Close)
		s.Client = newClient()
		bench.arms = append(bench.arms, &benchArm{Server: s, admin: admin, queries: queries})
	}
	return nil
}

// restore puts the database back in its seeded state (see seed.Restore).
func restore(b *testing.B, pool *pgxpool.Pool, touched []int64) {
	b.Helper()
	if err := seed.Restore(context.Background(), pool, bench.rows, touched); err != nil {
		b.Fatal(err)
	}
}

// measurement is what one benchmark run recorded.
type measurement struct {
	lat     []time.Duration // per request, in completion slots
	elapsed time.Duration
	queries int64
}

// runCalls sends calls[i] for i in 0..b.N-1 from conc clients, times each
// request, checks each answer against it, and reports the suite's metrics.
// Every call's Path is relative to the arm's URL. Everything it needs is
// allocated before the timer starts. Parallel runs (conc > 1) are a closed
// loop: each client sends its next request when the last is answered, so
// the load is what the server lets through, not an offered rate; they also
// report wait-ns/op, the time per request spent waiting for a database
// connection (pgxpool's AcquireDuration, database/sql's WaitDuration).
func runCalls(b *testing.B, a *benchArm, conc int, calls []apitest.Request, rowsPerOp int) {
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
	ctx := context.Background()
	wait := func() time.Duration { return 0 }
	if a.Arm != nil {
		wait = func() time.Duration { return a.Arm.Stats().Wait }
	}
	wait0 := wait()
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
				rep := apitest.Send(ctx, a.Client, a.URL, &calls[i], buf)
				m.lat[i] = time.Since(t0)
				if err := calls[i].Check(rep); err != nil {
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
		b.Fatalf("arm=%s: %v", a.Name, *err)
	}
	if a.queries != nil {
		m.queries = a.queries.Count() - q0
	}
	report(b, m, rowsPerOp, a.queries != nil)
	if conc > 1 {
		b.ReportMetric(float64((wait()-wait0).Nanoseconds())/float64(b.N), "wait-ns/op")
	}
}

// report adds the custom metrics: latency percentiles, throughput, statements
// per operation and, for bulk calls, time per row.
func report(b *testing.B, m measurement, rowsPerOp int, withQueries bool) {
	reportPercentiles(b, "", m.lat)
	b.ReportMetric(float64(b.N)/m.elapsed.Seconds(), "req/s")
	if withQueries {
		b.ReportMetric(float64(m.queries)/float64(b.N), "queries/op")
	}
	if rowsPerOp > 0 {
		b.ReportMetric(float64(m.elapsed.Nanoseconds())/float64(b.N*rowsPerOp), "ns/row")
	}
}

// percentiles are the latency percentiles the benchmarks report, each only
// from enough requests (paired.Percentile: p95 from 200, p99 from 1,000).
var percentiles = []struct {
	q    float64
	unit string
}{{0.50, "p50-ns/op"}, {0.95, "p95-ns/op"}, {0.99, "p99-ns/op"}}

// reportPercentiles reports the percentiles of lat that enough requests
// support, with units prefixed by prefix ("pgx-"); it sorts lat.
func reportPercentiles(b *testing.B, prefix string, lat []time.Duration) {
	for _, p := range percentiles {
		if v, ok := paired.Percentile(lat, p.q); ok {
			b.ReportMetric(float64(v.Nanoseconds()), prefix+p.unit)
		}
	}
}

// ids returns n ids drawn from [lo, hi] by a generator seeded with stream, so
// every arm gets the same sequence.
func ids(stream uint64, n int, lo, hi int64) []int64 {
	r := rand.New(rand.NewPCG(stream, 0x9e3779b97f4a7c15))
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

// addRows inserts n users beyond the seed, for deletes to consume, into
// each of pools (the same ids in each), all at once so that no target's
// rows are systematically the oldest, and returns their ids in a shuffled
// order.
func addRows(b *testing.B, pools []*pgxpool.Pool, n int, shuffle uint64) []int64 {
	b.Helper()
	ids := make([][]int64, len(pools))
	errs := make([]error, len(pools))
	var wg sync.WaitGroup
	for i, pool := range pools {
		wg.Go(func() { ids[i], errs[i] = seed.Extra(context.Background(), pool, bench.rows, n, shuffle) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatalf("preparing %d rows to delete: %v", n, err)
	}
	if len(ids) == 0 {
		return nil
	}
	return ids[0]
}

// crudCalls prepares n single-row requests of op, with paths relative to
// the server's URL; deletes consume rows it adds to each of pools. touched
// lists the seeded ids the calls change.
func crudCalls(b *testing.B, n int, pools []*pgxpool.Pool, op string, stream uint64) (calls []apitest.Request, touched []int64) {
	rows := int64(bench.rows)
	calls = make([]apitest.Request, n)
	switch op {
	case "create":
		run := time.Now().UnixNano()
		for i := range calls {
			calls[i] = apitest.Request{Method: "POST", Path: "/users", Status: 201,
				Want: fmt.Appendf(nil, `"name":"new %d","email":"new%d.%d@example.com"`, i, run, i),
				Body: fmt.Sprintf(`{"name":"new %d","email":"new%d.%d@example.com","age":%d}`, i, run, i, i%150)}
		}
	case "read":
		for i, id := range ids(stream, n, 1, rows) {
			calls[i] = apitest.Request{Method: "GET", Path: "/users/" + strconv.FormatInt(id, 10), Status: 200, Want: idPrefix(id)}
		}
	case "update":
		touched = ids(stream, n, 1, rows)
		for i, id := range touched {
			calls[i] = apitest.Request{Method: "PATCH", Path: "/users/" + strconv.FormatInt(id, 10), Status: 200,
				Want: fmt.Appendf(nil, `{"id":%d,"name":"renamed %d",`, id, i),
				Body: fmt.Sprintf(`{"name":"renamed %d","age":%d}`, i, i%150)}
		}
	case "delete":
		for i, id := range addRows(b, pools, n, stream) {
			calls[i] = apitest.Request{Method: "DELETE", Path: "/users/" + strconv.FormatInt(id, 10), Status: 204}
		}
	case "list":
		for i, id := range ids(stream, n, 0, rows-int64(crudbench.DefaultLimit)) {
			calls[i] = apitest.Request{Method: "GET", Path: "/users?after=" + strconv.FormatInt(id, 10), Status: 200,
				Want: []byte(`{"items":[{"id":` + strconv.FormatInt(id+1, 10) + `,`)}
		}
	default:
		b.Fatalf("unknown op %q", op)
	}
	return calls, touched
}

// expectUsers fails b unless the database holds want users, and, when
// prefix is set, every id of touched has a name starting with prefix: a
// cheap check that the requests left what they should have.
func expectUsers(b *testing.B, pool *pgxpool.Pool, want int, touched []int64, prefix string) {
	b.Helper()
	var n, renamed int
	err := pool.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM users),
		(SELECT count(*) FROM users WHERE id = ANY($1) AND name NOT LIKE $2 || '%')`, touched, prefix).Scan(&n, &renamed)
	if err != nil {
		b.Fatalf("checking the database: %v", err)
	}
	if n != want {
		b.Fatalf("the database holds %d users after the run, want %d", n, want)
	}
	if prefix != "" && renamed != 0 {
		b.Fatalf("%d touched users lack the name the run gave them (%q…)", renamed, prefix)
	}
}

// usersAfter returns how many users the database holds after op (a CRUD
// or bulk op) was sent calls times with rows users per call.
func usersAfter(op string, calls, rows int) int {
	if op == "create" {
		return bench.rows + calls*rows
	}
	return bench.rows
}

// renamePrefix returns the name prefix the update requests give, or "".
func renamePrefix(op string, bulk bool) string {
	switch {
	case op != "update":
		return ""
	case bulk:
		return "bulk "
	}
	return "renamed "
}

// BenchmarkCRUD measures one request per iteration, serially.
func BenchmarkCRUD(b *testing.B) {
	benchSetup(b)
	var leaves []string
	for _, a := range bench.arms {
		for _, op := range suite.CRUDOps {
			leaves = append(leaves, "arm="+a.Name+"/op="+op)
		}
	}
	progress.Family(b, leaves...)
	for _, a := range bench.arms {
		for _, op := range suite.CRUDOps {
			b.Run("arm="+a.Name+"/op="+op, func(b *testing.B) {
				progress.Leaf(b)
				calls, touched := crudCalls(b, b.N, []*pgxpool.Pool{a.admin}, op, 1)
				b.Cleanup(func() { restore(b, a.admin, touched) })
				runCalls(b, a, 1, calls, 0)
				expectUsers(b, a.admin, usersAfter(op, b.N, 1), touched, renamePrefix(op, false))
			})
		}
	}
}

// BenchmarkParallel measures throughput and tail latency with conc
// clients, in a closed loop (see runCalls), and the time requests wait for
// a database connection (wait-ns/op).
func BenchmarkParallel(b *testing.B) {
	benchSetup(b)
	m := runMatrix()
	matrix(b, m.ParallelOps, "conc", m.ConcLevels, func(b *testing.B, a *benchArm, op string, conc int) {
		calls, touched := crudCalls(b, b.N, []*pgxpool.Pool{a.admin}, op, 2)
		if op == "update" {
			// Two clients updating one row would serialise on its lock; give each
			// request a row of its own when the table allows.
			calls, touched = spreadUpdates(calls)
		}
		b.Cleanup(func() { restore(b, a.admin, touched) })
		runCalls(b, a, conc, calls, 0)
		expectUsers(b, a.admin, usersAfter(op, b.N, 1), touched, renamePrefix(op, false))
	})
}

// runMatrix returns the matrix this run measures: suite.Full with
// CRUDBENCH_FULL=1 (less the largest per-arm sizes under -short), else
// suite.Quick.
func runMatrix() suite.Matrix {
	if os.Getenv(suite.EnvFull) != "1" {
		return suite.Quick
	}
	m := suite.Full
	if testing.Short() {
		m.BulkSizes, m.RelationPosts, m.ConcLevels = suite.Short(m.BulkSizes), suite.Short(m.RelationPosts), suite.Short(m.ConcLevels)
	}
	return m
}

// matrix runs f as sub-benchmark arm=A/op=O/key=N for every arm, op of ops
// and N of sizes.
func matrix(b *testing.B, ops []string, key string, sizes []int, f func(b *testing.B, a *benchArm, op string, n int)) {
	name := func(a *benchArm, op string, n int) string {
		return fmt.Sprintf("arm=%s/op=%s/%s=%d", a.Name, op, key, n)
	}
	var leaves []string
	for _, a := range bench.arms {
		for _, op := range ops {
			for _, n := range sizes {
				leaves = append(leaves, name(a, op, n))
			}
		}
	}
	progress.Family(b, leaves...)
	for _, a := range bench.arms {
		for _, op := range ops {
			for _, n := range sizes {
				b.Run(name(a, op, n), func(b *testing.B) {
					progress.Leaf(b)
					f(b, a, op, n)
				})
			}
		}
	}
}

// spreadUpdates rewrites update calls so that consecutive requests touch
// different rows: ids cycle through a shuffled permutation of the table.
func spreadUpdates(calls []apitest.Request) ([]apitest.Request, []int64) {
	perm := rand.New(rand.NewPCG(3, 3)).Perm(bench.rows)
	touched := make([]int64, len(calls))
	for i := range calls {
		id := int64(perm[i%len(perm)] + 1)
		touched[i] = id
		calls[i].Path = "/users/" + strconv.FormatInt(id, 10)
		calls[i].Want = fmt.Appendf(nil, `{"id":%d,"name":"renamed %d",`, id, i)
	}
	return calls, touched
}

// BenchmarkBulk measures one bulk request of n rows per iteration.
func BenchmarkBulk(b *testing.B) {
	benchSetup(b)
	m := runMatrix()
	matrix(b, m.BulkOps, "n", m.BulkSizes, func(b *testing.B, a *benchArm, op string, n int) {
		calls, touched := bulkCalls(b, b.N, 0, []*pgxpool.Pool{a.admin}, op, n)
		b.Cleanup(func() { restore(b, a.admin, touched) })
		runCalls(b, a, 1, calls, n)
		expectUsers(b, a.admin, usersAfter(op, b.N, n), touched, renamePrefix(op, true))
	})
}

// bulkCalls prepares count bulk requests of op with n rows each, with
// paths relative to the server's URL, on databases where first bulk
// requests of the same op went before (so creates know their ids); deletes
// consume rows it adds to each of pools. Every answer is checked whole:
// every id, in order, or the count deleted.
func bulkCalls(b *testing.B, count, first int, pools []*pgxpool.Pool, op string, n int) (calls []apitest.Request, touched []int64) {
	const base = "/users/bulk"
	r := rand.New(rand.NewPCG(uint64(n), 4))
	calls = make([]apitest.Request, count)
	switch op {
	case "create":
		run := time.Now().UnixNano()
		for i := range calls {
			var body bytes.Buffer
			want := make([]int64, n)
			body.WriteByte('[')
			for j := range n {
				if j > 0 {
					body.WriteByte(',')
				}
				fmt.Fprintf(&body, `{"name":"bulk %d.%d","email":"bulk%d.%d.%d@example.com","age":%d}`, i, j, run, i, j, j%150)
				want[j] = int64(bench.rows + (first+i)*n + j + 1)
			}
			body.WriteByte(']')
			calls[i] = apitest.Request{Method: "POST", Path: base, Body: body.String(), Status: 201, IDs: want,
				Want: fmt.Appendf(nil, `"email":"bulk%d.%d.%d@example.com"`, run, i, n-1)}
		}
	case "read":
		for i := range calls {
			set := distinct(r, n, 1, int64(bench.rows))
			calls[i] = apitest.Request{Method: "GET", Path: base + "?ids=" + joinIDs(set), Status: 200,
				IDs: slices.Sorted(slices.Values(set))}
		}
	case "update":
		for i := range calls {
			set := distinct(r, n, 1, int64(bench.rows))
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
			calls[i] = apitest.Request{Method: "PATCH", Path: base, Body: body.String(), Status: 200, IDs: set,
				Want: fmt.Appendf(nil, `"name":"bulk %d.%d"`, i, n-1)}
		}
	case "delete":
		fresh := addRows(b, pools, count*n, uint64(n))
		for i := range calls {
			calls[i] = apitest.Request{Method: "DELETE", Path: base + "?ids=" + joinIDs(fresh[i*n:(i+1)*n]), Status: 200,
				Want: fmt.Appendf(nil, `{"deleted":%d}`, n)}
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
	name := func(a *benchArm, posts int) string { return fmt.Sprintf("arm=%s/posts=%d", a.Name, posts) }
	var leaves []string
	sizes := runMatrix().RelationPosts
	for _, a := range bench.arms {
		for _, posts := range sizes {
			leaves = append(leaves, name(a, posts))
		}
	}
	progress.Family(b, leaves...)
	for _, a := range bench.arms {
		for _, posts := range sizes {
			b.Run(name(a, posts), func(b *testing.B) {
				progress.Leaf(b)
				runCalls(b, a, 1, relationCalls(b.N, posts), 0)
			})
		}
	}
}

// relationCalls prepares n requests of a user with its posts, users who
// have posts posts each.
func relationCalls(n, posts int) []apitest.Request {
	lo := int64(1)
	if posts == 100 {
		lo = seed.RelationUsers + 1
	}
	calls := make([]apitest.Request, n)
	for i, id := range ids(5, n, lo, lo+seed.RelationUsers-1) {
		calls[i] = apitest.Request{Method: "GET", Path: "/users/" + strconv.FormatInt(id, 10) + "?include=posts",
			Status: 200, Want: fmt.Appendf(nil, `"title":"post %d"`, posts)}
	}
	return calls
}

// BenchmarkFloor measures what is physically possible on this machine in
// the same run: an HTTP round trip to a handler that does nothing, and a
// bare pgx point select and insert without HTTP.
func BenchmarkFloor(b *testing.B) {
	benchSetup(b)
	var leaves []string
	for _, op := range suite.FloorOps {
		leaves = append(leaves, "op="+op)
	}
	progress.Family(b, leaves...)
	for _, op := range suite.FloorOps {
		f, ok := floors[op]
		if !ok {
			b.Fatalf("no floor benchmark for op %q", op)
		}
		b.Run("op="+op, func(b *testing.B) {
			progress.Leaf(b)
			f(b)
		})
	}
}

// floors are the floor benchmarks by op.
var floors = map[string]func(b *testing.B){
	"http-noop": func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"id":1}`))
		}))
		defer srv.Close()
		a := &benchArm{Server: &apitest.Server{Name: "floor", URL: srv.URL, Client: bench.arms[0].Client}}
		calls := make([]apitest.Request, b.N)
		for i := range calls {
			calls[i] = apitest.Request{Method: "GET", Path: "/users/1", Status: 200, Want: []byte(`{"id":1}`)}
		}
		runCalls(b, a, 1, calls, 0)
	},
	"select": func(b *testing.B) {
		idv := ids(1, b.N, 1, int64(bench.rows))
		floorLoop(b, func(ctx context.Context, i int) error {
			var id, age int64
			var name, email string
			var created, updated time.Time
			err := bench.floor.QueryRow(ctx, `SELECT id, name, email, age, created_at, updated_at FROM users WHERE id = $1`, idv[i]).
				Scan(&id, &name, &email, &age, &created, &updated)
			if err == nil && id != idv[i] {
				err = fmt.Errorf("select %d returned id %d", idv[i], id)
			}
			return err
		})
	},
	"insert": func(b *testing.B) {
		run := time.Now().UnixNano()
		emails := make([]string, b.N)
		for i := range emails {
			emails[i] = fmt.Sprintf("floor%d.%d@example.com", run, i)
		}
		floorLoop(b, func(ctx context.Context, i int) error {
			var id int64
			return bench.floor.QueryRow(ctx, `INSERT INTO users (name, email, age) VALUES ($1, $2, $3) RETURNING id`,
				"floor", emails[i], int32(i%150)).Scan(&id)
		})
		restore(b, bench.floor, nil)
	},
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
