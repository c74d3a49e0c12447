package crudbench_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/httpapi"
	"github.com/crudbench/crudbench/internal/arms"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// Fault tests: PostgreSQL going away and coming back, statements outliving
// their request, and a pool with fewer connections than requests. Every arm
// must answer each fault with a 503 or 504 in bounded time, leave nothing
// running in PostgreSQL or checked out of its pool, and serve again once
// the fault is gone, without a restart.

const (
	// failFast bounds how long any request may take while PostgreSQL is
	// down: dbconf.ConnectTimeout plus slack for a loaded machine.
	failFast = 5 * time.Second
	// settle bounds how long cleanup after a cancelled request may take:
	// the backend's statement cancelled, the connection back in the pool.
	settle = 3 * time.Second
)

const unavailableMessage = "The database is unavailable; try again shortly."

// faultSeed is the rows fault tests start from.
const faultSeed = `INSERT INTO users (name, email, age) VALUES
	('Ada', 'ada@example.com', 36), ('Bob', 'bob@example.com', 41), ('Cy', 'cy@example.com', 0),
	('Di', 'di@example.com', 5), ('Ed', 'ed@example.com', 6), ('Flo', 'flo@example.com', 7),
	('Gus', 'gus@example.com', 8), ('Hal', 'hal@example.com', 9), ('Ivy', 'ivy@example.com', 10)`

// faultRequest is one request of a fault test and the status it gets when
// nothing is wrong.
type faultRequest struct {
	name, method, path, body string
	ok                       int
}

// everyKind is one request of each kind the API serves, in an order where
// each succeeds on faultSeed.
var everyKind = []faultRequest{
	{"read", "GET", "/users/1", "", 200},
	{"read-with-posts", "GET", "/users/1?include=posts", "", 200},
	{"list", "GET", "/users?limit=5", "", 200},
	{"create", "POST", "/users", `{"name":"New","email":"new@example.com"}`, 201},
	{"update", "PATCH", "/users/1", `{"age":37}`, 200},
	{"delete", "DELETE", "/users/2", "", 204},
	{"bulk-create", "POST", "/users/bulk", `[{"name":"B1","email":"b1@example.com"},{"name":"B2","email":"b2@example.com"}]`, 201},
	{"bulk-read", "GET", "/users/bulk?ids=1,3", "", 200},
	{"bulk-update", "PATCH", "/users/bulk", `[{"id":1,"age":38},{"id":3,"name":"Cyd"}]`, 200},
	{"bulk-delete", "DELETE", "/users/bulk?ids=4,5", "", 200},
	{"create-post", "POST", "/users/1/posts", `{"title":"Hi"}`, 201},
}

// TestFaultServerHalted halts PostgreSQL under load, as a crash would, and
// checks that every arm answers every kind of request with a prompt 503
// while it is down, and serves again after it is resumed, through the same
// HTTP servers and pools.
func TestFaultServerHalted(t *testing.T) {
	ctx := context.Background()
	server := pgtest.Server(t)
	var servers []*armServer
	for _, name := range arms.Names {
		dsn := pgtest.NewDatabase(t)
		if err := pgtest.Exec(ctx, dsn, faultSeed); err != nil {
			t.Fatal(err)
		}
		servers = append(servers, serveArm(t, name, dsn, httpapi.Options{}))
	}

	// Load: clients reading and updating on every arm until told to stop.
	type loadReply struct {
		reply
		at time.Time
	}
	var (
		stop    atomic.Bool
		wg      sync.WaitGroup
		loadMu  sync.Mutex
		load    = map[string][]loadReply{}
		resumed atomic.Pointer[time.Time]
	)
	successesAfterResume := func(arm string) int {
		loadMu.Lock()
		defer loadMu.Unlock()
		n := 0
		if at := resumed.Load(); at != nil {
			for _, r := range load[arm] {
				if r.at.After(*at) && r.status < 300 {
					n++
				}
			}
		}
		return n
	}
	for _, s := range servers {
		for c := range 4 {
			wg.Go(func() {
				for i := 0; !stop.Load(); i++ {
					var r reply
					if (c+i)%2 == 0 {
						r = s.send(ctx, "GET", "/users/1", "")
					} else {
						r = s.send(ctx, "PATCH", "/users/3", fmt.Sprintf(`{"age":%d}`, i%100))
					}
					loadMu.Lock()
					load[s.name] = append(load[s.name], loadReply{r, time.Now()})
					loadMu.Unlock()
				}
			})
		}
	}
	defer func() { stop.Store(true); wg.Wait() }()
	eventually(t, 10*time.Second, func() (bool, string) {
		loadMu.Lock()
		defer loadMu.Unlock()
		for _, s := range servers {
			if len(load[s.name]) < 20 {
				return false, fmt.Sprintf("arm %s: %d answers before the halt", s.name, len(load[s.name]))
			}
		}
		return true, ""
	})

	// Asynchronous commit may lose the last transactions in a crash; a
	// checkpoint makes the seeded databases survive the halt.
	if err := pgtest.Exec(ctx, server.DSN("postgres"), "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	halted := time.Now()
	if err := server.Halt(ctx); err != nil {
		t.Fatalf("halting PostgreSQL: %v", err)
	}
	up := false
	t.Cleanup(func() { // later tests need the server, whatever happened here
		if !up {
			if err := server.Resume(context.Background()); err != nil {
				t.Errorf("resuming PostgreSQL: %v", err)
			}
		}
	})
	t.Logf("%s: halted in %s", server.Provider(), time.Since(halted).Round(time.Millisecond))

	for _, s := range servers {
		t.Run("down/arm="+s.name, func(t *testing.T) {
			for _, req := range everyKind {
				r := s.send(ctx, req.method, req.path, req.body)
				checkUnavailable(t, req.name, r)
			}
			// A burst, so that many requests meet the outage at once.
			replies := make([]reply, 16)
			var burst sync.WaitGroup
			for i := range replies {
				burst.Go(func() { replies[i] = s.send(ctx, "GET", fmt.Sprintf("/users/%d", i%9+1), "") })
			}
			burst.Wait()
			for i, r := range replies {
				checkUnavailable(t, fmt.Sprintf("burst read %d", i), r)
			}
		})
	}

	resumedAt := time.Now()
	if err := server.Resume(ctx); err != nil {
		t.Fatalf("resuming PostgreSQL: %v", err)
	}
	up = true
	resumed.Store(&resumedAt)
	t.Logf("%s: resumed in %s", server.Provider(), time.Since(resumedAt).Round(time.Millisecond))

	// The running load recovers by itself: the same servers and pools.
	eventually(t, 30*time.Second, func() (bool, string) {
		for _, s := range servers {
			if n := successesAfterResume(s.name); n < 20 {
				return false, fmt.Sprintf("arm %s: %d successful answers since the resume", s.name, n)
			}
		}
		return true, ""
	})
	stop.Store(true)
	wg.Wait()

	for _, s := range servers {
		t.Run("load/arm="+s.name, func(t *testing.T) {
			var down, failed int
			for _, r := range load[s.name] {
				switch {
				case r.err != nil || (r.status != 200 && r.status != 503):
					failed++
					if failed <= 5 {
						t.Errorf("load request: %s; want 200, or 503 while PostgreSQL is down", r)
					}
				case r.status == 503:
					down++
					if r.took > failFast {
						t.Errorf("load request failed only after %s: %s", r.took, r)
					}
				}
			}
			t.Logf("%d load requests: %d answered 503", len(load[s.name]), down)
			if down == 0 {
				t.Error("no load request met the outage")
			}
		})
		t.Run("up/arm="+s.name, func(t *testing.T) {
			for _, req := range everyKind {
				if r := s.send(ctx, req.method, req.path, req.body); r.status != req.ok {
					t.Errorf("%s %s after the resume: %s; want %d", req.method, req.path, r, req.ok)
				}
			}
			eventually(t, settle, func() (bool, string) {
				st := s.arm.Stats()
				return st.InUse == 0, fmt.Sprintf("%d connections checked out", st.InUse)
			})
		})
	}
}

// checkUnavailable fails t unless r is a 503 with code unavailable and the
// message that says so, answered within failFast.
func checkUnavailable(t *testing.T, what string, r reply) {
	t.Helper()
	code, msg := r.apiError()
	if r.err != nil || r.status != 503 || code != crudbench.EUNAVAILABLE || msg != unavailableMessage {
		t.Errorf("%s while PostgreSQL is down: %s; want 503 %q", what, r, unavailableMessage)
	} else if r.took > failFast {
		t.Errorf("%s while PostgreSQL is down: the 503 took %s, want under %s", what, r.took, failFast)
	}
}

// lockedRequests all need the row of user 1, or a lock that conflicts with
// a FOR UPDATE lock on it (a new post's foreign key check), and none may
// change anything if it times out.
var lockedRequests = []faultRequest{
	{"update", "PATCH", "/users/1", `{"name":"Late"}`, 200},
	{"delete", "DELETE", "/users/1", "", 204},
	{"bulk-update", "PATCH", "/users/bulk", `[{"id":2,"age":1},{"id":1,"name":"Late"}]`, 200},
	{"bulk-delete", "DELETE", "/users/bulk?ids=2,1", "", 200},
	{"create-post", "POST", "/users/1/posts", `{"title":"Late"}`, 201},
}

// lockRow begins a transaction on dsn holding user id's row lock; it ends
// with tb or when the returned function is called.
func lockRow(tb testing.TB, dsn string, id int64) (release func()) {
	tb.Helper()
	ctx := context.Background()
	tx, err := connect(tb, withAppName(tb, dsn, "crudbench-lock-holder")).Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM users WHERE id = $1 FOR UPDATE", id); err != nil {
		tb.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if err := tx.Rollback(ctx); err != nil {
				tb.Errorf("releasing the row lock: %v", err)
			}
		})
	}
	tb.Cleanup(release)
	return release
}

// backends counts the backends of application app that are running a
// statement, and those of them waiting for a lock.
func backends(tb testing.TB, mon *pgx.Conn, app string) (active, waiting int) {
	tb.Helper()
	err := mon.QueryRow(context.Background(), `SELECT count(*) FILTER (WHERE state <> 'idle'),
		count(*) FILTER (WHERE wait_event_type = 'Lock') FROM pg_stat_activity WHERE application_name = $1`, app).Scan(&active, &waiting)
	if err != nil {
		tb.Fatalf("reading pg_stat_activity: %v", err)
	}
	return active, waiting
}

// TestFaultDeadlineCancelsQuery blocks requests on a row lock past their
// deadline and checks that each arm answers 504 on time and that the
// deadline reaches PostgreSQL: no backend goes on waiting for the lock, no
// connection stays checked out, and the request has no effect once the
// lock is released.
func TestFaultDeadlineCancelsQuery(t *testing.T) {
	const timeout = 300 * time.Millisecond
	ctx := context.Background()
	for _, name := range arms.Names {
		t.Run("arm="+name, func(t *testing.T) {
			app := "crudbench-deadline-" + name
			s, dsn, mon := serveSeeded(t, name, app, timeout)
			for _, req := range lockedRequests {
				t.Run(req.name, func(t *testing.T) {
					release := lockRow(t, dsn, 1)
					// Bounded by the client too: should the deadline not
					// reach the database, the request would wait for the
					// lock, which is released only after it returns.
					rctx, cancel := context.WithTimeout(ctx, timeout+settle+time.Second)
					defer cancel()
					r := s.send(rctx, req.method, req.path, req.body)
					if code, _ := r.apiError(); r.status != 504 || code != crudbench.ETIMEOUT {
						t.Errorf("%s %s behind a row lock: %s; want 504 timeout", req.method, req.path, r)
					}
					if r.took < timeout || r.took > timeout+settle {
						t.Errorf("answered after %s; want the deadline, %s, plus at most %s", r.took, timeout, settle)
					}
					eventually(t, settle, func() (bool, string) {
						_, waiting := backends(t, mon, app)
						return waiting == 0, fmt.Sprintf("%d backends of the arm still wait for the lock: the deadline did not cancel the statement", waiting)
					})
					eventually(t, settle, func() (bool, string) {
						st := s.arm.Stats()
						return st.InUse == 0, fmt.Sprintf("%d connections still checked out", st.InUse)
					})
					release()
					eventually(t, settle, func() (bool, string) {
						active, _ := backends(t, mon, app)
						return active == 0, fmt.Sprintf("%d backends of the arm still running after the lock was released", active)
					})
					var (
						name  string
						posts int
					)
					err := mon.QueryRow(ctx, `SELECT (SELECT name FROM users WHERE id = 1), (SELECT count(*) FROM posts)`).Scan(&name, &posts)
					if err != nil || name != "Ada" || posts != 0 {
						t.Errorf("after the timed-out request: user 1 is %q, %d posts (err %v); want it untouched", name, posts, err)
					}
					if r := s.send(ctx, "GET", "/users/1", ""); r.status != 200 {
						t.Errorf("reading after the timeout: %s", r)
					}
				})
			}
		})
	}
}

// TestFaultPoolExhausted gives each arm a pool of two connections and
// sends more requests than that, some blocked on a row lock: all must end
// by their deadline with 504 or 503 (or succeed), none may hang or leak a
// connection, the pool must stay within two connections, and once the lock
// is gone a burst of updates of the row must all succeed.
func TestFaultPoolExhausted(t *testing.T) {
	t.Setenv(dbconf.EnvPoolSize, "2")
	const (
		timeout = time.Second
		blocked = 8 // updates of the locked row
		free    = 8 // reads of other rows, queued behind them for a connection
		burst   = 16
	)
	ctx := context.Background()
	for _, name := range arms.Names {
		t.Run("arm="+name, func(t *testing.T) {
			app := "crudbench-pool-" + name
			s, dsn, mon := serveSeeded(t, name, app, timeout)

			var maxOpen atomic.Int64
			sample := func() {
				if n := int64(s.arm.Stats().Open); n > maxOpen.Load() {
					maxOpen.Store(n)
				}
			}
			concurrently := func(n int, send func(i int) reply) []reply {
				out := make([]reply, n)
				var wg sync.WaitGroup
				done := make(chan struct{})
				go func() { // sample the pool while the requests run
					for {
						select {
						case <-done:
							return
						case <-time.After(2 * time.Millisecond):
							sample()
						}
					}
				}()
				for i := range out {
					wg.Go(func() { out[i] = send(i) })
				}
				wg.Wait()
				close(done)
				return out
			}

			release := lockRow(t, dsn, 1)
			rctx, cancel := context.WithTimeout(ctx, timeout+settle+time.Second) // see TestFaultDeadlineCancelsQuery
			defer cancel()
			replies := concurrently(blocked+free, func(i int) reply {
				if i < blocked {
					return s.send(rctx, "PATCH", "/users/1", fmt.Sprintf(`{"age":%d}`, i))
				}
				return s.send(rctx, "GET", fmt.Sprintf("/users/%d", i-blocked+2), "")
			})
			var timedOut, served int
			for i, r := range replies {
				what := "update of the locked row"
				if i >= blocked {
					what = "read of another row"
				}
				switch {
				case r.err == nil && (r.status == 504 || r.status == 503):
					timedOut++
				case r.err == nil && r.status == 200 && i >= blocked:
					served++
				default:
					t.Errorf("%s: %s; want 504 or 503 (or 200 for a read)", what, r)
				}
				if r.took > timeout+settle {
					t.Errorf("%s took %s, want at most the deadline %s plus %s", what, r.took, timeout, settle)
				}
			}
			t.Logf("%d requests on 2 connections behind a lock: %d timed out, %d reads served", len(replies), timedOut, served)
			eventually(t, settle, func() (bool, string) {
				st := s.arm.Stats()
				active, waiting := backends(t, mon, app)
				return st.InUse == 0 && waiting == 0 && active == 0,
					fmt.Sprintf("%d connections checked out; %d backends of the arm active, %d waiting for the lock", st.InUse, active, waiting)
			})
			release()

			replies = concurrently(burst, func(i int) reply {
				return s.send(ctx, "PATCH", "/users/1", fmt.Sprintf(`{"name":"Burst %d"}`, i))
			})
			names := map[string]bool{}
			for i, r := range replies {
				if r.status != 200 {
					t.Errorf("update after the lock was released: %s", r)
				}
				names[fmt.Sprintf("Burst %d", i)] = true
			}
			var final string
			if err := mon.QueryRow(ctx, "SELECT name FROM users WHERE id = 1").Scan(&final); err != nil || !names[final] {
				t.Errorf("user 1 is named %q (err %v), want one of the burst's names", final, err)
			}
			if n := maxOpen.Load(); n > 2 {
				t.Errorf("the pool opened %d connections, want at most 2", n)
			}
			eventually(t, settle, func() (bool, string) {
				var conns int
				if err := mon.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&conns); err != nil {
					t.Fatal(err)
				}
				return conns <= 2, fmt.Sprintf("PostgreSQL has %d connections of the arm, want at most 2", conns)
			})
		})
	}
}
