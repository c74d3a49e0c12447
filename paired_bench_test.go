package crudbench_test

// BenchmarkPaired: every arm, and the composed floor of the operation,
// measured side by side, request by request.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/httpapi"
	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/paired"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/progress"
	"github.com/crudbench/crudbench/internal/suite"
	"github.com/crudbench/crudbench/rawsql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// floorTarget is the name of BenchmarkPaired's composed floor: the same
// client, the same httpapi wrapper, one bare pgx statement and pre-encoded
// bytes.
const floorTarget = "floor"

// reference is the arm every other is compared with; its control,
// paired.ControlName(reference), is the same arm a second time on its own
// clone and pool, run in every leaf to show the harness's own bias.
const reference = "pgx"

// pairedOrder is the run's order design and seed (paired.EnvOrder,
// paired.EnvSeed), decided once and recorded in the config lines.
var pairedOrder = sync.OnceValues(paired.ConfigFromEnv)

// pairedWarmup is how many rounds each leaf sends, untimed, before the
// measured ones: they open the connections and prepare the statements.
const pairedWarmup = 32

// pairedRatios returns the ratios BenchmarkPaired reports, numerator over
// denominator, when both targets ran: each is a unit of its own, lower is
// better, once per paired.Estimators: "ent/pgx", the ratio of means,
// "ent/pgx-p50", the ratio of medians, and "ent/pgx-round", the median of
// the rounds' ratios, which neither a few stalled requests nor a busy
// stretch of the machine moves.
// The control comes first ("pgx'/pgx"); every arm and variant is compared
// with the reference and with the floor, every arm but the reference with
// sql, and every variant with its arm.
func pairedRatios() [][2]string {
	out := [][2]string{{paired.ControlName(reference), reference}}
	for _, a := range suite.Arms {
		if a != reference {
			out = append(out, [2]string{a, reference})
		}
	}
	for _, a := range suite.Arms {
		if a != reference && a != "sql" {
			out = append(out, [2]string{a, "sql"})
		}
	}
	for _, v := range suite.Variants {
		out = append(out, [2]string{v.Name, reference}, [2]string{v.Arm, v.Name})
	}
	for _, a := range append(slices.Clone(suite.Arms), suite.VariantNames()...) {
		out = append(out, [2]string{a, floorTarget})
	}
	return out
}

// pairedTargets returns the names of every target BenchmarkPaired may run.
func pairedTargets() []string {
	return append(append(append(slices.Clone(suite.Arms), paired.ControlName(reference)), suite.VariantNames()...), floorTarget)
}

// pairedUnits returns the units BenchmarkPaired reports besides its
// ratios, for the Unit lines: per target, the mean latency, the
// percentiles and the statements per request.
func pairedUnits() []string {
	var out []string
	for _, t := range pairedTargets() {
		out = append(out, t+"-ns/op")
		for _, p := range percentiles {
			out = append(out, t+"-"+p.unit)
		}
	}
	return out
}

// pairedCase is one leaf of BenchmarkPaired.
type pairedCase struct {
	op    string // a CRUD op, "relation", or "bulk-" and a bulk op
	n     int    // posts per user (relation) or rows per request (bulk)
	floor bool   // whether the op has a composed floor
}

func (c pairedCase) String() string {
	switch {
	case c.op == "relation":
		return fmt.Sprintf("op=relation/posts=%d", c.n)
	case c.n > 0:
		return fmt.Sprintf("op=%s/n=%d", c.op, c.n)
	}
	return "op=" + c.op
}

// pairedCases are the leaves of BenchmarkPaired: every CRUD op, and the
// relation and bulk ops at the sizes of the run's matrix (runMatrix).
func pairedCases() []pairedCase {
	var out []pairedCase
	for _, op := range suite.CRUDOps {
		_, floor := floorRoutes[op]
		out = append(out, pairedCase{op: op, floor: floor})
	}
	m := runMatrix()
	for _, posts := range m.PairedPosts {
		out = append(out, pairedCase{op: "relation", n: posts})
	}
	for _, op := range suite.BulkOps {
		for _, n := range m.PairedBulk {
			out = append(out, pairedCase{op: "bulk-" + op, n: n})
		}
	}
	return out
}

// BenchmarkPaired sends, in every iteration, the same request to each arm,
// to the reference arm's control and to the op's composed floor, in an
// order drawn afresh for every iteration from the run's seed (no target
// has a fixed neighbour), and times each request on its own
// (internal/paired). The control (pgx') is the reference arm a second
// time, on its own clone and pool: its ratio pgx'/pgx is the harness's own
// bias in the leaf, which the report shows first (docs/method.md).
// It
// reports per target the mean (pgx-ns/op) and the percentiles that enough
// requests support (pgx-p95-ns/op), statements per request
// (pgx-queries/op), and the ratios of pairedRatios (ent/pgx): noise that
// comes and goes lands on every arm alike, so the ratios hold steady where
// each arm's own time does not. ns/op is the time of one whole round.
//
// Each leaf starts every target on a fresh clone of the seeded database,
// made outside the timer, so that dead rows one target leaves never slow
// another; it checks at the end that the arms' databases hold the same
// users, row for row.
func BenchmarkPaired(b *testing.B) {
	benchSetup(b)
	cases := pairedCases()
	leaves := make([]string, len(cases))
	for i, c := range cases {
		leaves[i] = c.String()
	}
	progress.Family(b, leaves...)
	for _, c := range cases {
		b.Run(c.String(), func(b *testing.B) {
			progress.Leaf(b)
			runPaired(b, c)
		})
	}
}

// pairedTarget is one target of a BenchmarkPaired leaf, served on a clone
// of the seeded database.
type pairedTarget struct {
	name    string
	url     string
	admin   *pgxpool.Pool // untraced: preparation and the final check
	queries *dbconf.QueryCounter
	calls   []apitest.Request // warm-up rounds first
	buf     bytes.Buffer
	reply   apitest.Reply
}

// openTarget clones the seeded database and serves the named target on it
// until b's run ends. It may run on a goroutine of its own.
func openTarget(b *testing.B, name string) (*pairedTarget, error) {
	ctx := context.Background()
	dsn, err := pgtest.SharedDatabase(bench.seeded)
	if err != nil {
		return nil, err
	}
	b.Cleanup(func() {
		if err := pgtest.DropDatabase(dsn); err != nil {
			b.Error(err)
		}
	})
	t := &pairedTarget{name: name, queries: new(dbconf.QueryCounter)}
	if t.admin, err = dbconf.NewPool(ctx, dsn, nil); err != nil {
		return nil, err
	}
	b.Cleanup(t.admin.Close)
	var h http.Handler
	arm := name
	if ref, ok := paired.ControlOf(name); ok {
		arm = ref // the control: the same arm, on a clone and pool of its own
	}
	switch arm {
	case floorTarget:
		// Traced like the arms' pools, so its statements carry the same
		// per-statement overhead; served through the API's own wrapper.
		pool, err := dbconf.NewPool(ctx, dsn, t.queries)
		if err != nil {
			return nil, err
		}
		b.Cleanup(pool.Close)
		routes := make(map[string]http.Handler, len(floorRoutes))
		for _, r := range floorRoutes {
			routes[r.pattern] = r.handler(pool)
		}
		h = httpapi.NewHandler(rawsql.NewPGX(pool), httpapi.Options{Routes: routes})
	default:
		s, err := apitest.Serve(arm, dsn, apitest.Options{Tracer: t.queries})
		if err != nil {
			return nil, err
		}
		b.Cleanup(s.Close)
		t.url = s.URL
		return t, nil
	}
	// Served by the same http.Server settings as the arms (apitest.Serve),
	// so the floor's connections pay the same per-request deadlines.
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = httpapi.NewServer(h, 0)
	srv.Start()
	b.Cleanup(srv.Close)
	t.url = srv.URL
	return t, nil
}

// runPaired runs one leaf of BenchmarkPaired.
func runPaired(b *testing.B, c pairedCase) {
	names := append(slices.Clone(suite.Arms), paired.ControlName(reference))
	for _, v := range suite.Variants {
		if slices.Contains(v.Ops, c.op) {
			names = append(names, v.Name)
		}
	}
	if c.floor {
		names = append(names, floorTarget)
	}
	if b.N == 1 && !oneIteration() {
		// The testing package's probe run, whose result is not used: the
		// clones would cost more than a run of the measured rounds.
		return
	}
	conf, err := pairedOrder()
	if err != nil {
		b.Fatal(err)
	}
	order, err := conf.NewOrder(len(names), c.String())
	if err != nil {
		b.Fatal(err)
	}
	ts := make([]*pairedTarget, len(names))
	pools := make([]*pgxpool.Pool, len(names))
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { ts[i], errs[i] = openTarget(b, name) }) // cloning in parallel
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
	for i, t := range ts {
		pools[i] = t.admin
	}
	rounds := pairedWarmup + b.N
	calls, rowsPerCall := pairedCalls(b, c, rounds, pools)
	vacuumAll(b, pools)
	for _, t := range ts {
		t.calls = calls
		t.buf.Grow(64 << 10)
		if t.name == floorTarget {
			t.calls = floorCalls(calls)
		}
	}
	ctx := context.Background()
	targets := func(offset int) []paired.Target {
		out := make([]paired.Target, len(ts))
		for i, t := range ts {
			out[i] = paired.Target{
				Name: t.name,
				Do: func(round int) error {
					t.reply = apitest.Send(ctx, bench.client, t.url, &t.calls[offset+round], &t.buf)
					return t.reply.Err
				},
				Check: func(round int) error { return t.calls[offset+round].Check(t.reply) },
			}
		}
		return out
	}
	if _, err := paired.Run(targets(0), pairedWarmup, order); err != nil {
		b.Fatalf("warming up: %v", err)
	}
	q0 := make([]int64, len(ts))
	for i, t := range ts {
		q0[i] = t.queries.Count()
	}
	measured := targets(pairedWarmup)
	runtime.GC()
	b.ResetTimer()
	res, err := paired.Run(measured, b.N, order)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	writeRounds(b, res)
	for i, t := range ts {
		b.ReportMetric(res.Mean(t.name), t.name+"-ns/op")
		reportPercentiles(b, t.name+"-", slices.Clone(res.Of(t.name)))
		b.ReportMetric(float64(t.queries.Count()-q0[i])/float64(b.N), t.name+"-queries/op")
	}
	for _, r := range pairedRatios() {
		if slices.Contains(names, r[0]) && slices.Contains(names, r[1]) {
			reportRatios(b, res, r[0], r[1])
		}
	}
	checkSameUsers(b, ts, rounds*rowsPerCall, c.op)
}

// writeRounds writes every request of the run to a file of its own when
// paired.EnvRounds names a directory.
func writeRounds(b *testing.B, res *paired.Result) {
	dir := os.Getenv(paired.EnvRounds)
	if dir == "" {
		return
	}
	if _, err := paired.WriteRounds(dir, strings.TrimPrefix(b.Name(), "Benchmark"), res); err != nil {
		b.Fatal(err)
	}
}

// reportRatios reports num's latency over den's by each of
// paired.Estimators ("ent/pgx", "ent/pgx-p50", "ent/pgx-round").
func reportRatios(b *testing.B, res *paired.Result, num, den string) {
	for _, e := range paired.Estimators {
		b.ReportMetric(e.Ratio(res, num, den), num+"/"+den+e.Suffix)
	}
}

// vacuumAll vacuums and analyses every target's users after the leaf's
// preparation, in parallel, so that every clone starts the measured rounds
// in the same physical state (hint bits set, statistics fresh) and no
// autoanalyze that the preparation's writes would owe falls inside one
// target's rounds and not another's.
func vacuumAll(b *testing.B, pools []*pgxpool.Pool) {
	b.Helper()
	errs := make([]error, len(pools))
	var wg sync.WaitGroup
	for i, p := range pools {
		wg.Go(func() {
			if _, err := p.Exec(context.Background(), "VACUUM ANALYZE users"); err != nil {
				errs[i] = fmt.Errorf("vacuuming a target's database after preparation: %w", err)
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
}

// oneIteration reports whether -benchtime asks for exactly one iteration,
// the one run where b.N == 1 is measured and not a probe.
func oneIteration() bool {
	f := flag.Lookup("test.benchtime")
	return f != nil && f.Value.String() == "1x"
}

// pairedCalls prepares rounds requests of c, with paths relative to the
// server's URL, on every database of pools alike; it also returns how many
// users each call creates.
func pairedCalls(b *testing.B, c pairedCase, rounds int, pools []*pgxpool.Pool) ([]apitest.Request, int) {
	switch {
	case c.op == "relation":
		return relationCalls(rounds, c.n), 0
	case c.n > 0:
		op := c.op[len("bulk-"):]
		calls, _ := bulkCalls(b, rounds, 0, pools, op, c.n)
		if op == "create" {
			return calls, c.n
		}
		return calls, 0
	}
	calls, _ := crudCalls(b, rounds, pools, c.op, 7)
	if c.op == "create" {
		return calls, 1
	}
	return calls, 0
}

// checkSameUsers fails b unless every arm's database (the floor's writes
// differ by design) holds bench.rows+created users, all alike in id, name,
// email and age; for a delete, also none of the extra rows.
func checkSameUsers(b *testing.B, ts []*pairedTarget, created int, op string) {
	b.Helper()
	checkSameUsersLeft(b, ts, created, 0, op)
}

// checkSameUsersLeft is checkSameUsers where left extra rows, prepared
// for deletes that were not sent, are still there.
func checkSameUsersLeft(b *testing.B, ts []*pairedTarget, created, left int, op string) {
	b.Helper()
	var first string
	for _, t := range ts {
		if t.name == floorTarget {
			continue
		}
		var n, extra int
		var sum string
		err := t.admin.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE name LIKE 'extra %'),
			md5(string_agg(id || ',' || name || ',' || email || ',' || age, ';' ORDER BY id)) FROM users`).Scan(&n, &extra, &sum)
		if err != nil {
			b.Fatalf("%s: checking the database: %v", t.name, err)
		}
		if want := bench.rows + created + left; n != want || extra != left {
			if left == 0 {
				b.Fatalf("%s %s: the database holds %d users (%d of them extra rows) after the run, want %d (none)", op, t.name, n, extra, want)
			}
			b.Fatalf("%s %s: the database holds %d users (%d of them extra rows) after the run, want %d (%d)", op, t.name, n, extra, want, left)
		}
		if first == "" {
			first = sum
		} else if sum != first {
			b.Fatalf("%s: the database of %s differs from that of %s after the same requests", op, t.name, ts[0].name)
		}
	}
}

// floorCalls returns calls with each path moved under /floor, where the
// composed floor answers the same requests.
func floorCalls(calls []apitest.Request) []apitest.Request {
	out := make([]apitest.Request, len(calls))
	for i, c := range calls {
		out[i] = apitest.Request{Method: c.Method, Path: "/floor" + c.Path, Body: c.Body, Status: c.Status}
	}
	return out
}

// floorRoute is the composed floor of one CRUD op: served under /floor by
// httpapi's own wrapper (mux, deadline, body limit) next to the API, it
// runs one bare pgx statement on a traced pool, scanning the same columns
// into locals, and writes pre-encoded bytes of the size of the API's
// answer. What an arm adds above it is the arm and the handler.
type floorRoute struct {
	pattern string
	handler func(pool *pgxpool.Pool) http.Handler
}

// floorRoutes are the composed floors by op: http-select (read),
// http-insert (create), http-update (update), http-delete (delete) and
// http-list (list).
var floorRoutes = map[string]floorRoute{
	"read": {"GET /floor/users/{id}", func(pool *pgxpool.Pool) http.Handler {
		return floorRow(pool, `SELECT id, name, email, age, created_at, updated_at FROM users WHERE id = $1`, http.StatusOK,
			func(r *http.Request) ([]any, error) {
				id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
				return []any{id}, err
			})
	}},
	"update": {"PATCH /floor/users/{id}", func(pool *pgxpool.Pool) http.Handler {
		return floorRow(pool, `UPDATE users SET name = $2, age = $3, updated_at = now() WHERE id = $1
			RETURNING id, name, email, age, created_at, updated_at`, http.StatusOK,
			func(r *http.Request) ([]any, error) {
				id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
				return []any{id, "floor", int32(id % 150)}, err
			})
	}},
	"create": {"POST /floor/users", func(pool *pgxpool.Pool) http.Handler {
		var n atomic.Int64
		return floorRow(pool, `INSERT INTO users (name, email, age) VALUES ($1, $2, $3)
			RETURNING id, name, email, age, created_at, updated_at`, http.StatusCreated,
			func(r *http.Request) ([]any, error) {
				i := n.Add(1)
				return []any{"floor", "floor" + strconv.FormatInt(i, 10) + "@example.com", int32(i % 150)}, nil
			})
	}},
	"delete": {"DELETE /floor/users/{id}", func(pool *pgxpool.Pool) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			tag, err := pool.Exec(r.Context(), `DELETE FROM users WHERE id = $1`, id)
			if err != nil || tag.RowsAffected() != 1 {
				http.Error(w, fmt.Sprintf("deleting %d: %v (%d rows)", id, err, tag.RowsAffected()), http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusNoContent)
		})
	}},
	"list": {"GET /floor/users", func(pool *pgxpool.Pool) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			after, err := strconv.ParseInt(r.URL.Query().Get("after"), 10, 64)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			rows, err := pool.Query(r.Context(), `SELECT id, name, email, age, created_at, updated_at FROM users
				WHERE id > $1 ORDER BY id LIMIT $2`, after, crudbench.DefaultLimit)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			var cols userCols
			for err == nil && rows.Next() {
				err = cols.scan(rows)
			}
			rows.Close()
			if err == nil {
				err = rows.Err()
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			floorWrite(w, http.StatusOK, floorListBody)
		})
	}},
}

// floorRow returns a floor handler that reads the request body, runs query
// with the arguments args takes from the request, scans one user row into
// locals and writes floorUserBody.
func floorRow(pool *pgxpool.Pool, query string, status int, args func(*http.Request) ([]any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		a, err := args(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var cols userCols
		if err := cols.scan(pool.QueryRow(r.Context(), query, a...)); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		floorWrite(w, status, floorUserBody)
	})
}

// userCols are what a floor scans a user row into, as the arms do.
type userCols struct {
	id          int64
	name, email string
	age         int32
	c, u        time.Time
}

func (x *userCols) scan(row pgx.Row) error {
	return row.Scan(&x.id, &x.name, &x.email, &x.age, &x.c, &x.u)
}

func floorWrite(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// floorUserBody and floorListBody are pre-encoded answers of the API's
// sizes: a seeded user, and a page of them.
var floorUserBody, floorListBody = func() ([]byte, []byte) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 123456000, time.UTC)
	user := func(id int64) crudbench.User {
		return crudbench.User{ID: id, Name: fmt.Sprintf("user %d", id), Email: fmt.Sprintf("user%d@example.com", id), Age: int(id % 100), CreatedAt: at, UpdatedAt: at}
	}
	one, _ := json.Marshal(user(5000))
	page := struct {
		Items []crudbench.User `json:"items"`
		Next  *int64           `json:"next"`
	}{}
	for id := int64(5001); id <= 5000+int64(crudbench.DefaultLimit); id++ {
		page.Items = append(page.Items, user(id))
	}
	page.Next = &page.Items[len(page.Items)-1].ID
	list, _ := json.Marshal(page)
	return append(one, '\n'), append(list, '\n')
}()
