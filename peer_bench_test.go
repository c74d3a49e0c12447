package crudbench_test

// BenchmarkPeers: the peers (servers of the contract in other languages)
// beside the reference arm, every target a process of its own, measured
// side by side, request by request.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/paired"
	"github.com/crudbench/crudbench/internal/peer"
	"github.com/crudbench/crudbench/internal/pgserver"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/progress"
	"github.com/crudbench/crudbench/internal/suite"
	"github.com/jackc/pgx/v5/pgxpool"
)

// peerWarmupTime bounds a leaf's untimed warm-up: it sends up to
// pairedWarmup rounds, and stops early, after at least one, once this long
// has passed (a round of bulk requests to the Flask ORM peer is slow).
const peerWarmupTime = 500 * time.Millisecond

// peerChunkRows bounds the rows of the requests a leaf prepares at once,
// outside the timer, as its rounds go on.
const peerChunkRows = 1000

// peerTargets returns the targets of BenchmarkPeers' leaves: the
// reference, its control, then every peer CRUDBENCH_PEERS picks (all when
// unset) whose packages are installed. A missing peer is left out and
// logged with its install command; with CRUDBENCH_PEERS_REQUIRED set, it
// fails b. Without a peer, b is skipped.
func peerTargets(b *testing.B) []string {
	pick, err := regexp.Compile(os.Getenv("CRUDBENCH_PEERS"))
	if err != nil {
		b.Fatalf("CRUDBENCH_PEERS: %v", err)
	}
	var names, missing []string
	for _, spec := range peer.All() {
		if !pick.MatchString(spec.Name) {
			continue
		}
		if why := spec.Missing(); why != "" {
			if os.Getenv("CRUDBENCH_PEERS_REQUIRED") != "" {
				b.Fatal(why)
			}
			b.Log(why)
			missing = append(missing, why)
			continue
		}
		names = append(names, spec.Name)
	}
	if len(names) == 0 {
		b.Skipf("no peer to measure (CRUDBENCH_PEERS=%q): %s", os.Getenv("CRUDBENCH_PEERS"), strings.Join(missing, "; "))
	}
	return append([]string{reference, paired.ControlName(reference)}, names...)
}

// peerNames returns every target BenchmarkPeers may run, for the Unit
// lines: the reference, its control and every registered peer.
func peerNames() []string {
	out := []string{reference, paired.ControlName(reference)}
	for _, s := range peer.All() {
		out = append(out, s.Name)
	}
	return out
}

// peerUnits returns the units BenchmarkPeers reports besides its ratios:
// per target, the mean latency and the percentiles.
func peerUnits() []string {
	var out []string
	for _, t := range peerNames() {
		out = append(out, t+"-ns/op")
		for _, p := range percentiles {
			out = append(out, t+"-"+p.unit)
		}
	}
	return out
}

// peerRatios returns the ratios BenchmarkPeers reports, as pairedRatios
// does: the control's first, then every peer's over the reference.
func peerRatios() [][2]string {
	var out [][2]string
	for _, t := range peerNames()[1:] {
		out = append(out, [2]string{t, reference})
	}
	return out
}

// peerCases are the leaves of BenchmarkPeers: every CRUD op, the relation
// at the run's smallest size, and the bulk ops at the sizes of the run's
// matrix (suite.Matrix.PeerBulk).
func peerCases() []pairedCase {
	var out []pairedCase
	for _, op := range suite.CRUDOps {
		out = append(out, pairedCase{op: op})
	}
	m := runMatrix()
	out = append(out, pairedCase{op: "relation", n: slices.Min(m.PairedPosts)})
	for _, op := range suite.BulkOps {
		for _, n := range m.PeerBulk {
			out = append(out, pairedCase{op: "bulk-" + op, n: n})
		}
	}
	return out
}

// BenchmarkPeers measures the peers as BenchmarkPaired measures the arms:
// every round sends the same request to each target, in an order drawn
// afresh for every round, and times each request on its own. Its targets
// are the reference arm (pgx) and its control (pgx'), each a "crudbench
// serve" child of a binary built once for the run, and every available
// peer (CRUDBENCH_PEERS): all of them processes of their own, reached over
// loopback by one client, so that each pays the same process boundary.
// It reports per target the mean (flask-raw-gunicorn-ns/op) and the
// percentiles that enough requests support, and every target's ratios to
// the reference (flask-raw-gunicorn/pgx, and of medians, …/pgx-p50), the
// control's first. ns/op is the time of one whole round.
//
// Every target starts once, on a clone of the seeded database of its own;
// each leaf first puts every database back in its seeded state
// (restoreSQL), checks every answer, and at the end that the targets'
// databases hold the same users. A leaf runs its rounds with testing.B.Loop: with
// -benchtime a duration, they last that long (the requests are prepared
// in chunks, outside the timer), and the warm-up at most peerWarmupTime.
// No peer's listed deviation (testdata/peers) touches these requests.
func BenchmarkPeers(b *testing.B) {
	benchSetup(b)
	names := peerTargets(b)
	bin, err := crudbenchBinary()
	if err != nil {
		b.Fatal(err)
	}
	cases := peerCases()
	leaves := make([]string, len(cases))
	for i, c := range cases {
		leaves[i] = c.String()
	}
	progress.Family(b, leaves...)
	set := startPeers(b, names, bin)
	for _, c := range cases {
		b.Run(c.String(), func(b *testing.B) {
			progress.Leaf(b)
			runPeers(b, c, set)
		})
	}
}

// crudbenchBinary builds cmd/crudbench once per run into a temporary
// directory and returns its path.
var crudbenchBinary = sync.OnceValues(func() (string, error) {
	root, err := peer.Root()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", "crudbench-peers-")
	if err != nil {
		return "", fmt.Errorf("making a directory for the crudbench binary: %w", err)
	}
	pgtest.AtExit(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "crudbench")
	progress.Step("building cmd/crudbench for the out-of-process reference…")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/crudbench")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building cmd/crudbench: %w:\n%s", err, out)
	}
	return bin, nil
})

// openPeerTarget starts the named target of BenchmarkPeers on a clone of
// the seeded database: the reference or its control as a "crudbench
// serve" child of bin on the tests' PostgreSQL server (server is its
// DSN), which clones the database itself; a peer on a clone made here. It
// returns the target and its process, for the caller to stop.
func openPeerTarget(b *testing.B, name, bin, server, dir string) (*pairedTarget, *peer.Process, error) {
	ctx := context.Background()
	spec, ok := peer.Lookup(name)
	dsn := ""
	if ok {
		var err error
		if dsn, err = pgtest.SharedDatabase(bench.seeded); err != nil {
			return nil, nil, err
		}
		b.Cleanup(func() {
			if err := pgtest.DropDatabase(dsn); err != nil {
				b.Error(err)
			}
		})
	} else {
		if name != reference && name != paired.ControlName(reference) {
			return nil, nil, fmt.Errorf("%s: no such peer", name)
		}
		u, err := url.Parse(bench.seeded)
		if err != nil {
			return nil, nil, fmt.Errorf("parsing the seeded database's DSN: %w", err)
		}
		dsnFile := filepath.Join(dir, strings.ReplaceAll(name, "'", "-control")+".dsn")
		spec = peer.Spec{
			Name: name,
			Dir:  ".",
			Argv: []string{bin, "serve", "-arm", reference, "-addr", "127.0.0.1:{port}", "-rows", strconv.Itoa(bench.rows),
				"-template", strings.TrimPrefix(u.Path, "/"), "-dsn-out", dsnFile},
			Env: []string{pgserver.EnvProvider + "=" + server},
		}
		p, err := peer.Start(ctx, spec, "", nil)
		if err != nil {
			return nil, nil, err
		}
		raw, err := os.ReadFile(dsnFile)
		if err != nil {
			p.Stop()
			return nil, nil, fmt.Errorf("%s: reading its DSN: %w", name, err)
		}
		t := &pairedTarget{name: name, url: p.URL}
		if t.admin, err = dbconf.NewPool(ctx, strings.TrimSpace(string(raw)), nil); err != nil {
			p.Stop()
			return nil, nil, err
		}
		return t, p, nil
	}
	p, err := peer.Start(ctx, spec, dsn, nil)
	if err != nil {
		return nil, nil, err
	}
	t := &pairedTarget{name: name, url: p.URL}
	if t.admin, err = dbconf.NewPool(ctx, dsn, nil); err != nil {
		p.Stop()
		return nil, nil, err
	}
	return t, p, nil
}

// peerCalls prepares the next count requests of c on the databases of
// pools, the sent-th on: so that creates know their ids and deletes get
// rows of their own (peerDeleteCalls). stream varies reads, updates and
// lists from chunk to chunk.
func peerCalls(b *testing.B, c pairedCase, count, sent int, stream uint64, pools []*pgxpool.Pool) []apitest.Request {
	switch c.op {
	case "relation":
		return relationCalls(count, c.n)
	case "delete":
		return peerDeleteCalls(b, pools, count, 1)
	case "bulk-delete":
		return peerDeleteCalls(b, pools, count, c.n)
	case "bulk-create", "bulk-read", "bulk-update":
		calls, _ := bulkCalls(b, count, sent, pools, strings.TrimPrefix(c.op, "bulk-"), c.n)
		return calls
	}
	calls, _ := crudCalls(b, count, pools, c.op, stream)
	return calls
}

// peerDeleteCalls inserts count*n users beyond the seed into each of
// pools, named as addRows names them, and returns count deletes of n of
// them each: single deletes when n is 1, else bulk ones. Unlike addRows it
// may be called again on the same databases: the ids come from the
// inserts, which give every database the same ones.
func peerDeleteCalls(b *testing.B, pools []*pgxpool.Pool, count, n int) []apitest.Request {
	b.Helper()
	var ids []int64
	run := time.Now().UnixNano() // the same emails in every database
	for i, pool := range pools {
		rows, err := pool.Query(context.Background(), `INSERT INTO users (name, email, age)
			SELECT 'extra ' || g, 'extra' || g || '.' || $2::bigint || '@example.com', g % 100 FROM generate_series(1, $1) g
			RETURNING id`, count*n, run)
		if err != nil {
			b.Fatalf("preparing %d rows to delete: %v", count*n, err)
		}
		var got []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				b.Fatalf("preparing %d rows to delete: %v", count*n, err)
			}
			got = append(got, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			b.Fatalf("preparing %d rows to delete: %v", count*n, err)
		}
		slices.Sort(got)
		if i > 0 && !slices.Equal(got, ids) {
			b.Fatalf("preparing rows to delete: the databases gave different ids (%s and %s)", pools[0].Config().ConnConfig.Database, pool.Config().ConnConfig.Database)
		}
		ids = got
	}
	rand.New(rand.NewPCG(uint64(len(ids)), 1)).Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	calls := make([]apitest.Request, count)
	for i := range calls {
		set := ids[i*n : (i+1)*n]
		if n == 1 {
			calls[i] = apitest.Request{Method: "DELETE", Path: "/users/" + strconv.FormatInt(set[0], 10), Status: 204}
			continue
		}
		calls[i] = apitest.Request{Method: "DELETE", Path: "/users/bulk?ids=" + joinIDs(set), Status: 200,
			Want: fmt.Appendf(nil, `{"deleted":%d}`, n)}
	}
	return calls
}

// peerSet is the targets of BenchmarkPeers, started once for all of its
// leaves, and the one client that reaches them.
type peerSet struct {
	names  []string
	ts     []*pairedTarget
	client *http.Client
}

// startPeers starts every target of names, in parallel, each on a
// database of its own, until b's run ends.
func startPeers(b *testing.B, names []string, bin string) *peerSet {
	dir, server := b.TempDir(), pgtest.Server(b).DSN("postgres")
	set := &peerSet{names: names, ts: make([]*pairedTarget, len(names)),
		client: &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 4, DisableCompression: true}}}
	procs := make([]*peer.Process, len(names))
	errs := make([]error, len(names))
	progress.Step(fmt.Sprintf("starting %d targets…", len(names)))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() { set.ts[i], procs[i], errs[i] = openPeerTarget(b, name, bin, server, dir) })
	}
	wg.Wait()
	b.Cleanup(func() {
		set.client.CloseIdleConnections() // first: a server draining waits for no idle connection
		for _, t := range set.ts {
			if t != nil {
				t.admin.Close()
			}
		}
		var stops sync.WaitGroup
		for _, p := range procs {
			if p != nil {
				stops.Go(p.Stop)
			}
		}
		stops.Wait()
		if b.Failed() {
			for _, p := range procs {
				if p != nil {
					b.Logf("%s, last output:\n%s", p.Spec.Name, p.Output())
				}
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
	return set
}

// restoreSQL puts a target's database back in its seeded state between
// leaves, as seed.Restore does, finding the changed users itself: users
// beyond the seed deleted, the id sequence rewound, every seeded user
// with another name, email, age or update time given its seed values
// again, dead rows vacuumed.
var restoreSQL = []string{
	`DELETE FROM users WHERE id > $1`,
	`SELECT setval(pg_get_serial_sequence('users', 'id'), $1)`,
	`UPDATE users SET name = 'user ' || id, email = 'user' || id || '@example.com', age = id % 100, updated_at = created_at
		WHERE id <= $1 AND (name <> 'user ' || id OR email <> 'user' || id || '@example.com' OR age <> id % 100 OR updated_at <> created_at)`,
	`VACUUM users`,
}

// restore puts every target's database back in its seeded state, in
// parallel.
func (s *peerSet) restore(b *testing.B) {
	errs := make([]error, len(s.ts))
	var wg sync.WaitGroup
	for i, t := range s.ts {
		wg.Go(func() {
			for _, q := range restoreSQL {
				var args []any
				if strings.Contains(q, "$1") {
					args = []any{bench.rows}
				}
				if _, err := t.admin.Exec(context.Background(), q, args...); err != nil {
					errs[i] = fmt.Errorf("%s: restoring the seeded state: %w", t.name, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		b.Fatal(err)
	}
}

// runPeers runs one leaf of BenchmarkPeers on the targets of set, their
// databases first put back in their seeded state.
func runPeers(b *testing.B, c pairedCase, set *peerSet) {
	conf, err := pairedOrder()
	if err != nil {
		b.Fatal(err)
	}
	names, ts, client := set.names, set.ts, set.client
	order, err := conf.NewOrder(len(names), c.String())
	if err != nil {
		b.Fatal(err)
	}
	set.restore(b)
	pools := make([]*pgxpool.Pool, len(ts))
	for i, t := range ts {
		pools[i] = t.admin
		t.buf.Grow(64 << 10)
	}

	// The requests are prepared chunk by chunk, outside the timer, as the
	// rounds go on; sent counts the rounds sent so far.
	rowsPer := max(c.n, 1)
	chunk := max(4, min(64, peerChunkRows/rowsPer))
	var calls []apitest.Request
	sent, chunks := 0, 0
	next := func() *apitest.Request {
		if sent == len(calls) {
			b.StopTimer()
			chunks++
			calls = append(calls, peerCalls(b, c, chunk, sent, uint64(7+chunks), pools)...)
			b.StartTimer()
		}
		return &calls[sent]
	}
	ctx := context.Background()
	var cur *apitest.Request
	targets := make([]paired.Target, len(ts))
	for i, t := range ts {
		targets[i] = paired.Target{
			Name: t.name,
			Do: func(int) error {
				t.reply = apitest.Send(ctx, client, t.url, cur, &t.buf)
				return t.reply.Err
			},
			Check: func(int) error { return cur.Check(t.reply) },
		}
	}
	round := func() (*paired.Result, error) {
		cur = next()
		res, err := paired.Run(targets, 1, order)
		sent++
		return res, err
	}

	start := time.Now()
	for w := 0; w < pairedWarmup && (w == 0 || time.Since(start) < peerWarmupTime); w++ {
		if _, err := round(); err != nil {
			b.Fatalf("warming up: %v", err)
		}
	}
	res := &paired.Result{Names: names, Lat: make([][]time.Duration, len(names)), Pos: make([][]int, len(names))}
	runtime.GC() // the garbage of preparing and warming up is not the targets'
	for b.Loop() {
		r, err := round()
		if err != nil {
			b.Fatal(err)
		}
		for i := range r.Lat {
			res.Lat[i] = append(res.Lat[i], r.Lat[i][0])
			res.Pos[i] = append(res.Pos[i], r.Pos[i][0])
		}
	}
	writeRounds(b, res)
	for _, t := range ts {
		b.ReportMetric(res.Mean(t.name), t.name+"-ns/op")
		reportPercentiles(b, t.name+"-", slices.Clone(res.Of(t.name)))
	}
	for _, r := range peerRatios() {
		if slices.Contains(names, r[0]) {
			reportRatios(b, res, r[0], r[1])
		}
	}
	created, left := 0, 0
	switch c.op {
	case "create":
		created = sent
	case "bulk-create":
		created = sent * c.n
	case "delete", "bulk-delete":
		left = (len(calls) - sent) * rowsPer
	}
	checkSameUsersLeft(b, ts, created, left, c.op)
}
