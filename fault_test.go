package crudbench_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgserver"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/suite"
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

// everyKind is one request of each kind the API serves, in an order where
// each succeeds on the fixture Nine, with the status it gets when nothing
// is wrong.
var everyKind = []apitest.Request{
	{Name: "read", Method: "GET", Path: "/users/1", Status: 200},
	{Name: "read-with-posts", Method: "GET", Path: "/users/1?include=posts", Status: 200},
	{Name: "list", Method: "GET", Path: "/users?limit=5", Status: 200},
	{Name: "create", Method: "POST", Path: "/users", Body: `{"name":"New","email":"new@example.com"}`, Status: 201},
	{Name: "update", Method: "PATCH", Path: "/users/1", Body: `{"age":37}`, Status: 200},
	{Name: "delete", Method: "DELETE", Path: "/users/2", Status: 204},
	{Name: "bulk-create", Method: "POST", Path: "/users/bulk", Body: `[{"name":"B1","email":"b1@example.com"},{"name":"B2","email":"b2@example.com"}]`, Status: 201},
	{Name: "bulk-read", Method: "GET", Path: "/users/bulk?ids=1,3", Status: 200},
	{Name: "bulk-update", Method: "PATCH", Path: "/users/bulk", Body: `[{"id":1,"age":38},{"id":3,"name":"Cyd"}]`, Status: 200},
	{Name: "bulk-delete", Method: "DELETE", Path: "/users/bulk?ids=4,5", Status: 200},
	{Name: "create-post", Method: "POST", Path: "/users/1/posts", Body: `{"title":"Hi"}`, Status: 201},
}

// TestFaultServerHalted halts PostgreSQL under load, as a crash would, and
// checks that every arm answers every kind of request with a prompt 503
// while it is down, and serves again after it is resumed, through the same
// HTTP servers and pools.
func TestFaultServerHalted(t *testing.T) {
	ctx := context.Background()
	server := pgtest.Server(t)
	var servers []*apitest.Server
	for _, name := range suite.Arms {
		servers = append(servers, apitest.MustServeSeeded(t, name, apitest.Options{}, apitest.Nine))
	}

	// Load: clients reading and updating on every arm until told to stop.
	loadCtx, stopLoad := context.WithCancel(ctx)
	type loadReply struct {
		apitest.Reply
		at time.Time
	}
	var (
		wg      sync.WaitGroup
		loadMu  sync.Mutex
		load    = map[string][]loadReply{}
		resumed time.Time // zero until PostgreSQL is resumed; under loadMu
	)
	successesAfterResume := func(arm string) int {
		loadMu.Lock()
		defer loadMu.Unlock()
		n := 0
		for _, r := range load[arm] {
			if !resumed.IsZero() && r.at.After(resumed) && r.Status < 300 {
				n++
			}
		}
		return n
	}
	for _, s := range servers {
		for c := range 4 {
			wg.Go(func() {
				for i := 0; loadCtx.Err() == nil; i++ {
					var r apitest.Reply
					if (c+i)%2 == 0 {
						r = s.Send(ctx, apitest.Get("/users/1"))
					} else {
						r = s.Send(ctx, apitest.Patch("/users/3", fmt.Sprintf(`{"age":%d}`, i%100)))
					}
					loadMu.Lock()
					load[s.Name] = append(load[s.Name], loadReply{r, time.Now()})
					loadMu.Unlock()
				}
			})
		}
	}
	defer func() { stopLoad(); wg.Wait() }()
	apitest.Eventually(t, 10*time.Second, func() (bool, string) {
		loadMu.Lock()
		defer loadMu.Unlock()
		for _, s := range servers {
			if len(load[s.Name]) < 20 {
				return false, fmt.Sprintf("arm %s: %d answers before the halt", s.Name, len(load[s.Name]))
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
		t.Run("down/arm="+s.Name, func(t *testing.T) {
			for _, req := range everyKind {
				checkUnavailable(t, req.Name, s.Send(ctx, req))
			}
			// A burst, so that many requests meet the outage at once.
			replies := make([]apitest.Reply, 16)
			var burst sync.WaitGroup
			for i := range replies {
				burst.Go(func() { replies[i] = s.Send(ctx, apitest.Get(fmt.Sprintf("/users/%d", i%9+1))) })
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
	loadMu.Lock()
	resumed = resumedAt
	loadMu.Unlock()
	t.Logf("%s: resumed in %s", server.Provider(), time.Since(resumedAt).Round(time.Millisecond))

	// The running load recovers by itself: the same servers and pools.
	apitest.Eventually(t, 30*time.Second, func() (bool, string) {
		for _, s := range servers {
			if n := successesAfterResume(s.Name); n < 20 {
				return false, fmt.Sprintf("arm %s: %d successful answers since the resume", s.Name, n)
			}
		}
		return true, ""
	})
	stopLoad()
	wg.Wait()

	for _, s := range servers {
		t.Run("load/arm="+s.Name, func(t *testing.T) {
			var down, failed int
			for _, r := range load[s.Name] {
				switch {
				case r.Err != nil || (r.Status != 200 && r.Status != 503):
					failed++
					if failed <= 5 {
						t.Errorf("load request: %s; want 200, or 503 while PostgreSQL is down", r)
					}
				case r.Status == 503:
					down++
					if r.Took > failFast {
						t.Errorf("load request failed only after %s: %s", r.Took, r)
					}
				}
			}
			t.Logf("%d load requests: %d answered 503", len(load[s.Name]), down)
			if down == 0 {
				t.Error("no load request met the outage")
			}
		})
		t.Run("up/arm="+s.Name, func(t *testing.T) {
			for _, req := range everyKind {
				if err := req.Check(s.Send(ctx, req)); err != nil {
					t.Errorf("after the resume: %v", err)
				}
			}
			apitest.Eventually(t, settle, func() (bool, string) {
				st := s.Arm.Stats()
				return st.InUse == 0, fmt.Sprintf("%d connections checked out", st.InUse)
			})
		})
	}
}

// checkUnavailable fails t unless r is a 503 with code unavailable and the
// message that says so, answered within failFast.
func checkUnavailable(t *testing.T, what string, r apitest.Reply) {
	t.Helper()
	code, msg := r.APIError()
	if r.Err != nil || r.Status != 503 || code != crudbench.EUNAVAILABLE || msg != unavailableMessage {
		t.Errorf("%s while PostgreSQL is down: %s; want 503 %q", what, r, unavailableMessage)
	} else if r.Took > failFast {
		t.Errorf("%s while PostgreSQL is down: the 503 took %s, want under %s", what, r.Took, failFast)
	}
}

// lockedRequests all need the row of user 1, or a lock that conflicts with
// a FOR UPDATE lock on it (a new post's foreign key check), or the email
// lockRow's transaction inserted (a new user's unique check waits for that
// transaction), and none may change anything if it times out.
var lockedRequests = []apitest.Request{
	{Name: "update", Method: "PATCH", Path: "/users/1", Body: `{"name":"Late"}`, Status: 200},
	{Name: "delete", Method: "DELETE", Path: "/users/1", Status: 204},
	{Name: "bulk-update", Method: "PATCH", Path: "/users/bulk", Body: `[{"id":2,"age":1},{"id":1,"name":"Late"}]`, Status: 200},
	{Name: "bulk-delete", Method: "DELETE", Path: "/users/bulk?ids=2,1", Status: 200},
	{Name: "create-post", Method: "POST", Path: "/users/1/posts", Body: `{"title":"Late"}`, Status: 201},
	{Name: "create", Method: "POST", Path: "/users", Body: `{"name":"Late","email":"` + lockedEmail + `"}`, Status: 201},
}

// lockedEmail is the email of the user lockRow's transaction inserts.
const lockedEmail = "late@example.com"

// lockRow begins a transaction on dsn holding user id's row lock and an
// uncommitted user with lockedEmail; it ends
// with tb or when the returned function is called.
func lockRow(tb testing.TB, dsn string, id int64) (release func()) {
	tb.Helper()
	ctx := context.Background()
	tx, err := apitest.MustConnect(tb, dsn, "crudbench-lock-holder").Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM users WHERE id = $1 FOR UPDATE", id); err != nil {
		tb.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO users (name, email) VALUES ('Holder', $1)", lockedEmail); err != nil {
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

// TestFaultClientGoneWhileWaiting closes a client's socket, with no cancel
// request, while its statement waits on a row lock: the cancel request a
// driver sends for a request past its deadline is lost when it reaches the
// backend before the statement starts. The backend must still leave within
// settle, and its statement must not run once the lock is released.
func TestFaultClientGoneWhileWaiting(t *testing.T) {
	ctx := context.Background()
	if p := pgtest.Server(t).Provider(); p != pgserver.ProviderDocker && p != pgserver.ProviderLocal {
		t.Skipf("provider %s: a server given by DSN keeps its own client_connection_check_interval", p)
	}
	const app = "crudbench-gone"
	dsn := pgtest.NewDatabase(t)
	mon := apitest.MustConnect(t, dsn, "")
	if _, err := mon.Exec(ctx, "INSERT INTO users (name, email, age) VALUES ('Ada', 'ada@example.com', 30)"); err != nil {
		t.Fatal(err)
	}
	release := lockRow(t, dsn, 1)
	// The client's first dial is its connection; any later one, the cancel
	// request pgx sends when the socket fails, is refused, so it is lost.
	appDSN, err := apitest.WithAppName(dsn, app)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(appDSN)
	if err != nil {
		t.Fatal(err)
	}
	var dials atomic.Int32
	cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) > 1 {
			return nil, errors.New("cancel requests are dropped in this test")
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	client, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connecting: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := client.Exec(ctx, "UPDATE users SET age = 99 WHERE id = 1")
		done <- err
	}()
	apitest.Eventually(t, settle, func() (bool, string) {
		_, waiting := apitest.MustBackends(t, mon, app)
		return waiting == 1, fmt.Sprintf("%d backends waiting for the lock, want 1", waiting)
	})
	if err := client.PgConn().Conn().Close(); err != nil {
		t.Fatalf("closing the client's socket: %v", err)
	}
	if err := <-done; err == nil {
		t.Error("the update succeeded on a closed socket")
	}
	apitest.Eventually(t, settle, func() (bool, string) {
		active, waiting := apitest.MustBackends(t, mon, app)
		return active == 0 && waiting == 0, fmt.Sprintf("%d backends of the closed client active, %d waiting for the lock", active, waiting)
	})
	release()
	var age int
	if err := mon.QueryRow(ctx, "SELECT age FROM users WHERE id = 1").Scan(&age); err != nil || age != 30 {
		t.Errorf("user 1's age is %d (err %v), want 30: the closed client's update ran", age, err)
	}
}

// TestFaultDeadlineCancelsQuery blocks requests on a row lock past their
// deadline and checks that each arm answers 504 on time and that the
// deadline reaches PostgreSQL: no backend goes on waiting for the lock, no
// connection stays checked out, and the request has no effect once the
// lock is released. The arms run in parallel, each on its own database
// and row lock; their requests one after another.
func TestFaultDeadlineCancelsQuery(t *testing.T) {
	const timeout = 300 * time.Millisecond
	ctx := context.Background()
	for _, name := range suite.Arms {
		t.Run("arm="+name, func(t *testing.T) {
			t.Parallel()
			app := "crudbench-deadline-" + name
			s, mon := apitest.MustServeWatched(t, name, apitest.Options{Timeout: timeout, AppName: app}, apitest.Nine)
			for _, req := range lockedRequests {
				t.Run(req.Name, func(t *testing.T) {
					release := lockRow(t, s.DSN, 1)
					// Bounded by the client too: should the deadline not
					// reach the database, the request would wait for the
					// lock, which is released only after it returns.
					rctx, cancel := context.WithTimeout(ctx, timeout+settle+time.Second)
					defer cancel()
					r := s.Send(rctx, req)
					if code, _ := r.APIError(); r.Status != 504 || code != crudbench.ETIMEOUT {
						t.Errorf("%s behind a row lock: %s; want 504 timeout", &req, r)
					}
					if r.Took < timeout || r.Took > timeout+settle {
						t.Errorf("answered after %s; want the deadline, %s, plus at most %s", r.Took, timeout, settle)
					}
					apitest.Eventually(t, settle, func() (bool, string) {
						_, waiting := apitest.MustBackends(t, mon, app)
						return waiting == 0, fmt.Sprintf("%d backends of the arm still wait for the lock: the deadline did not cancel the statement", waiting)
					})
					apitest.Eventually(t, settle, func() (bool, string) {
						st := s.Arm.Stats()
						return st.InUse == 0, fmt.Sprintf("%d connections still checked out", st.InUse)
					})
					release()
					apitest.Eventually(t, settle, func() (bool, string) {
						active, _ := apitest.MustBackends(t, mon, app)
						return active == 0, fmt.Sprintf("%d backends of the arm still running after the lock was released", active)
					})
					var (
						name         string
						posts, users int
					)
					err := mon.QueryRow(ctx, `SELECT (SELECT name FROM users WHERE id = 1), (SELECT count(*) FROM posts), (SELECT count(*) FROM users)`).Scan(&name, &posts, &users)
					if err != nil || name != "Ada" || posts != 0 || users != 9 {
						t.Errorf("after the timed-out request: user 1 is %q, %d posts, %d users (err %v); want it untouched", name, posts, users, err)
					}
					if r := s.Send(ctx, apitest.Get("/users/1")); r.Status != 200 {
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
// is gone a burst of updates of the row must all succeed. The arms run in
// parallel, each on its own database.
func TestFaultPoolExhausted(t *testing.T) {
	t.Setenv(dbconf.EnvPoolSize, "2")
	const (
		timeout = time.Second
		blocked = 8 // updates of the locked row
		free    = 8 // reads of other rows, queued behind them for a connection
		burst   = 16
	)
	ctx := context.Background()
	for _, name := range suite.Arms {
		t.Run("arm="+name, func(t *testing.T) {
			t.Parallel() // after the parent's Setenv, which the subtests read
			app := "crudbench-pool-" + name
			s, mon := apitest.MustServeWatched(t, name, apitest.Options{Timeout: timeout, AppName: app}, apitest.Nine)

			maxOpen := 0 // the most connections the pool held; owned by the sampler while requests run
			sample := func() { maxOpen = max(maxOpen, s.Arm.Stats().Open) }
			concurrently := func(n int, send func(i int) apitest.Reply) []apitest.Reply {
				out := make([]apitest.Reply, n)
				var wg sync.WaitGroup
				done, sampled := make(chan struct{}), make(chan struct{})
				go func() { // sample the pool while the requests run
					defer close(sampled)
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
				<-sampled
				return out
			}

			release := lockRow(t, s.DSN, 1)
			rctx, cancel := context.WithTimeout(ctx, timeout+settle+time.Second) // see TestFaultDeadlineCancelsQuery
			defer cancel()
			replies := concurrently(blocked+free, func(i int) apitest.Reply {
				if i < blocked {
					return s.Send(rctx, apitest.Patch("/users/1", fmt.Sprintf(`{"age":%d}`, i)))
				}
				return s.Send(rctx, apitest.Get(fmt.Sprintf("/users/%d", i-blocked+2)))
			})
			var timedOut, served int
			for i, r := range replies {
				what := "update of the locked row"
				if i >= blocked {
					what = "read of another row"
				}
				switch {
				case r.Err == nil && (r.Status == 504 || r.Status == 503):
					timedOut++
				case r.Err == nil && r.Status == 200 && i >= blocked:
					served++
				default:
					t.Errorf("%s: %s; want 504 or 503 (or 200 for a read)", what, r)
				}
				if r.Took > timeout+settle {
					t.Errorf("%s took %s, want at most the deadline %s plus %s", what, r.Took, timeout, settle)
				}
			}
			t.Logf("%d requests on 2 connections behind a lock: %d timed out, %d reads served", len(replies), timedOut, served)
			apitest.Eventually(t, settle, func() (bool, string) {
				st := s.Arm.Stats()
				active, waiting := apitest.MustBackends(t, mon, app)
				return st.InUse == 0 && waiting == 0 && active == 0,
					fmt.Sprintf("%d connections checked out; %d backends of the arm active, %d waiting for the lock", st.InUse, active, waiting)
			})
			release()

			replies = concurrently(burst, func(i int) apitest.Reply {
				return s.Send(ctx, apitest.Patch("/users/1", fmt.Sprintf(`{"name":"Burst %d"}`, i)))
			})
			names := map[string]bool{}
			for i, r := range replies {
				if r.Status != 200 {
					t.Errorf("update after the lock was released: %s", r)
				}
				names[fmt.Sprintf("Burst %d", i)] = true
			}
			var final string
			if err := mon.QueryRow(ctx, "SELECT name FROM users WHERE id = 1").Scan(&final); err != nil || !names[final] {
				t.Errorf("user 1 is named %q (err %v), want one of the burst's names", final, err)
			}
			if n := maxOpen; n > 2 {
				t.Errorf("the pool opened %d connections, want at most 2", n)
			}
			apitest.Eventually(t, settle, func() (bool, string) {
				var conns int
				if err := mon.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1", app).Scan(&conns); err != nil {
					t.Fatal(err)
				}
				return conns <= 2, fmt.Sprintf("PostgreSQL has %d connections of the arm, want at most 2", conns)
			})
		})
	}
}
