package crudbench_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crudbench/crudbench"
	"github.com/crudbench/crudbench/httpapi"
	"github.com/crudbench/crudbench/internal/arms"
	"github.com/crudbench/crudbench/internal/pgerr"
	"github.com/crudbench/crudbench/internal/pgtest"
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

// row is what a user is, for comparison: its id and values.
type concRow struct {
	ID    int64
	Name  string
	Email string
	Age   int
}

func concRowOf(u crudbench.User) concRow { return concRow{u.ID, u.Name, u.Email, u.Age} }

// concOp is one request of a client and its answer.
type concOp struct {
	client, seq int
	kind        string
	path        string
	body        string
	ids         []int64                // addressed ids, in request order
	creates     []crudbench.UserCreate // create and bulk-create input
	patches     []crudbench.UserPatch  // update input, one per id
	post        crudbench.PostCreate
	start, end  time.Duration // since the clients began
	reply       reply
}

func (op *concOp) String() string {
	return fmt.Sprintf("client %d op %d: %s %s %.120s -> %s", op.client, op.seq, op.kind, op.path, op.body, op.reply)
}

// before reports whether a ended before b began: every observer agrees
// that a happened first.
func (a *concOp) before(b *concOp) bool { return a.end < b.start }

// TestConcurrentClients runs concClients clients per arm, each sending
// concOps random requests of every kind on overlapping rows, and checks the
// invariants below; then races clients for one email in three ways.
func TestConcurrentClients(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv(concSeedEnv); v != "" {
		var err error
		if seed, err = strconv.ParseUint(v, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", concSeedEnv, v, err)
		}
	}
	t.Logf("seed %d (set %s to replay)", seed, concSeedEnv)
	for _, name := range arms.Names {
		t.Run("arm="+name, func(t *testing.T) {
			dsn := pgtest.NewDatabase(t)
			var seedSQL []string
			for i := range concSeeded {
				seedSQL = append(seedSQL, fmt.Sprintf("('Seed %d', 'p%d@example.com', %d)", i+1, i, i))
			}
			if err := pgtest.Exec(context.Background(), dsn, "INSERT INTO users (name, email, age) VALUES "+strings.Join(seedSQL, ",")); err != nil {
				t.Fatal(err)
			}
			// A generous deadline: this test is about answers, not latency.
			s := serveArm(t, name, dsn, httpapi.Options{Timeout: concDeadline})
			began := time.Now()
			ops := concRun(t, s, seed)
			t.Logf("%d requests in %s", len(ops), time.Since(began).Round(time.Millisecond))
			concCheck(t, s, ops)
		})
	}
	for _, name := range arms.Names {
		t.Run("email-race/arm="+name, func(t *testing.T) {
			concRaceEmail(t, serveArm(t, name, pgtest.NewDatabase(t), httpapi.Options{Timeout: concDeadline}))
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
func (k *concKnown) learn(op *concOp) {
	for _, u := range concCreated(op) {
		k.add(u.ID)
	}
	switch st := op.reply.status; {
	case op.kind == "delete" && st == 204, len(op.ids) == 1 && st == 404:
		k.drop(op.ids...)
	case op.kind == "bulk-delete" && st == 200 && strings.Contains(string(op.reply.body), fmt.Sprintf(`"deleted":%d`, len(op.ids))):
		k.drop(op.ids...)
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

func concRun(t *testing.T, s *armServer, seed uint64) []*concOp {
	known := &concKnown{}
	for id := range int64(concSeeded) {
		known.add(id + 1)
	}
	ctx := context.Background()
	began := time.Now()
	perClient := make([][]*concOp, concClients)
	var wg sync.WaitGroup
	for c := range concClients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(c)))
			for i := range concOps {
				op := concNewOp(r, known, c, i)
				op.start = time.Since(began)
				op.reply = s.send(ctx, concMethod(op.kind), op.path, op.body)
				op.end = time.Since(began)
				perClient[c] = append(perClient[c], op)
				known.learn(op)
			}
		})
	}
	wg.Wait()
	return slices.Concat(perClient...)
}

func concMethod(kind string) string {
	switch kind {
	case "create", "bulk-create", "create-post":
		return "POST"
	case "update", "bulk-update":
		return "PATCH"
	case "delete", "bulk-delete":
		return "DELETE"
	}
	return "GET"
}

func concRandomEmail(r *rand.Rand) string { return fmt.Sprintf("p%d@example.com", r.IntN(concEmails)) }

// concNewOp draws the next request of client c. Every written name is unique
// to its request, so the final value of a row tells which write made it.
func concNewOp(r *rand.Rand, known *concKnown, c, seq int) *concOp {
	op := &concOp{client: c, seq: seq}
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
	switch {
	case w < 15:
		op.kind = "create"
		op.creates = []crudbench.UserCreate{{Name: tag, Email: concRandomEmail(r), Age: r.IntN(100)}}
		op.path, op.body = "/users", mustJSON(op.creates[0])
	case w < 22:
		op.kind = "bulk-create"
		e1, e2 := concRandomEmail(r), concRandomEmail(r)
		for e2 == e1 {
			e2 = concRandomEmail(r)
		}
		op.creates = []crudbench.UserCreate{{Name: tag + ".0", Email: e1, Age: 1}, {Name: tag + ".1", Email: e2, Age: 2}}
		op.path, op.body = "/users/bulk", mustJSON(op.creates)
	case w < 35:
		op.kind = "read"
		op.ids = known.pick(r, 1)
		op.path = fmt.Sprintf("/users/%d", op.ids[0])
	case w < 40:
		op.kind = "bulk-read"
		op.ids = known.pick(r, 3)
		op.path = "/users/bulk?ids=" + joinIDs(op.ids)
	case w < 45:
		op.kind = "list"
		op.ids = []int64{known.pick(r, 1)[0] - 1} // after
		op.path = fmt.Sprintf("/users?after=%d&limit=5", op.ids[0])
	case w < 63:
		op.kind = "update"
		op.ids = known.pick(r, 1)
		op.patches = []crudbench.UserPatch{patch(0)}
		op.path, op.body = fmt.Sprintf("/users/%d", op.ids[0]), mustJSON(op.patches[0])
	case w < 78:
		op.kind = "bulk-update"
		op.ids = known.pick(r, 2)
		items := make([]crudbench.UserUpdate, len(op.ids))
		for i, id := range op.ids {
			op.patches = append(op.patches, patch(i))
			items[i] = crudbench.UserUpdate{ID: id, UserPatch: op.patches[i]}
		}
		op.path, op.body = "/users/bulk", mustJSON(items)
	case w < 84:
		op.kind = "delete"
		op.ids = known.pick(r, 1)
		op.path = fmt.Sprintf("/users/%d", op.ids[0])
	case w < 87:
		op.kind = "bulk-delete"
		op.ids = known.pick(r, 2)
		op.path = "/users/bulk?ids=" + joinIDs(op.ids)
	default:
		op.kind = "create-post"
		op.ids = known.pick(r, 1)
		op.post = crudbench.PostCreate{Title: tag, Body: "body of " + tag}
		op.path, op.body = fmt.Sprintf("/users/%d/posts", op.ids[0]), mustJSON(op.post)
	}
	return op
}

// concCreated returns the users a successful create or bulk create made.
func concCreated(op *concOp) []crudbench.User {
	switch {
	case op.kind == "create" && op.reply.status == 201:
		var u crudbench.User
		if json.Unmarshal(op.reply.body, &u) == nil {
			return []crudbench.User{u}
		}
	case op.kind == "bulk-create" && op.reply.status == 201:
		var resp httpapi.ItemsResponse
		if json.Unmarshal(op.reply.body, &resp) == nil {
			return resp.Items
		}
	}
	return nil
}

// concWrite is a successful request that set a row to a value; seeded rows are
// writes that ended before every request began.
type concWrite struct {
	op  *concOp // nil for a seeded row
	row concRow
}

func (w concWrite) startsBefore(end time.Duration) bool { return w.op == nil || w.op.start < end }

// concHistory is what the answers say happened, gathered from every request.
type concHistory struct {
	writes   map[int64][]concWrite  // by id
	byEmail  map[string][]concWrite // successful writes that set the email
	existed  map[int64]bool         // seeded or created
	deletes  map[int64][]*concOp    // deletes that may have removed the id: 204, or a bulk delete that removed some
	removed  map[int64][]*concOp    // deletes that certainly removed the id: 204, or a bulk delete that removed all it named
	deleted  int                    // rows deleted, by the answers' count
	posts    map[int64]crudbench.Post
	statuses map[string]map[int]int // kind -> status -> count
	ops      []*concOp
}

// concAllowed lists, per kind, the statuses a request may get in this
// test. Every write may get 409 for a concurrent write that PostgreSQL
// made it lose to (a deadlock); creates and updates also for a taken email.
var concAllowed = map[string][]int{
	"create":      {201, 409},
	"bulk-create": {201, 409},
	"read":        {200, 404},
	"bulk-read":   {200},
	"list":        {200},
	"update":      {200, 404, 409},
	"bulk-update": {200, 404, 409},
	"delete":      {204, 404, 409},
	"bulk-delete": {200, 409},
	"create-post": {201, 404, 409},
}

// concWrites are the kinds of request that write.
var concWrites = []string{"create", "bulk-create", "update", "bulk-update", "delete", "bulk-delete", "create-post"}

// touches returns the ids and emails op addresses.
func (op *concOp) touches() (ids []int64, emails []string) {
	for _, c := range op.creates {
		emails = append(emails, c.Email)
	}
	for _, p := range op.patches {
		if p.Email != nil {
			emails = append(emails, *p.Email)
		}
	}
	if slices.Contains(concWrites, op.kind) {
		ids = op.ids
	}
	return ids, emails
}

// concCheck checks every answer against the request, then the
// database against the answers.
func concCheck(t *testing.T, s *armServer, ops []*concOp) {
	h := &concHistory{
		writes: map[int64][]concWrite{}, byEmail: map[string][]concWrite{}, existed: map[int64]bool{},
		deletes: map[int64][]*concOp{}, removed: map[int64][]*concOp{}, posts: map[int64]crudbench.Post{},
		statuses: map[string]map[int]int{}, ops: ops,
	}
	for id := range int64(concSeeded) {
		w := concWrite{row: concRow{id + 1, fmt.Sprintf("Seed %d", id+1), fmt.Sprintf("p%d@example.com", id), int(id)}}
		h.record(w)
	}
	bad := 0
	fail := func(op *concOp, format string, args ...any) {
		t.Helper()
		if bad++; bad <= 20 {
			t.Errorf("%s\n\t%s", op, fmt.Sprintf(format, args...))
		}
	}
	// Pass 1: each answer on its own, and what the successful ones did.
	for _, op := range ops {
		if h.statuses[op.kind] == nil {
			h.statuses[op.kind] = map[int]int{}
		}
		h.statuses[op.kind][op.reply.status]++
		if op.reply.err != nil || !slices.Contains(concAllowed[op.kind], op.reply.status) {
			fail(op, "status not among %v", concAllowed[op.kind])
			continue
		}
		if err := h.apply(op); err != nil {
			fail(op, "%v", err)
		}
	}
	// Pass 2: failures and reads must be explained by what succeeded.
	for _, op := range ops {
		if op.reply.err == nil && slices.Contains(concAllowed[op.kind], op.reply.status) {
			if err := h.explain(op); err != nil {
				fail(op, "%v", err)
			}
		}
	}
	// The database against the answers.
	for _, err := range h.checkFinal(t, s.dsn) {
		if bad++; bad <= 40 {
			t.Error(err)
		}
	}
	if bad > 40 {
		t.Errorf("… %d problems in all", bad)
	}
	var summary []string
	for _, kind := range slices.Sorted(maps.Keys(h.statuses)) {
		summary = append(summary, fmt.Sprintf("%s %v", kind, h.statuses[kind]))
	}
	t.Logf("statuses: %s", strings.Join(summary, "; "))
	lost := 0
	for _, op := range ops {
		if op.reply.status == 409 && concMessage(op) == pgerr.ConcurrentMessage {
			lost++
		}
	}
	t.Logf("checked %d requests: %d rows existed, %d writes, %d deleted, %d writes lost to a concurrent one (409)",
		len(ops), len(h.existed), h.writeCount(), h.deleted, lost)
}

func (h *concHistory) writeCount() int {
	n := 0
	for _, ws := range h.writes {
		n += len(ws)
	}
	return n
}

func (h *concHistory) record(w concWrite) {
	h.writes[w.row.ID] = append(h.writes[w.row.ID], w)
	h.byEmail[w.row.Email] = append(h.byEmail[w.row.Email], w)
	if w.op == nil || w.op.kind == "create" || w.op.kind == "bulk-create" {
		h.existed[w.row.ID] = true
	}
}

// concMatches reports whether u is what patch p makes of a row with id.
func concMatches(u crudbench.User, id int64, p crudbench.UserPatch) bool {
	return u.ID == id && (p.Name == nil || *p.Name == u.Name) && (p.Email == nil || *p.Email == u.Email) && (p.Age == nil || *p.Age == u.Age)
}

// apply checks a successful answer against its request and records what
// it did.
func (h *concHistory) apply(op *concOp) error {
	body := op.reply.body
	switch op.kind {
	case "create", "bulk-create":
		if op.reply.status != 201 {
			return nil
		}
		created := concCreated(op)
		if len(created) != len(op.creates) {
			return fmt.Errorf("%d users in the answer for %d created", len(created), len(op.creates))
		}
		for i, u := range created {
			in := op.creates[i]
			if u.ID <= 0 || u.Name != in.Name || u.Email != in.Email || u.Age != in.Age {
				return fmt.Errorf("item %d: created %+v, asked for %+v", i, concRowOf(u), in)
			}
			if h.existed[u.ID] {
				return fmt.Errorf("id %d handed out twice", u.ID)
			}
			h.record(concWrite{op, concRowOf(u)})
		}
	case "update", "bulk-update":
		if op.reply.status != 200 {
			return nil
		}
		var got []crudbench.User
		if op.kind == "update" {
			var u crudbench.User
			if err := json.Unmarshal(body, &u); err != nil {
				return err
			}
			got = []crudbench.User{u}
		} else {
			var resp httpapi.ItemsResponse
			if err := json.Unmarshal(body, &resp); err != nil {
				return err
			}
			got = resp.Items
		}
		if len(got) != len(op.ids) {
			return fmt.Errorf("%d users in the answer for %d updated", len(got), len(op.ids))
		}
		for i, u := range got {
			if !concMatches(u, op.ids[i], op.patches[i]) {
				return fmt.Errorf("item %d: updated to %+v, not what the patch sets on id %d", i, concRowOf(u), op.ids[i])
			}
			h.record(concWrite{op, concRowOf(u)})
		}
	case "delete":
		if op.reply.status == 204 {
			h.deletes[op.ids[0]] = append(h.deletes[op.ids[0]], op)
			h.removed[op.ids[0]] = append(h.removed[op.ids[0]], op)
			h.deleted++
		}
	case "bulk-delete":
		var resp httpapi.DeletedResponse
		if err := json.Unmarshal(body, &resp); err != nil {
			return err
		}
		if resp.Deleted < 0 || resp.Deleted > len(op.ids) {
			return fmt.Errorf("deleted %d of %d ids", resp.Deleted, len(op.ids))
		}
		h.deleted += resp.Deleted
		for _, id := range op.ids {
			if resp.Deleted > 0 {
				h.deletes[id] = append(h.deletes[id], op)
			}
			if resp.Deleted == len(op.ids) {
				h.removed[id] = append(h.removed[id], op)
			}
		}
	case "create-post":
		if op.reply.status != 201 {
			return nil
		}
		var p crudbench.Post
		if err := json.Unmarshal(body, &p); err != nil {
			return err
		}
		if p.ID <= 0 || p.UserID != op.ids[0] || p.Title != op.post.Title || p.Body != op.post.Body {
			return fmt.Errorf("created post %+v, asked for %+v on user %d", p, op.post, op.ids[0])
		}
		if _, dup := h.posts[p.ID]; dup {
			return fmt.Errorf("post id %d handed out twice", p.ID)
		}
		h.posts[p.ID] = p
	}
	return nil
}

func concMessage(op *concOp) string {
	_, msg := op.reply.apiError()
	return msg
}

// overlapsWriter reports whether another write of a row or an email that
// op addresses ran while op did.
func (h *concHistory) overlapsWriter(op *concOp) bool {
	ids, emails := op.touches()
	for _, o := range h.ops {
		if o == op || !slices.Contains(concWrites, o.kind) || o.end < op.start || op.end < o.start {
			continue
		}
		oids, oemails := o.touches()
		if slices.ContainsFunc(ids, func(id int64) bool { return slices.Contains(oids, id) }) ||
			slices.ContainsFunc(emails, func(e string) bool { return slices.Contains(oemails, e) }) {
			return true
		}
	}
	return false
}

// mayBeGone reports whether some delete of id had begun before op ended.
func (h *concHistory) mayBeGone(id int64, op *concOp) bool {
	for _, d := range h.deletes[id] {
		if d != op && d.start < op.end {
			return true
		}
	}
	return false
}

// mayBeTaken reports whether a write to another row had set email before
// op ended.
func (h *concHistory) mayBeTaken(email string, notID int64, op *concOp) bool {
	for _, w := range h.byEmail[email] {
		if w.row.ID != notID && w.op != op && w.startsBefore(op.end) {
			return true
		}
	}
	return false
}

// wasWritten reports whether u is a value some successful write that had
// begun before op ended gave to its row.
func (h *concHistory) wasWritten(u crudbench.User, op *concOp) bool {
	for _, w := range h.writes[u.ID] {
		if w.row == concRowOf(u) && w.startsBefore(op.end) {
			return true
		}
	}
	return false
}

// overwritten returns a successful write of u's row that began after the
// write of u's value ended and ended before op began, if any: op must not
// have seen u then. (Every write sets a name of its own, so a value tells
// which write made it.)
func (h *concHistory) overwritten(u crudbench.User, op *concOp) *concOp {
	i := slices.IndexFunc(h.writes[u.ID], func(w concWrite) bool { return w.row == concRowOf(u) })
	if i < 0 {
		return nil
	}
	from := h.writes[u.ID][i].op
	for _, w := range h.writes[u.ID] {
		if w.op != nil && w.op.before(op) && (from == nil || from.before(w.op)) {
			return w.op
		}
	}
	return nil
}

// goneBefore returns a delete that certainly removed id and ended before
// op began, if any: after it, nothing may find the row.
func (h *concHistory) goneBefore(id int64, op *concOp) *concOp {
	for _, d := range h.removed[id] {
		if d.before(op) {
			return d
		}
	}
	return nil
}

// explain checks that a failure had a cause among the successes, and that
// what a read returned was written and not yet deleted.
func (h *concHistory) explain(op *concOp) error {
	st := op.reply.status
	var users []crudbench.User
	switch {
	case st == 404:
		for _, id := range op.ids {
			if h.mayBeGone(id, op) {
				return nil
			}
		}
		return fmt.Errorf("404, but no delete of %v had begun: a row was lost", op.ids)
	case st == 409 && concMessage(op) == pgerr.ConcurrentMessage:
		if h.overlapsWriter(op) {
			return nil
		}
		return fmt.Errorf("409 for a concurrent request, but no other write of its rows or emails was running")
	case st == 409 && (op.kind == "create" || op.kind == "bulk-create"):
		for _, in := range op.creates {
			if h.mayBeTaken(in.Email, 0, op) {
				return nil
			}
		}
		return fmt.Errorf("409, but no other request had set any of its emails")
	case st == 409:
		seen := map[string]bool{}
		for i, p := range op.patches {
			if p.Email == nil {
				continue
			}
			if seen[*p.Email] || h.mayBeTaken(*p.Email, op.ids[i], op) {
				return nil // taken by another row, or given to two rows of this batch
			}
			seen[*p.Email] = true
		}
		return fmt.Errorf("409, but no other row had been given any of its emails")
	case op.kind == "read" && st == 200:
		var u crudbench.User
		if err := json.Unmarshal(op.reply.body, &u); err != nil {
			return err
		}
		if u.ID != op.ids[0] {
			return fmt.Errorf("asked for %d, got %d", op.ids[0], u.ID)
		}
		users = []crudbench.User{u}
	case op.kind == "bulk-read" || op.kind == "list":
		var resp httpapi.ItemsResponse
		if err := json.Unmarshal(op.reply.body, &resp); err != nil {
			return err
		}
		users = resp.Items
		for i, u := range users {
			if i > 0 && u.ID <= users[i-1].ID {
				return fmt.Errorf("ids out of order: %d after %d", u.ID, users[i-1].ID)
			}
			if op.kind == "bulk-read" && !slices.Contains(op.ids, u.ID) {
				return fmt.Errorf("got id %d, not asked for", u.ID)
			}
			if op.kind == "list" && (u.ID <= op.ids[0] || i >= 5) {
				return fmt.Errorf("page after %d of limit 5 holds id %d at %d", op.ids[0], u.ID, i)
			}
		}
		if op.kind == "bulk-read" {
			for _, id := range op.ids {
				if !slices.ContainsFunc(users, func(u crudbench.User) bool { return u.ID == id }) && !h.mayBeGone(id, op) {
					return fmt.Errorf("id %d missing from the answer, but no delete of it had begun", id)
				}
			}
		}
	}
	for _, u := range users {
		if !h.wasWritten(u, op) {
			return fmt.Errorf("read %+v, a value no successful write gave that row", concRowOf(u))
		}
		if w := h.overwritten(u, op); w != nil {
			return fmt.Errorf("read %+v, but this later write had replaced it before the read began: %s", concRowOf(u), w)
		}
		if d := h.goneBefore(u.ID, op); d != nil {
			return fmt.Errorf("read id %d after it was deleted by %s", u.ID, d)
		}
	}
	// Writes after a certain delete must not have found the row.
	if (op.kind == "update" || op.kind == "bulk-update") && st == 200 || op.kind == "create-post" && st == 201 {
		for _, id := range op.ids {
			if d := h.goneBefore(id, op); d != nil {
				return fmt.Errorf("wrote id %d after it was deleted by %s", id, d)
			}
		}
	}
	return nil
}

// checkFinal compares the database with the history.
func (h *concHistory) checkFinal(t *testing.T, dsn string) []error {
	ctx := context.Background()
	conn := connect(t, dsn)
	final := map[int64]concRow{}
	rows, err := conn.Query(ctx, "SELECT id, name, email, age FROM users")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var r concRow
		if err := rows.Scan(&r.ID, &r.Name, &r.Email, &r.Age); err != nil {
			t.Fatal(err)
		}
		final[r.ID] = r
	}
	if rows.Err() != nil {
		t.Fatal(rows.Err())
	}
	var errs []error
	emails := map[string]int64{}
	for id, r := range final {
		if !h.existed[id] {
			errs = append(errs, fmt.Errorf("row %+v in the database, but no answer created it", r))
			continue
		}
		if other, dup := emails[r.Email]; dup {
			errs = append(errs, fmt.Errorf("rows %d and %d share email %s", other, id, r.Email))
		}
		emails[r.Email] = id
		if len(h.removed[id]) > 0 {
			errs = append(errs, fmt.Errorf("row %d is still there after %s", id, h.removed[id][0]))
		}
		// The final value is that of a last write: one that no other
		// successful write of the row began after.
		var last []concRow
		for _, w := range h.writes[id] {
			if !slices.ContainsFunc(h.writes[id], func(o concWrite) bool { return o.op != nil && (w.op == nil || w.op.before(o.op)) }) {
				last = append(last, w.row)
			}
		}
		if !slices.Contains(last, r) {
			errs = append(errs, fmt.Errorf("row %d is %+v; the last successful writes gave it %+v", id, r, last))
		}
	}
	for id := range h.existed {
		if _, ok := final[id]; !ok && len(h.deletes[id]) == 0 {
			errs = append(errs, fmt.Errorf("row %d is gone, but no answer says it was deleted", id))
		}
	}
	if want := len(h.existed) - h.deleted; len(final) != want {
		errs = append(errs, fmt.Errorf("%d rows in the database; %d were created or seeded and the answers deleted %d, which leaves %d", len(final), len(h.existed), h.deleted, want))
	}

	posts := map[int64]crudbench.Post{}
	prows, err := conn.Query(ctx, "SELECT id, user_id, title, body FROM posts")
	if err != nil {
		t.Fatal(err)
	}
	for prows.Next() {
		var p crudbench.Post
		if err := prows.Scan(&p.ID, &p.UserID, &p.Title, &p.Body); err != nil {
			t.Fatal(err)
		}
		posts[p.ID] = p
	}
	if prows.Err() != nil {
		t.Fatal(prows.Err())
	}
	for id, p := range posts {
		want, ok := h.posts[id]
		if !ok || want.UserID != p.UserID || want.Title != p.Title || want.Body != p.Body {
			errs = append(errs, fmt.Errorf("post %+v in the database, but no answer created it", p))
		}
	}
	for id, p := range h.posts {
		_, userThere := final[p.UserID]
		if _, ok := posts[id]; !ok && userThere {
			errs = append(errs, fmt.Errorf("post %d of user %d, created with 201, is gone while its user is there", id, p.UserID))
		}
	}
	return errs
}

// concRaceEmail makes concClients clients want one email at the same moment,
// three ways; each time exactly one must win, every other get 409, and the
// database hold the winner's row and nothing of the losers'.
func concRaceEmail(t *testing.T, s *armServer) {
	ctx := context.Background()
	var seed []string
	for i := range concClients {
		seed = append(seed, fmt.Sprintf("('Racer %d', 'racer%d@example.com')", i, i))
	}
	if err := pgtest.Exec(ctx, s.dsn, "INSERT INTO users (name, email) VALUES "+strings.Join(seed, ",")); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, s.dsn)
	race := func(name, email string, send func(i int) reply) {
		t.Run(name, func(t *testing.T) {
			replies := make([]reply, concClients)
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
				switch r.status {
				case 200, 201:
					winners++
				case 409:
				default:
					t.Errorf("client %d: %s; want the win or 409", i, r)
				}
			}
			var holders int
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM users WHERE email = $1", email).Scan(&holders); err != nil {
				t.Fatal(err)
			}
			if winners != 1 || holders != 1 {
				t.Errorf("%d winners, %d rows hold %s; want exactly one of each", winners, holders, email)
			}
		})
	}
	race("create", "same-create@example.com", func(i int) reply {
		return s.send(ctx, "POST", "/users", fmt.Sprintf(`{"name":"C%d","email":"same-create@example.com"}`, i))
	})
	race("update", "same-update@example.com", func(i int) reply {
		return s.send(ctx, "PATCH", fmt.Sprintf("/users/%d", i+1), `{"email":"same-update@example.com"}`)
	})
	race("bulk-create", "same-bulk@example.com", func(i int) reply {
		return s.send(ctx, "POST", "/users/bulk", fmt.Sprintf(`[{"name":"B%d","email":"own%d@example.com"},{"name":"S%d","email":"same-bulk@example.com"}]`, i, i, i))
	})
	// All or nothing: only the winner's own email was written.
	var own int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM users WHERE email LIKE 'own%'").Scan(&own); err != nil {
		t.Fatal(err)
	}
	if own != 1 {
		t.Errorf("%d rows of bulk creates that lost the race: want only the winner's 1", own)
	}
}

// TestConcurrentDeadlockIsConflict forces a deadlock between a bulk delete
// and another transaction on every arm: the transaction locks row 2, the
// delete locks row 1 and waits for row 2, the transaction asks for row 1.
// PostgreSQL aborts the delete, whose wait began first; its answer must be
// a 409 that says to try again, and nothing may be deleted.
func TestConcurrentDeadlockIsConflict(t *testing.T) {
	ctx := context.Background()
	for _, name := range arms.Names {
		t.Run("arm="+name, func(t *testing.T) {
			app := "crudbench-deadlock-" + name
			s, dsn, mon := serveSeeded(t, name, app, concDeadline)
			tx, err := connect(t, dsn).Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			if _, err := tx.Exec(ctx, "SELECT 1 FROM users WHERE id = 2 FOR UPDATE"); err != nil {
				t.Fatal(err)
			}
			answer := make(chan reply, 1)
			go func() { answer <- s.send(ctx, "DELETE", "/users/bulk?ids=1,2", "") }()
			eventually(t, 10*time.Second, func() (bool, string) {
				_, waiting := backends(t, mon, app)
				return waiting == 1, "the delete is not waiting for row 2"
			})
			if _, err := tx.Exec(ctx, "SELECT 1 FROM users WHERE id = 1 FOR UPDATE"); err != nil {
				t.Fatalf("the transaction, not the request, lost the deadlock: %v", err)
			}
			if err := tx.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			r := <-answer
			if code, msg := r.apiError(); r.status != 409 || code != crudbench.ECONFLICT || msg != pgerr.ConcurrentMessage {
				t.Errorf("deadlocked bulk delete: %s; want 409 %q", r, pgerr.ConcurrentMessage)
			}
			var n int
			if err := mon.QueryRow(ctx, "SELECT count(*) FROM users WHERE id IN (1, 2)").Scan(&n); err != nil || n != 2 {
				t.Errorf("%d of users 1 and 2 left (err %v), want both: the aborted delete must not apply", n, err)
			}
		})
	}
}
