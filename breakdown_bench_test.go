package crudbench_test

// BenchmarkBreakdown: where the in-process time of a database/sql arm's
// store call goes.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/internal/arms"
	"github.com/crudbench/crudbench/internal/dbconf"
	"github.com/crudbench/crudbench/internal/pgtest"
	"github.com/crudbench/crudbench/internal/progress"
	"github.com/crudbench/crudbench/internal/replay"
	"github.com/crudbench/crudbench/internal/suite"
)

// breakdownParts are the parts BenchmarkBreakdown splits a call into,
// each reported in ns/op and allocs/op ("build-ns/op"), and the whole.
var breakdownParts = []string{"build", "dbsql", "scan", "inproc"}

// breakdownUnits returns BenchmarkBreakdown's units, for the Unit lines.
func breakdownUnits() []string {
	var out []string
	for _, p := range breakdownParts {
		out = append(out, p+"-ns/op", p+"-allocs/op")
	}
	return out
}

// breakdownWarmup is how many untimed calls of each side a leaf makes
// before measuring: the library's caches (prepared statements, reflected
// schemas) and database/sql's connection are made then.
const breakdownWarmup = 16

// breakdownAllocRounds is how many calls of each side the untimed
// allocation pass counts.
const breakdownAllocRounds = 4

// breakdownCases are the leaves of BenchmarkBreakdown per arm: the CRUD
// ops of the run's matrix (runMatrix), a user with its smaller relation's
// posts, and bulk create and update at its largest paired size.
func breakdownCases() []pairedCase {
	var out []pairedCase
	m := runMatrix()
	for _, op := range m.BreakdownOps {
		out = append(out, pairedCase{op: op})
	}
	n := slices.Max(m.PairedBulk)
	return append(out, pairedCase{op: "relation", n: m.PairedPosts[0]},
		pairedCase{op: "bulk-create", n: n}, pairedCase{op: "bulk-update", n: n})
}

// breakdownArms returns the arms and variants BenchmarkBreakdown breaks
// down on op: every one whose store is built on a *sql.DB (arms.OnDB), a
// variant only on the ops where it differs from its arm.
func breakdownArms(op string) []string {
	var out []string
	for _, a := range suite.Arms {
		if _, ok := arms.OnDB(a); ok {
			out = append(out, a)
		}
	}
	for _, v := range suite.Variants {
		if _, ok := arms.OnDB(v.Name); ok && slices.Contains(v.Ops, op) {
			out = append(out, v.Name)
		}
	}
	return out
}

// BenchmarkBreakdown splits the in-process cost of one store call of each
// database/sql arm into statement building (build-ns/op), database/sql and
// the driver (dbsql-ns/op) and mapping rows to structs (scan-ns/op), which
// add up to inproc-ns/op, each also in allocations. It replays a recorded
// call with no database, alternating with a raw database/sql replay of the
// same statements; docs/method.md explains how and what it leaves out.
func BenchmarkBreakdown(b *testing.B) {
	benchSetup(b)
	type leaf struct {
		arm string
		c   pairedCase
	}
	var leaves []leaf
	for _, a := range breakdownArms("") {
		for _, c := range breakdownCases() {
			leaves = append(leaves, leaf{a, c})
		}
	}
	for _, v := range suite.Variants { // the variants after the arms, on their ops
		for _, c := range breakdownCases() {
			if slices.Contains(breakdownArms(c.op), v.Name) {
				leaves = append(leaves, leaf{v.Name, c})
			}
		}
	}
	names := make([]string, len(leaves))
	for i, l := range leaves {
		names[i] = "arm=" + l.arm + "/" + l.c.String()
	}
	progress.Family(b, names...)
	for i, l := range leaves {
		b.Run(names[i], func(b *testing.B) {
			progress.Leaf(b)
			runBreakdown(b, l.arm, l.c)
		})
	}
}

// storeCall is one store call of a leaf, with fixed input: do makes it
// and keeps its answer, check verifies the last answer.
type storeCall struct {
	do    func(ctx context.Context, s crudbench.Store) error
	check func() error
}

// breakdownCall returns the store call of case c on a database seeded
// with rows users: the same input every time (the player answers every
// call from one recording).
func breakdownCall(c pairedCase, rows int) storeCall {
	r := int64(rows)
	var (
		user  *crudbench.User
		users []crudbench.User
	)
	one := func(what string, ok func(*crudbench.User) bool) func() error {
		return func() error {
			if user == nil || !ok(user) {
				return fmt.Errorf("%s: answer %+v", what, user)
			}
			return nil
		}
	}
	many := func(what string, n int) func() error {
		return func() error {
			if len(users) != n {
				return fmt.Errorf("%s: %d users, want %d", what, len(users), n)
			}
			return nil
		}
	}
	var err error
	switch c.op {
	case "create":
		in := crudbench.UserCreate{Name: "breakdown", Email: "breakdown@example.com", Age: 42}
		return storeCall{func(ctx context.Context, s crudbench.Store) error {
			user, err = s.CreateUser(ctx, in)
			return err
		}, one("create", func(u *crudbench.User) bool { return u.Name == in.Name })}
	case "read":
		id := r/2 + 1
		return storeCall{func(ctx context.Context, s crudbench.Store) error {
			user, err = s.User(ctx, id)
			return err
		}, one("read", func(u *crudbench.User) bool { return u.ID == id })}
	case "update":
		id, name, age := r/3+1, "renamed", 7
		return storeCall{func(ctx context.Context, s crudbench.Store) error {
			user, err = s.UpdateUser(ctx, id, crudbench.UserPatch{Name: &name, Age: &age})
			return err
		}, one("update", func(u *crudbench.User) bool { return u.ID == id && u.Name == name })}
	case "delete":
		return storeCall{func(ctx context.Context, s crudbench.Store) error {
			return s.DeleteUser(ctx, r) // the last seeded user: no other case touches it
		}, func() error { return nil }}
	case "list":
		after := r / 4
		return storeCall{func(ctx context.Context, s crudbench.Store) error {
			users, err = s.ListUsers(ctx, after, crudbench.DefaultLimit)
			return err
		}, many("list", crudbench.DefaultLimit)}
	case "relation":
		return storeCall{func(ctx context.Context, s crudbench.Store) error {
			user, err = s.UserWithPosts(ctx, 1) // users from 1 have the smaller relation's posts
			return err
		}, one("relation", func(u *crudbench.User) bool { return len(u.Posts) == c.n })}
	case "bulk-create":
		in := make([]crudbench.UserCreate, c.n)
		for i := range in {
			in[i] = crudbench.UserCreate{Name: fmt.Sprintf("breakdown %d", i), Email: fmt.Sprintf("breakdown%d@example.com", i), Age: i % 150}
		}
		return storeCall{func(ctx context.Context, s crudbench.Store) error {
			users, err = s.CreateUsers(ctx, in)
			return err
		}, many("bulk-create", c.n)}
	case "bulk-update":
		in := make([]crudbench.UserUpdate, c.n)
		for i, id := range distinct(rand.New(rand.NewPCG(uint64(c.n), 6)), c.n, 2, r-1) {
			name, age := fmt.Sprintf("bulk %d", i), i%150
			in[i] = crudbench.UserUpdate{ID: id, UserPatch: crudbench.UserPatch{Name: &name, Age: &age}}
		}
		return storeCall{func(ctx context.Context, s crudbench.Store) error {
			users, err = s.UpdateUsers(ctx, in)
			return err
		}, many("bulk-update", c.n)}
	}
	return storeCall{func(context.Context, crudbench.Store) error { return fmt.Errorf("no store call for op %q", c.op) },
		func() error { return nil }}
}

// breakdownLeaf is a leaf's recording and the arm it plays it to.
type breakdownLeaf struct {
	script *replay.Script
	player *replay.Player
	db     *sql.DB // on player
	store  crudbench.Store
	raw    *replay.Raw
	call   storeCall
}

// breakdown holds what BenchmarkBreakdown builds once per process: per
// arm, a recording pool on a clone of the seeded database; per leaf, its
// recording and player.
var breakdown struct {
	mu     sync.Mutex
	rec    map[string]*breakdownRecorder
	leaves map[string]*breakdownLeaf
}

type breakdownRecorder struct {
	rec   *replay.Recorder
	store crudbench.Store
}

// recorderOf returns the arm's store on a Recorder over a clone of the
// seeded database of its own, made on first use; every leaf of the arm
// records on it, each with an input no other leaf changes.
func recorderOf(arm string) (*breakdownRecorder, error) {
	if r, ok := breakdown.rec[arm]; ok {
		return r, nil
	}
	dsn, err := pgtest.SharedDatabase(bench.seeded)
	if err != nil {
		return nil, err
	}
	c, err := dbconf.Connector(dsn, nil, arms.Options(arm)...)
	if err != nil {
		return nil, err
	}
	rec := replay.NewRecorder(c)
	db, err := dbconf.OpenConnector(rec)
	if err != nil {
		return nil, err
	}
	pgtest.AtExit(func() { db.Close() })
	open, _ := arms.OnDB(arm)
	store, err := open(db)
	if err != nil {
		return nil, fmt.Errorf("opening %s on the recorder: %w", arm, err)
	}
	if breakdown.rec == nil {
		breakdown.rec = make(map[string]*breakdownRecorder)
	}
	r := &breakdownRecorder{rec: rec, store: store}
	breakdown.rec[arm] = r
	return r, nil
}

// leafOf records the leaf's store call, once per process, and opens the
// arm on a player of the recording.
func leafOf(arm string, c pairedCase) (*breakdownLeaf, error) {
	breakdown.mu.Lock()
	defer breakdown.mu.Unlock()
	key := arm + "/" + c.String()
	if l, ok := breakdown.leaves[key]; ok {
		return l, nil
	}
	r, err := recorderOf(arm)
	if err != nil {
		return nil, err
	}
	call := breakdownCall(c, bench.rows)
	ctx := context.Background()
	r.rec.Start()
	err = call.do(ctx, r.store)
	script := r.rec.Stop()
	if err == nil {
		err = call.check()
	}
	if err != nil {
		return nil, fmt.Errorf("recording arm=%s %s: %w", arm, c, err)
	}
	l := &breakdownLeaf{script: script, player: replay.NewPlayer(), raw: replay.NewRaw(script), call: call}
	if l.db, err = dbconf.OpenConnector(l.player); err != nil {
		return nil, err
	}
	pgtest.AtExit(func() { l.db.Close() })
	open, _ := arms.OnDB(arm)
	if l.store, err = open(l.db); err != nil {
		return nil, fmt.Errorf("opening %s on the player: %w", arm, err)
	}
	if breakdown.leaves == nil {
		breakdown.leaves = make(map[string]*breakdownLeaf)
	}
	breakdown.leaves[key] = l
	return l, nil
}

// library plays the store call and returns its parts.
func (l *breakdownLeaf) library(ctx context.Context, clock replay.Clock) (replay.Parts, error) {
	l.player.Start(l.script, clock)
	err := l.call.do(ctx, l.store)
	parts, perr := l.player.Stop()
	if err := errors.Join(err, perr); err != nil {
		return parts, fmt.Errorf("the store call: %w", err)
	}
	return parts, l.call.check()
}

// rawReplay plays the recording's statements through database/sql alone
// and returns its parts.
func (l *breakdownLeaf) rawReplay(ctx context.Context, clock replay.Clock) (replay.Parts, error) {
	l.player.Start(l.script, clock)
	err := l.raw.Run(ctx, l.db)
	parts, perr := l.player.Stop()
	if err := errors.Join(err, perr); err != nil {
		return parts, fmt.Errorf("the raw replay: %w", err)
	}
	return parts, nil
}

// runBreakdown runs one leaf of BenchmarkBreakdown.
func runBreakdown(b *testing.B, arm string, c pairedCase) {
	l, err := leafOf(arm, c)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	clock := replay.Nanotime()
	for range breakdownWarmup {
		if _, err := l.library(ctx, clock); err != nil {
			b.Fatalf("warming up: %v\nscript:\n%s", err, l.script)
		}
		if _, err := l.rawReplay(ctx, clock); err != nil {
			b.Fatalf("warming up: %v\nscript:\n%s", err, l.script)
		}
	}
	var (
		lib, raw replay.Parts
		wall     time.Duration // the library calls, timed around Start and Stop
		rounds   int
	)
	runtime.GC()
	for b.Loop() {
		for side := range 2 {
			if (rounds+side)%2 == 0 { // the library first in even rounds
				t0 := time.Now()
				p, err := l.library(ctx, clock)
				wall += time.Since(t0)
				if err != nil {
					b.Fatal(err)
				}
				lib = lib.Add(p)
			} else {
				p, err := l.rawReplay(ctx, clock)
				if err != nil {
					b.Fatal(err)
				}
				raw = raw.Add(p)
			}
		}
		rounds++
	}
	// The parts partition the call (replay's TestPartsAddUp checks that exactly, on
	// a counting clock): their sum is the call's time from its first stamp
	// to its last, which the stamps' own cost and the result check
	// separate from the time taken around it, and so does a descheduled
	// goroutine on a busy machine. A wide gap is said, not failed on:
	// timing is measured here, never asserted.
	if d := float64(wall.Nanoseconds() - lib.Total()); math.Abs(d) > 0.1*float64(wall.Nanoseconds())+2000*float64(rounds) {
		b.Logf("the parts add up to %d ns over %d calls, timed around them %v", lib.Total(), rounds, wall)
	}
	reportBreakdown(b, lib, raw, rounds, "ns/op")

	mallocs := replay.Mallocs()
	var libA, rawA replay.Parts
	for range breakdownAllocRounds {
		p, err := l.library(ctx, mallocs)
		if err != nil {
			b.Fatal(err)
		}
		q, err := l.rawReplay(ctx, mallocs)
		if err != nil {
			b.Fatal(err)
		}
		libA, rawA = libA.Add(p), rawA.Add(q)
	}
	reportBreakdown(b, libA, rawA, breakdownAllocRounds, "allocs/op")
	b.ReportMetric(float64(l.script.Statements()), "queries/op")
}

// reportBreakdown reports the parts of n library calls, lib, against those
// of their raw replays, raw, in unit: build is the library's time before
// its statements less database/sql's; scan its time with rows open and
// after its last statement less database/sql's; dbsql database/sql's
// share and the driver's; inproc the whole call. The first three add up
// to the fourth.
func reportBreakdown(b *testing.B, lib, raw replay.Parts, n int, unit string) {
	per := func(v int64) float64 { return float64(v) / float64(n) }
	b.ReportMetric(per(lib.Before-raw.Before), "build-"+unit)
	b.ReportMetric(per(raw.Before+raw.Rows+raw.After+lib.Driver), "dbsql-"+unit)
	b.ReportMetric(per(lib.Rows+lib.After-raw.Rows-raw.After), "scan-"+unit)
	b.ReportMetric(per(lib.Total()), "inproc-"+unit)
}
