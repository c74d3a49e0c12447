package crudbench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/apitest"
	"github.com/crudbench/crudbench/internal/history"
	"github.com/crudbench/crudbench/internal/pgerr"
	"github.com/crudbench/crudbench/internal/seed"
	"github.com/crudbench/crudbench/internal/suite"
	"github.com/jackc/pgx/v5"
)

// The concurrency test runs many clients against each arm, on a few rows so
// that they collide, records every request with its answer and when it was
// sent and answered, and then checks that the answers and the database
// agree: what is decidable from the outside without knowing the order in
// which PostgreSQL committed.

const (
	concClients  = 64
	concOps      = 50 // per client
	concSeeded   = 12 // users 1..12 exist before the clients start
	concEmails   = 40 // clients draw emails from this many, so they collide
	concTargets  = 16 // clients address the newest this many live ids
	concDeadline = 30 * time.Second
)

// concSeedEnv fixes the random seed of the clients, to replay a failure.
const concSeedEnv = "CRUDBENCH_CONC_SEED"

// TestConcurrentClients runs concClients clients per arm, each sending
// concOps random requests of every kind on overlapping rows, and checks the
// invariants below; then races clients for one email in three ways. The
// arms run in parallel, each on its own database: the checks read the
// order of answers, not their latency.
func TestConcurrentClients(t *testing.T) {
	rnd := uint64(time.Now().UnixNano())
	if v := os.Getenv(concSeedEnv); v != "" {
		var err error
		if rnd, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", concSeedEnv, v, err)
		}
	}
	t.Logf("seed %d (set %s to replay)", rnd, concSeedEnv)
	for _, name := range suite.Arms {
		t.Run("arm="+name, func(t *testing.T) {
			t.Parallel()
			// A generous deadline: this test is about answers, not latency.
			s := apitest.MustServeSeeded(t, name, apitest.Options{Timeout: concDeadline}, seed.Numbered("Seed", "p", concSeeded))
			began := time.Now()
			ops := concRun(s, rnd)
			t.Logf("%d requests in %s", len(ops), time.Since(began).Round(time.Millisecond))
			seeded := make([]history.Row, concSeeded)
			for i := range seeded {
				seeded[i] = history.Row{ID: int64(i + 1), Name: fmt.Sprintf("Seed %d", i+1), Email: fmt.Sprintf("p%d@example.com", i), Age: i}
			}
			res := history.Check(seeded, ops, readState(t, s.DSN))
			for i, err := range res.Problems {
				if i == 40 {
					t.Errorf("… %d problems in all", len(res.Problems))
					break
				}
				t.Error(err)
			}
			t.Logf("checked %d requests: %s", len(ops), res.Summary())
		})
	}
	for _, name := range suite.Arms {
		t.Run("email-race/arm="+name, func(t *testing.T) {
			t.Parallel()
			concRaceEmail(t, apitest.MustServeSeeded(t, name, apitest.Options{Timeout: concDeadline}, seed.Numbered("Racer", "racer", concClients)))
		})
	}
}

// concKnown is the ids clients address: the seeded ones and every id a
// create has returned, until a client sees it deleted. Others may still
// address it for a while: deletes race with everything else.
type concKnown struct {
	mu  sync.Mutex
	ids []int64
}

func (k *concKnown) add(ids ...int64) {
	k.mu.Lock()
	k.ids = append(k.ids, ids...)
	k.mu.Unlock()
}

func (k *concKnown) empty() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.ids) == 0
}

func (k *concKnown) drop(ids ...int64) {
	k.mu.Lock()
	k.ids = slices.DeleteFunc(k.ids, func(id int64) bool { return slices.Contains(ids, id) })
	k.mu.Unlock()
}

// learn updates k from an answer: ids created, ids seen gone.
func (k *concKnown) learn(op *history.Op) {
	for _, u := range history.Created(op) {
		k.add(u.ID)
	}
	switch st := op.Reply.Status; {
	case op.Kind == history.Delete && st == 204, len(op.IDs) == 1 && st == 404:
		k.drop(op.IDs...)
	case op.Kind == history.BulkDelete && st == 200 && strings.Contains(string(op.Reply.Body), fmt.Sprintf(`"deleted":%d`, len(op.IDs))):
		k.drop(op.IDs...)
	}
}

// pick returns n distinct ids among the newest concTargets, in random order.
func (k *concKnown) pick(r *rand.Rand, n int) []int64 {
	k.mu.Lock()
	recent := slices.Clone(k.ids[max(0, len(k.ids)-concTargets):])
	k.mu.Unlock()
	r.Shuffle(len(recent), func(i, j int) { recent[i], recent[j] = recent[j], recent[i] })
	return recent[:min(n, len(recent))]
}

// concRun runs the clients and returns every request with its answer.
func concRun(s *apitest.Server, seed uint64) []*history.Op {
	known := &concKnown{}
	for id := range int64(concSeeded) {
		known.add(id + 1)
	}
	ctx := context.Background()
	began := time.Now()
	perClient := make([][]*history.Op, concClients)
	var wg sync.WaitGroup
	for c := range concClients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(c)))
			for i := range concOps {
				op := concNewOp(r, known, c, i)
				op.Start = time.Since(began)
				op.Reply = s.Send(ctx, op.Request)
				op.End = time.Since(began)
				perClient[c] = append(perClient[c], op)
				known.learn(op)
			}
		})
	}
	wg.Wait()
	return slices.Concat(perClient...)
}

// concSeedEmail is the email user id was seeded with (or would have been:
// ids past concSeeded get one of the pool too).
func concSeedEmail(id int64) string { return fmt.Sprintf("p%d@example.com", (id-1)%concEmails) }

func concRandomEmail(r *rand.Rand) string { return fmt.Sprintf("p%d@example.com", r.IntN(concEmails)) }

// concMix is the mix of requests: a draw w in [0, 100) picks the first
// kind whose bound is above it, and CreatePost when none is.
var concMix = []struct {
	below int
	kind  string
}{
	{15, history.Create}, {22, history.BulkCreate}, {35, history.Read}, {40, history.BulkRead}, {45, history.List},
	{63, history.Update}, {78, history.BulkUpdate}, {84, history.Delete}, {87, history.BulkDelete},
}

// concNewOp draws the next request of client c. Every written name is unique
// to its request, so the final value of a row tells which write made it.
func concNewOp(r *rand.Rand, known *concKnown, c, seq int) *history.Op {
	op := &history.Op{Client: c, Seq: seq}
	tag := fmt.Sprintf("c%d-%d", c, seq)
	patch := func(i int) crudbench.UserPatch {
		var p crudbench.UserPatch
		name, mail, age := fmt.Sprintf("%s.%d", tag, i), concRandomEmail(r), r.IntN(100)
		switch r.IntN(4) {
		case 0:
			p.Name = &name
		case 1:
			p.Name, p.Email = &name, &mail
		case 2:
			p.Name, p.Age = &name, &age
		default:
			p.Name, p.Email, p.Age = &name, &mail, &age
		}
		return p
	}
	mustJSON := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return string(b)
	}
	w := r.IntN(100)
	if known.empty() {
		w = 0 // every known row is gone: create one
	}
	op.Kind = history.CreatePost
	for _, k := range concMix {
		if w < k.below {
			op.Kind = k.kind
			break
		}
	}
	switch op.Kind {
	case history.Create:
		op.Creates = []crudbench.UserCreate{{Name: tag, Email: concRandomEmail(r), Age: r.IntN(100)}}
		op.Request.Path, op.Request.Body = "/users", mustJSON(op.Creates[0])
	case history.BulkCreate:
		e1, e2 := concRandomEmail(r), concRandomEmail(r)
		for e2 == e1 {
			e2 = concRandomEmail(r)
		}
		op.Creates = []crudbench.UserCreate{{Name: tag + ".0", Email: e1, Age: 1}, {Name: tag + ".1", Email: e2, Age: 2}}
		op.Request.Path, op.Request.Body = "/users/bulk", mustJSON(op.Creates)
	case history.Read, history.Delete:
		op.IDs = known.pick(r, 1)
		op.Request.Path = fmt.Sprintf("/users/%d", op.IDs[0])
	case history.BulkRead, history.BulkDelete:
		n := 3
		if op.Kind == history.BulkDelete {
			n = 2
		}
		op.IDs = known.pick(r, n)
		op.Request.Path = "/users/bulk?ids=" + joinIDs(op.IDs)
	case history.List:
		op.IDs = []int64{known.pick(r, 1)[0] - 1} // after
		op.Request.Path = fmt.Sprintf("/users?after=%d&limit=%d", op.IDs[0], history.ListLimit)
	case history.Update:
		op.IDs = known.pick(r, 1)
		op.Patches = []crudbench.UserPatch{patch(0)}
		op.Request.Path, op.Request.Body = fmt.Sprintf("/users/%d", op.IDs[0]), mustJSON(op.Patches[0])
	case history.BulkUpdate:
		op.IDs = known.pick(r, 2)
		items := make([]crudbench.UserUpdate, len(op.IDs))
		for i, id := range op.IDs {
			op.Patches = append(op.Patches, patch(i))
			items[i] = crudbench.UserUpdate{ID: id, UserPatch: op.Patches[i]}
		}
		// Colliding variants: the two rows swap the emails they were seeded
		// with (a conflict only if another row holds one of them by now),
		// or both get one email (always a conflict).
		if len(op.IDs) == 2 {
			a, b := concSeedEmail(op.IDs[1]), concSeedEmail(op.IDs[0])
			switch r.IntN(3) {
			case 0:
				items[0].Email, items[1].Email = &a, &b
			case 1:
				items[0].Email, items[1].Email = &a, &a
			}
			op.Patches[0].Email, op.Patches[1].Email = items[0].Email, items[1].Email
		}
		op.Request.Path, op.Request.Body = "/users/bulk", mustJSON(items)
	default:
		op.IDs = known.pick(r, 1)
		op.Post = crudbench.PostCreate{Title: tag, Body: "body of " + tag}
		op.Request.Path, op.Request.Body = fmt.Sprintf("/users/%d/posts", op.IDs[0]), mustJSON(op.Post)
	}
	op.Request.Method = history.Method(op.Kind)
	return op
}

// readState reads the users and posts of the database at dsn.
func readState(t *testing.T, dsn string) history.State {
	ctx := context.Background()
	conn := apitest.MustConnect(t, dsn, "")
	var st history.State
	rows, err := conn.Query(ctx, "SELECT id, name, email, age FROM users ORDER BY id")
	if err == nil {
		st.Users, err = pgx.CollectRows(rows, pgx.RowToStructByPos[history.Row])
	}
	if err != nil {
		t.Fatalf("reading users: %v", err)
	}
	rows, err = conn.Query(ctx, "SELECT id, user_id, title, body, created_at FROM posts ORDER BY id")
	if err == nil {
		st.Posts, err = pgx.CollectRows(rows, pgx.RowToStructByPos[crudbench.Post])
	}
	if err != nil {
		t.Fatalf("reading posts: %v", err)
	}
	return st
}

// concRaceEmail makes concClients clients want one email at the same moment,
// three ways; each time exactly one must win, every other get 409, and the
// database hold the winner's row and nothing of the losers'.
func concRaceEmail(t *testing.T, s *apitest.Server) {
	ctx := context.Background()
	conn := apitest.MustConnect(t, s.DSN, "")
	race := func(name, email string, send func(i int) apitest.Reply) {
		t.Run(name, func(t *testing.T) {
			replies := make([]apitest.Reply, concClients)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range replies {
				wg.Go(func() {
					<-start
					replies[i] = send(i)
				})
			}
			close(start)
			wg.Wait()
			winners := 0
			for i, r := range replies {
				switch r.Status {
				case 200, 201:
					winners++
				case 409:
				default:
					t.Errorf("client %d: %s; want the win or 409", i, r)
				}
			}
			holders := apitest.MustCount(t, conn, "SELECT count(*) FROM users WHERE email = $1", email)
			if winners != 1 || holders != 1 {
				t.Errorf("%d winners, %d rows hold %s; want exactly one of each", winners, holders, email)
			}
		})
	}
	race("create", "same-create@example.com", func(i int) apitest.Reply {
		return s.Send(ctx, apitest.Post("/users", fmt.Sprintf(`{"name":"C%d","email":"same-create@example.com"}`, i)))
	})
	race("update", "same-update@example.com", func(i int) apitest.Reply {
		return s.Send(ctx, apitest.Patch(fmt.Sprintf("/users/%d", i+1), `{"email":"same-update@example.com"}`))
	})
	race("bulk-create", "same-bulk@example.com", func(i int) apitest.Reply {
		return s.Send(ctx, apitest.Post("/users/bulk", fmt.Sprintf(`[{"name":"B%d","email":"own%d@example.com"},{"name":"S%d","email":"same-bulk@example.com"}]`, i, i, i)))
	})
	// All or nothing: only the winner's own email was written.
	if own := apitest.MustCount(t, conn, "SELECT count(*) FROM users WHERE email LIKE 'own%'"); own != 1 {
		t.Errorf("%d rows of bulk creates that lost the race: want only the winner's 1", own)
	}
}

// TestConcurrentDeadlockIsConflict forces a deadlock between a bulk delete
// and another transaction on every arm: the transaction locks row 2, the
// delete locks row 1 and waits for row 2, the transaction asks for row 1.
// PostgreSQL aborts the delete, whose wait began first; its answer must be
// a 409 that says to try again, and nothing may be deleted. The arms run
// in parallel, each on its own database (a lost attempt is retried).
func TestConcurrentDeadlockIsConflict(t *testing.T) {
	ctx := context.Background()
	for _, name := range suite.Arms {
		t.Run("arm="+name, func(t *testing.T) {
			t.Parallel()
			app := "crudbench-deadlock-" + name
			s, mon := apitest.MustServeWatched(t, name, apitest.Options{Timeout: concDeadline, AppName: app}, apitest.Nine)
			conn := apitest.MustConnect(t, s.DSN, "")
			// PostgreSQL looks for a deadlock once, deadlock_timeout after a
			// backend starts to wait. The request waits first, so it is the
			// victim unless the machine is so slow that the cycle closes only
			// after its one look; then the transaction loses instead. Each
			// attempt uses two fresh users, so a lost attempt can be retried.
			for attempt := range 3 {
				a, b := 2*attempt+1, 2*attempt+2
				tx, err := conn.Begin(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := tx.Exec(ctx, "SELECT 1 FROM users WHERE id = $1 FOR UPDATE", b); err != nil {
					t.Fatal(err)
				}
				answer := make(chan apitest.Reply, 1)
				go func() { answer <- s.Send(ctx, apitest.Delete(fmt.Sprintf("/users/bulk?ids=%d,%d", a, b))) }()
				apitest.Eventually(t, 10*time.Second, func() (bool, string) {
					_, waiting := apitest.MustBackends(t, mon, app)
					return waiting == 1, fmt.Sprintf("the delete is not waiting for row %d", b)
				})
				_, lockErr := tx.Exec(ctx, "SELECT 1 FROM users WHERE id = $1 FOR UPDATE", a)
				if err := tx.Rollback(ctx); err != nil {
					t.Fatal(err)
				}
				r := <-answer
				if lockErr != nil {
					t.Logf("attempt %d: the transaction, not the request, lost the deadlock (%v); the request answered %s", attempt+1, lockErr, r)
					continue
				}
				if code, msg := r.APIError(); r.Status != 409 || code != crudbench.ECONFLICT || msg != pgerr.ConcurrentMessage {
					t.Errorf("deadlocked bulk delete: %s; want 409 %q", r, pgerr.ConcurrentMessage)
				}
				var n int
				if err := mon.QueryRow(ctx, "SELECT count(*) FROM users WHERE id IN ($1, $2)", a, b).Scan(&n); err != nil || n != 2 {
					t.Errorf("%d of users %d and %d left (err %v), want both: the aborted delete must not apply", n, a, b, err)
				}
				return
			}
			t.Fatal("in 3 attempts the request never lost the deadlock")
		})
	}
}
